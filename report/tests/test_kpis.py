"""One definition of each KPI: kpis.py. The table of docs/reports.md is that module, row for row,
and rpt_monthly_sales computes exactly the KPIs it names, with comparisons for those on a card."""

from __future__ import annotations

import re

from infinit.stack import ROOT
from report_pipeline import Pipeline

from infinit_report import kpis

DOC = ROOT / "docs" / "reports.md"
UNITS = {"count": "count", "money": "EUR", "ratio": "fraction"}


def doc_row(kpi: kpis.Kpi) -> str:
    shown = "report, Monthly analysis" if kpi in kpis.MONTHLY else "report, under the cards"
    if kpi in kpis.DAILY:
        shown += ", Daily cockpit"
    good = "higher" if kpi.good > 0 else "lower"
    return f"| `{kpi.key}` | {kpi.name} | {kpi.formula} | {UNITS[kpi.unit]} | {good} | {shown} |"


def test_the_kpi_table_of_the_docs_is_kpis_py() -> None:
    documented = [line for line in DOC.read_text().splitlines() if re.match(r"\| `\w+` \|", line)]
    expected = [doc_row(kpi) for kpi in kpis.ALL]
    assert documented == expected, "docs/reports.md, section KPIs, should hold:\n" + "\n".join(expected)


def test_rpt_monthly_sales_computes_the_kpis_and_compares_those_on_a_card(pipeline: Pipeline) -> None:
    columns = {
        name
        for (name,) in pipeline.query(
            "select column_name from information_schema.columns"
            " where table_schema = 'reports' and table_name = 'rpt_monthly_sales'"
        )
    }
    assert {kpi.key for kpi in kpis.ALL} <= columns
    compared = {name.removesuffix("_prev_month") for name in columns if name.endswith("_prev_month")}
    assert compared == {kpi.key for kpi in kpis.MONTHLY}
    for kpi in kpis.MONTHLY:
        assert {f"{kpi.key}_{suffix}" for suffix in ("mom_pct", "prev_year", "yoy_pct")} <= columns, kpi.key
