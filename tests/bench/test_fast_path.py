"""The fast path (tap-csv BATCH files) lands the same warehouse as the plain record path.

Two fresh warehouses get the same demo drop; one loads it the plain way, `tap-csv--records
target-postgres--stock` (RECORD messages into MeltanoLabs' stock sink), the other the project's
way, `tap-csv target-postgres` (Parquet BATCH files, here 1,000 rows each so that several files
travel, into the project's sink, load/target-postgres). Both then run dbt; a +1% append and an
incremental EL + dbt follow.
Every mart and report table must hold the same rows, load-time columns aside.
"""

from __future__ import annotations

import pytest

from bench import data
from infinit.stack import Stack, tap_csv_batches

pytestmark = pytest.mark.slow

TRANSACTIONS = 3000
DELTA = 30
# Columns that record when or from where a row was loaded, not what it says (moved_from_sale_date
# depends on how a sale's versions were split over runs; the snapshot's times on when each stack ran).
LOAD_TIME_COLUMNS = {
    "loaded_at", "last_loaded_at", "_dbt_updated_at", "source_file", "first_loaded_at", "moved_from_sale_date",
    # when the snapshot saw a catalog version, and the ids and hashes made from that time
    "car_version_id", "valid_from", "valid_to", "priced_from", "priced_until", "recorded_at", "left_catalog_at",
    "in_force_from", "in_force_until", "row_hash",
}  # fmt: skip


PLAIN = ("tap-csv--records", "target-postgres--stock")
FAST = ("tap-csv", "target-postgres")


def load_and_build(stack: Stack, extractor: str, loader: str) -> None:
    stack.meltano("run", "tap-postgres", loader)
    stack.meltano("run", extractor, loader)
    stack.meltano("run", "dbt:build")


ENCODINGS = {"parquet": {"format": "parquet"}}


def snapshot(stack: Stack) -> dict[str, list[tuple]]:
    """Every table of marts and reports, sorted, without its load-time columns, as text: the
    same values spelled the same way (`12015`, never `12015.0` from one loader and `12015.00`
    from another)."""
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
        listed = ", ".join(f'"{c}"::text' for c in columns)
        out[f"{schema}.{table}"] = stack.query(f'select {listed} from "{schema}"."{table}" order by {listed}')
    return out


@pytest.fixture
def stacks(stack: Stack) -> dict[str, Stack]:
    """A fresh warehouse and drop per path: the plain one, and one per BATCH encoding."""
    out = {name: stack.fresh(f"bench_{name}") for name in ("plain", *ENCODINGS)}
    for child in out.values():
        child.python("-m", "infinit.demo_data", "--transactions", str(TRANSACTIONS), "--out", str(child.drops))
    for name, encoding in ENCODINGS.items():
        out[name].env.update(tap_csv_batches(out[name].home / "batches", encoding, 1000))
    return out


def test_batch_path_builds_the_same_marts_as_the_record_path(stacks: dict[str, Stack]) -> None:
    plain, fast = stacks["plain"], {name: stacks[name] for name in ENCODINGS}

    load_and_build(plain, *PLAIN)
    backfill = snapshot(plain)
    assert backfill["marts.fct_transactions"], "the plain path built an empty fact table"
    assert len(backfill["marts.fct_transactions"]) == TRANSACTIONS
    for name, child in fast.items():
        load_and_build(child, *FAST)
        assert snapshot(child) == backfill, f"{name}: other marts than the plain path after the backfill"

    # +1%: appended to the same file, so every tap reads only the new bytes.
    for child in stacks.values():
        data.append_delta(child.drops / "transactions.csv", DELTA, step=1)
    load_and_build(plain, *PLAIN)
    incremental = snapshot(plain)
    assert len(incremental["marts.fct_transactions"]) == TRANSACTIONS + DELTA
    for name, child in fast.items():
        load_and_build(child, *FAST)
        assert snapshot(child) == incremental, f"{name}: other marts than the plain path after the increment"
    raw = {name: child.query("select count(*) from raw.transactions")[0][0] for name, child in stacks.items()}
    assert raw == dict.fromkeys(stacks, TRANSACTIONS + DELTA), "an incremental run re-extracted old rows"
