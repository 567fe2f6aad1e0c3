"""The fast path (tap-csv BATCH files) lands the same warehouse as the plain record path.

Two fresh warehouses get the same demo drop; one loads it the plain way, `tap-csv--records
target-postgres--stock` (RECORD messages into MeltanoLabs' stock sink), the other the project's
way, `tap-csv target-postgres` (gzipped JSON Lines BATCH files, here 1,000 rows each so that
several files travel, into the project's sink, load/target-postgres). Both then run dbt; a +1%
append and an incremental EL + dbt follow. Every mart and report table must hold the same rows,
load-time columns aside.
"""

from __future__ import annotations

import pytest

from bench import data
from tests.support.stack import Stack

pytestmark = pytest.mark.slow

TRANSACTIONS = 3000
DELTA = 30
# Columns that record when or from where a row was loaded, not what it says (moved_from_sale_date
# depends on how a sale's versions were split over runs).
LOAD_TIME_COLUMNS = {
    "loaded_at", "last_loaded_at", "_dbt_updated_at", "source_file", "first_loaded_at", "moved_from_sale_date",
}  # fmt: skip


PLAIN = ("tap-csv--records", "target-postgres--stock")
FAST = ("tap-csv", "target-postgres")


def load_and_build(stack: Stack, extractor: str, loader: str) -> None:
    stack.meltano("run", "tap-postgres", loader)
    stack.meltano("run", extractor, loader)
    stack.meltano("run", "dbt:build")


def batch_env(stack: Stack) -> dict[str, str]:
    root = stack.home / "batches"
    config = (
        '{"encoding": {"format": "jsonl", "compression": "gzip"},'
        f' "storage": {{"root": "file://{root}", "prefix": "t-"}}, "batch_size": 1000}}'
    )
    return {"TAP_CSV_BATCH_CONFIG": config}


def snapshot(stack: Stack) -> dict[str, list[tuple]]:
    """Every table of marts and reports, sorted, without its load-time columns."""
    tables = stack.query(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('marts', 'reports') and table_type = 'BASE TABLE' order by 1, 2"
    )
    out: dict[str, list[tuple]] = {}
    for schema, table in tables:
        columns = [
            name
            for (name,) in stack.query(
                "select column_name from information_schema.columns"
                " where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            )
            if name not in LOAD_TIME_COLUMNS and not name.startswith("_sdc_")
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        out[f"{schema}.{table}"] = stack.query(f'select {listed} from "{schema}"."{table}" order by {listed}')
    return out


@pytest.fixture
def two_stacks(stack: Stack) -> tuple[Stack, Stack]:
    plain, fast = stack.fresh("bench_plain"), stack.fresh("bench_batch")
    for child in (plain, fast):
        child.python("-m", "infinit.demo_data", "--transactions", str(TRANSACTIONS), "--out", str(child.drops))
    return plain, fast


def test_batch_path_builds_the_same_marts_as_the_record_path(two_stacks: tuple[Stack, Stack]) -> None:
    plain, fast = two_stacks
    fast.env.update(batch_env(fast))

    load_and_build(plain, *PLAIN)
    load_and_build(fast, *FAST)
    backfill = snapshot(plain)
    assert backfill["marts.fct_transactions"], "the plain path built an empty fact table"
    assert len(backfill["marts.fct_transactions"]) == TRANSACTIONS
    assert snapshot(fast) == backfill

    # +1%: appended to the same file, so both taps read only the new bytes.
    for child in (plain, fast):
        data.append_delta(child.drops / "transactions.csv", DELTA, step=1)
    load_and_build(plain, *PLAIN)
    load_and_build(fast, *FAST)
    incremental = snapshot(plain)
    assert len(incremental["marts.fct_transactions"]) == TRANSACTIONS + DELTA
    assert snapshot(fast) == incremental
    raw = [child.query("select count(*) from raw.transactions")[0][0] for child in (plain, fast)]
    assert raw == [TRANSACTIONS + DELTA] * 2, "the incremental run re-extracted old rows"
