"""Guarantee: a row already in raw that a stricter contract refuses can be withdrawn, by the
procedure docs/operations.md documents ("Withdrawing rows that a stricter contract refuses"):
this test runs the SQL block of that section as it is written, as the loader role, then the
documented dbt command, and checks that the sales left the marts for the rejects and that the
next daily run does not bring them back."""

from __future__ import annotations

import re

import psycopg

from infinit.stack import ROOT, Stack
from tests.reliability import pipeline

SECTION = "### Withdrawing rows that a stricter contract refuses"


def documented_procedure() -> tuple[str, list[str]]:
    """The SQL block of the section, and its dbt command's arguments."""
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text[text.index(SECTION) :]
    sql = re.search(r"```sql\n(.*?)```", section, re.S)
    command = re.search(r"`\.venv/bin/meltano (invoke dbt build[^`]*)`", section)
    assert sql and command, "the section lost its SQL block or its dbt command"
    return sql.group(1), command.group(1).split()


def test_the_documented_procedure_withdraws_rows_from_raw_and_the_marts(stack: Stack) -> None:
    child = stack.fresh("withdraw_rows")
    pipeline.write_demo(child, 300)
    pipeline.elt(child)
    withdrawn = {int(r[0]) for r in child.query("select transaction_id from raw.transactions where price > 25000")}
    assert withdrawn, "the demo data should hold sales above 25000"
    kept = pipeline.fact_ids(child) - withdrawn

    sql, dbt = documented_procedure()
    with psycopg.connect(child.conninfo_as("WAREHOUSE_LOADER"), autocommit=True) as conn:
        conn.execute(sql)  # begin ... commit, as written
    pipeline.meltano(child, *dbt)

    assert pipeline.fact_ids(child) == kept
    assert child.query("select count(*) from marts.fct_transactions where unit_price > 25000") == [(0,)]
    reasons = child.query("select count(*) from staging.stg_files__file_rejects where reason like 'withdrawn: %'")
    assert reasons == [(len(withdrawn),)]
    before = pipeline.fingerprint(child)
    pipeline.elt(child)  # the next daily run: the files are unchanged, nothing comes back
    assert pipeline.diff(before, pipeline.fingerprint(child)) == []
