"""Guarantee: staging reads each raw time column by its type (transform/macros/time.sql), so
the loader's own tables (`timestamp`, UTC wall time), a raw table created beforehand with
`timestamptz` columns (docs/extract.md), and such a table with the loader's `_sdc_batched_at`
added beside them as `timestamp` build the same marts: every sale of the drops in the fact
once, at its instant, and the incremental runs equal a `--full-refresh`, with every session in
a time zone other than UTC (a server's `timezone` setting; here PGTZ).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from infinit.stack import Stack
from tests.reliability import pipeline

TOKYO = {"PGTZ": "Asia/Tokyo"}
RAW_TRANSACTIONS = (
    "create table raw.transactions (transaction_id bigint, product_id bigint, client_id bigint, "
    "quantity bigint, price numeric, timestamp timestamptz, _source_file text, _source_lineno bigint, "
    "_source_file_mtime timestamptz, _extracted_at timestamptz{batched})"
)


@pytest.mark.parametrize(
    ("batched", "batched_type"),
    [
        (None, "timestamp without time zone"),  # the loader creates the table
        ("", "timestamp without time zone"),  # the loader adds _sdc_batched_at: two types in one table
        (", _sdc_batched_at timestamptz", "timestamp with time zone"),
    ],
    ids=["loader", "mixed", "all-timestamptz"],
)
def test_a_precreated_timestamptz_raw_table_gives_the_full_refresh_marts(
    fresh_stack: Stack, batched: str | None, batched_type: str
) -> None:
    stack = fresh_stack
    pipeline.write_demo(stack, 300, shape="clean", months=("2024-01", "2024-02"))
    if batched is not None:
        with stack.warehouse() as conn:  # by the loader role, as docs/extract.md says: dbt may read it
            conn.execute(f'set role "{stack.env["WAREHOUSE_LOADER_USER"]}"')
            conn.execute(RAW_TRANSACTIONS.format(batched=batched))
    stack.run(*pipeline.elt_argv(), env=TOKYO)
    late = pipeline.daily_rows(1, 25, first=date(2024, 3, 1), first_id=900_001)[0]
    pipeline.append_rows(stack.drops / "transactions.csv", late, legacy=False)
    stack.run(*pipeline.elt_argv(), env=TOKYO)

    types = dict(
        stack.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'transactions'"
        )
    )
    assert types["_sdc_batched_at"] == batched_type
    assert pipeline.fact_ids(stack) == pipeline.csv_transaction_ids(stack.drops)
    sold = dict(stack.query("select transaction_id, sold_at from marts.fct_transactions where transaction_id > 900000"))
    assert sold == {int(row[0]): datetime.fromisoformat(row[5]).replace(tzinfo=UTC) for row in late}
    incremental = pipeline.fingerprint(stack)
    pipeline.meltano(stack, "invoke", "dbt", "build", "--full-refresh", env=TOKYO)
    assert pipeline.diff(incremental, pipeline.fingerprint(stack)) == []
