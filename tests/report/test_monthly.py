"""Monthly reports on the real pipeline's warehouse: one HTML + PDF per month of the demo data,
every rendered number equal to SQL on the marts, self-contained HTML, PDF layout and text."""

from __future__ import annotations

import html
import logging
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from infinit_report import fmt, monthly, queries

from tests.report.conftest import Pipeline, need

CHECKED_MONTH = date(2024, 7, 1)  # the last full month of the demo data

# --- expected values, computed on the marts (not on the rpt_* tables the report reads) ---
MONTH_SQL = """
select count(*) as transactions, sum(quantity) as units, sum(turnover) as turnover,
       sum(market_value) as market_value,
       round((sum(market_value) - sum(turnover)) / nullif(sum(market_value), 0), 6) as discount_pct,
       round(sum(turnover) / nullif(count(*), 0), 2) as avg_basket,
       count(distinct client_id) as active_clients,
       (select count(*) from (select client_id, min(sale_month) as first_month
                              from marts.fct_transactions group by client_id) as f
        where first_month = %(month)s) as new_clients
from marts.fct_transactions where sale_month = %(month)s
"""
KINDS = {key: kind for key, _, kind in monthly.KPIS}


def marts_month(pipeline: Pipeline, month: date) -> dict[str, object]:
    with pipeline.stack.warehouse() as conn:
        conn.row_factory = psycopg.rows.dict_row  # type: ignore[assignment]
        return conn.execute(MONTH_SQL, {"month": month}).fetchone()  # type: ignore[return-value]


def text(value: str) -> str:
    """Rendered text with tags stripped, entities decoded and every kind of space made plain."""
    value = html.unescape(re.sub(r"<[^>]+>", " ", value))
    return re.sub(r"[\s\u00a0\u202f]+", " ", value).strip()


def cards(page: str) -> dict[str, dict[str, str]]:
    found = {}
    for key, body in re.findall(r'<article class="kpi" data-kpi="(\w+)">(.*?)</article>', page, re.S):
        found[key] = {
            "value": text(re.search(r"data-value>(.*?)</p>", body, re.S).group(1)),  # type: ignore[union-attr]
            "mom": text(re.search(r"data-mom>(.*?)</b>", body, re.S).group(1)),  # type: ignore[union-attr]
            "yoy": text(re.search(r"data-yoy>(.*?)</b>", body, re.S).group(1)),  # type: ignore[union-attr]
        }
    return found


def table_rows(page: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table class="rank" id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, f"table {table_id} not found"
    return [
        [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def change(current: object, previous: object) -> Decimal | None:
    if previous in (None, 0) or current is None:
        return None
    return (Decimal(str(current)) - Decimal(str(previous))) / Decimal(str(previous))


def formatted(kind: str, value: object) -> str:
    return text(monthly.FORMATTERS[kind](value))


def months_of_data(pipeline: Pipeline) -> list[date]:
    return [r[0] for r in pipeline.query("select distinct sale_month from marts.fct_transactions order by 1")]


def page(pipeline: Pipeline, month: date) -> str:
    return (pipeline.reports / f"sales-{month:%Y-%m}.html").read_text(encoding="utf-8")


# --- tests ---------------------------------------------------------------------------
def test_a_report_for_every_month_of_the_demo_data(pipeline: Pipeline) -> None:
    months = months_of_data(pipeline)
    assert months[0] == date(2023, 1, 1) and len(months) >= 19
    expected = {f"sales-{m:%Y-%m}.html" for m in months}
    assert expected <= {p.name for p in pipeline.reports.glob("*.html")}
    if need("chromium"):
        assert {n.replace(".html", ".pdf") for n in expected} <= {p.name for p in pipeline.reports.glob("*.pdf")}


def test_kpis_and_changes_equal_the_marts_for_every_month(pipeline: Pipeline) -> None:
    mismatches = []
    for month in months_of_data(pipeline):
        shown = cards(page(pipeline, month))
        assert set(shown) == set(KINDS), month
        now = marts_month(pipeline, month)
        prev_month = marts_month(
            pipeline, (month.replace(day=1) - __import__("datetime").timedelta(days=1)).replace(day=1)
        )
        prev_year = marts_month(pipeline, month.replace(year=month.year - 1))
        for key, kind in KINDS.items():
            prev_m = prev_month[key] if prev_month["transactions"] else None
            prev_y = prev_year[key] if prev_year["transactions"] else None
            expected = {
                "value": formatted(kind, now[key]),
                "mom": text(fmt.signed_pct(change(now[key], prev_m))),
                "yoy": text(fmt.signed_pct(change(now[key], prev_y))),
            }
            if shown[key] != expected:
                mismatches.append((f"{month:%Y-%m}", key, shown[key], expected))
    assert not mismatches, mismatches[:10]


def test_brand_model_and_client_tables_equal_the_marts(pipeline: Pipeline) -> None:
    report = page(pipeline, CHECKED_MONTH)
    total = marts_month(pipeline, CHECKED_MONTH)["turnover"]
    brands = pipeline.query(
        """select c.brand, count(*), sum(t.quantity), sum(t.turnover) from marts.fct_transactions t
           join marts.dim_cars c using (product_id) where t.sale_month = %s group by c.brand
           order by sum(t.turnover) desc""",
        (CHECKED_MONTH,),
    )
    expected_brands = [
        [str(i), b, text(fmt.number(n)), text(fmt.number(u)), text(fmt.money(t)), text(fmt.pct(t / total))]
        for i, (b, n, u, t) in enumerate(brands, 1)
    ]
    assert table_rows(report, "table-brands") == expected_brands

    models = dict(
        ((f"{b} {m}"), t)
        for b, m, t in pipeline.query(
            """select c.brand, c.model, sum(t.turnover) from marts.fct_transactions t
               join marts.dim_cars c using (product_id) where t.sale_month = %s group by 1, 2""",
            (CHECKED_MONTH,),
        )
    )
    shown_models = table_rows(report, "table-models")
    assert len(shown_models) == min(monthly.TOP_N, len(models))
    for row in shown_models:
        assert row[3] == text(fmt.money(models[row[1]])), row
    assert [r[3] for r in shown_models] == [text(fmt.money(t)) for t in sorted(models.values(), reverse=True)[:10]]

    clients = pipeline.query(
        """select d.client_name, sum(t.turnover) from marts.fct_transactions t
           join marts.dim_clients d using (client_id) where t.sale_month = %s group by 1""",
        (CHECKED_MONTH,),
    )
    by_name = dict(clients)
    shown_clients = table_rows(report, "table-clients")
    assert len(shown_clients) == min(monthly.TOP_N, len(clients))
    for row in shown_clients:
        assert row[5] == text(fmt.money(by_name[row[1]])), row
    top = sorted((t for _, t in clients), reverse=True)[: monthly.TOP_N]
    assert [r[5] for r in shown_clients] == [text(fmt.money(t)) for t in top]


def test_data_quality_footer_equals_the_warehouse(pipeline: Pipeline) -> None:
    report = page(pipeline, CHECKED_MONTH)
    (quarantined,) = pipeline.one(
        "select coalesce(sum(quarantined_rows), 0) from reports.rpt_quarantine_monthly where month = %s",
        (CHECKED_MONTH,),
    )
    footer = text(re.search(r'id="quarantine-total">(.*?)</p>', report, re.S).group(1))  # type: ignore[union-attr]
    assert footer.startswith(f"Rows quarantined for July 2024: {text(fmt.number(quarantined))}")
    quality = pipeline.query("select source, rows_loaded, rows_current, last_loaded_at from reports.rpt_data_quality")
    shown = {row[0]: row for row in table_rows(report, "table-quality")}
    assert set(shown) == {q[0] for q in quality} >= {"cars", "clients", "transactions"}
    for source, loaded, current, last in quality:
        assert shown[source][1:3] == [text(fmt.number(loaded)), text(fmt.number(current))]
        assert shown[source][4] == fmt.timestamp(last)
    assert shown["transactions"][2] == text(fmt.number(pipeline.one("select count(*) from marts.fct_transactions")[0]))


EXTERNAL = re.compile(
    r"""\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)


def test_html_is_self_contained(pipeline: Pipeline) -> None:
    for path in sorted(pipeline.reports.glob("*.html")):
        content = path.read_text(encoding="utf-8")
        assert not EXTERNAL.search(content), f"{path.name}: {EXTERNAL.search(content)}"
        assert "<script" not in content and "<link" not in content, path.name
        assert content.count("<svg") == 4, path.name  # daily, brands, models, trend: inline


def test_pdf_pages_and_text(pipeline: Pipeline) -> None:
    need("chromium")
    pdftotext, pdfinfo = need("pdftotext"), need("pdfinfo")
    pdf = pipeline.reports / f"sales-{CHECKED_MONTH:%Y-%m}.pdf"
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert 2 <= pages <= 4, info
    assert "A4" in info or "595" in info, info
    content = text(
        subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    )
    now = marts_month(pipeline, CHECKED_MONTH)
    for expected in (
        "July 2024",
        "Sales from 01/07/2024 to 31/07/2024",
        text(fmt.money(now["turnover"])),
        text(fmt.number(now["transactions"])),
        text(fmt.money(now["avg_basket"])),
        "Daily turnover by brand",
        "Top clients",
        "Data quality",
        "Rows quarantined for July 2024",
    ):
        assert expected in content, expected
    top_client = pipeline.one(
        """select d.client_name from marts.fct_transactions t join marts.dim_clients d using (client_id)
           where t.sale_month = %s group by 1 order by sum(t.turnover) desc limit 1""",
        (CHECKED_MONTH,),
    )[0]
    assert top_client in content
    # every month's PDF has at least one page and the month's name
    for path in sorted(pipeline.reports.glob("*.pdf")):
        first = subprocess.run([pdftotext, "-l", "1", str(path), "-"], capture_output=True, text=True, check=True)
        month = date.fromisoformat(path.stem.removeprefix("sales-") + "-01")
        assert fmt.month_label(month) in first.stdout, path.name


def test_default_month_is_the_latest_complete_one(pipeline: Pipeline, tmp_path: Path) -> None:
    (expected,) = pipeline.one(
        """select max(sale_month) from marts.fct_transactions
           where sale_month < date_trunc('month', now() at time zone 'Europe/Paris')"""
    )
    result = pipeline.stack.meltano("invoke", "reports", "monthly", "--no-pdf", env={"REPORTS_DIR": str(tmp_path)})
    assert [p.name for p in tmp_path.iterdir()] == [f"sales-{expected:%Y-%m}.html"]
    assert str(tmp_path / f"sales-{expected:%Y-%m}.html") in result.stdout


def test_html_without_pdf_renderer_says_why(
    pipeline: Pipeline,
    reader_environ: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("REPORTS_PDF_ENGINE", "chromium")
    with caplog.at_level(logging.WARNING, logger="infinit_report"):
        assert monthly.main(["monthly", "--month", "2024-07", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "sales-2024-07.html").exists()
    assert not (tmp_path / "sales-2024-07.pdf").exists()
    assert "PDF not produced for sales-2024-07.html: no Chromium found" in caplog.text


def test_reader_session_is_read_only(pipeline: Pipeline, reader_environ: dict[str, str]) -> None:
    (raw_table,) = pipeline.one("select table_name from information_schema.tables where table_schema = 'raw' limit 1")
    with queries.connect() as conn:
        assert conn.execute("show default_transaction_read_only").fetchone()["default_transaction_read_only"] == "on"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create table reports.must_not_exist (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'select 1 from raw."{raw_table}" limit 1')
