"""No poison rows: whatever a drop holds, tap-csv accepts exactly the rows that fit the contract
(extract/contracts/), never raises on a value, and its two ways of typing a block agree.

Hypothesis writes transactions files of valid, boundary and out-of-range values, each value
generated with whether the contract must accept it; a row must be accepted exactly when all
its values are. The bounds are those the warehouse and dbt need (docs/guarantees.md): the
accepted rows of these files pass a real dbt build in tests/reliability/test_no_poison_rows.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from tempfile import TemporaryDirectory
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tap_csv import streams
from tap_csv.contracts import INT64, Contract

from tests.tap_csv.conftest import CONTRACTS, config_for, run_tap
from tests.tap_csv.test_blocks import HEADER, parquet_run, row_by_row, without_extraction_time

Value = tuple[str, bool]  # a field's text, and whether the contract accepts it
CONTRACT = Contract.load(CONTRACTS / "transactions.yml")
FIRST_SALE = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LAST_SALE = dt.datetime(2099, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def accepted(values: st.SearchStrategy[str]) -> st.SearchStrategy[Value]:
    return values.map(lambda text: (text, True))


def refused(values: st.SearchStrategy[str]) -> st.SearchStrategy[Value]:
    return values.map(lambda text: (text, False))


def field(valid: st.SearchStrategy[Value], invalid: st.SearchStrategy[Value]) -> st.SearchStrategy[Value]:
    """Valid three times in four: a row then often has one bad value among good ones."""
    return st.one_of(valid, valid, valid, invalid)


def integers(low: int, high: int) -> st.SearchStrategy[Value]:
    """An integer field of the bounds [low, high]: inside, on them, just past them, far past int64."""
    return field(
        st.one_of(
            accepted(st.integers(low, high).map(str)),
            accepted(st.sampled_from([str(low), str(high), f"00{low}", f"+{high}"])),
        ),
        st.one_of(
            refused(st.sampled_from([str(low - 1), str(high + 1), str(2**63), str(-(2**63) - 1), "9" * 30])),
            refused(st.sampled_from(["9" * 5000, "1.5", "abc", "1e3", ""])),
        ),
    )


IDS = integers(0, INT64[1])
QUANTITIES = integers(1, 2**31 - 1)
PRICES = field(
    st.one_of(
        accepted(st.decimals(0, Decimal("9999999999.99"), places=2).map(str)),
        accepted(st.sampled_from(["0", "-0.00", "9999999999.99", "0.01", "12", "12.5", "+012.50", "1e2", "1.5e-1"])),
    ),
    refused(st.sampled_from(["-0.01", "10000000000", "1e100", "1" * 30, "12.505", "1.5e-3", "NaN", "inf", "x", ""])),
)
STAMPS = field(
    st.one_of(
        accepted(
            st.datetimes(FIRST_SALE.replace(tzinfo=None), LAST_SALE.replace(tzinfo=None)).map(
                lambda stamp: stamp.isoformat(sep=" ", timespec="seconds")
            )
        ),
        accepted(st.sampled_from(["1970-01-01 00:00:00", "2099-12-31T23:59:59", "2024-07-31T13:00:00+02:00"])),
    ),
    refused(
        st.sampled_from(
            [
                "9999-12-31T23:00:00-05:00",  # past the year 9999 in UTC
                "0001-01-01 00:00:00",
                "1969-12-31 23:59:59",
                "2100-01-01 00:00:00",
                "2099-12-31T23:00:00-05:00",
                "2024-02-30 10:00:00",
                "yesterday",
                "",
            ]
        )
    ),
)
FIELDS = {"transaction_id": IDS, "product_id": IDS, "client_id": IDS, "quantity": QUANTITIES}
FIELDS |= {"price": PRICES, "timestamp": STAMPS}
# Mostly valid rows, so that whole blocks take the column path too.
ROWS = st.lists(
    st.one_of(
        st.tuples(*(accepted(st.just(text)) for text in ("7", "101", "201", "1", "16199.99", "2024-03-05 10:00:00"))),
        st.tuples(*FIELDS.values()),
    ),
    min_size=1,
    max_size=25,
)


def transactions_file(folder: Path, rows: list[tuple[Value, ...]]) -> Path:
    path = folder / "transactions.csv"
    path.write_text("\n".join([HEADER, *(",".join(text for text, _ in row) for row in rows)]) + "\n")
    return path


def comparable(rows: list[dict]) -> list[dict]:
    """Rows without their read time, numbers as the values they are (12.5 = 12.50)."""
    return [{k: float(v) if isinstance(v, Decimal) else v for k, v in without_extraction_time(r).items()} for r in rows]


def check_fits_the_warehouse(record: dict) -> None:
    for name in ("transaction_id", "product_id", "client_id"):
        assert 0 <= record[name] <= INT64[1]
    assert 1 <= record["quantity"] <= 2**31 - 1
    price = Decimal(record["price"])
    assert 0 <= price < 10**10 and price == price.quantize(Decimal("0.01"))
    assert FIRST_SALE <= dt.datetime.fromisoformat(record["timestamp"]) <= LAST_SALE


def with_chunk_rows(size: int, run: Callable[[], object]) -> object:
    with mock.patch.object(streams, "CHUNK_ROWS", size):
        return run()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, chunk_rows=st.sampled_from([1, 4, 10_000]))
def test_the_tap_accepts_exactly_the_rows_that_fit_and_both_paths_agree(
    rows: list[tuple[Value, ...]], chunk_rows: int
) -> None:
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        transactions_file(folder, rows)
        config = config_for({"entity": "transactions", "path": str(folder / "transactions*.csv")})
        with mock.patch.object(streams, "csv_blocks", row_by_row):
            reference = run_tap(config)  # every row typed alone: the reasons' reference
        records = with_chunk_rows(chunk_rows, lambda: run_tap(config))
        batched, tables = with_chunk_rows(chunk_rows, lambda: parquet_run(config, folder / "batches", 10))

    expected_lines = [line for line, row in enumerate(rows, start=2) if all(ok for _, ok in row)]
    loaded = reference.rows("transactions")
    rejects = reference.rows("file_rejects")
    assert [r["_source_lineno"] for r in loaded] == expected_lines
    assert len(loaded) + len(rejects) == len(rows)  # rows in = rows loaded + rows rejected
    for record in loaded:
        check_fits_the_warehouse(record)
    for reject in rejects:
        assert reject["reason"].split(":")[0] in {
            "out_of_range",
            "invalid_integer",
            "invalid_decimal",
            "invalid_timestamp",
            "missing_required",
        }, reject
    # the block paths (records, Parquet columns) give what row by row gives
    assert comparable(records.rows("transactions")) == comparable(loaded)
    assert [without_extraction_time(r) for r in records.rows("file_rejects")] == [
        without_extraction_time(r) for r in rejects
    ]
    parquet_rows = [row for table in tables for row in table.to_pylist()]
    assert comparable(parquet_rows) == comparable(loaded)
    assert len(batched.rows("file_rejects")) == len(rejects)


CLIENT_IDS = field(
    st.one_of(
        accepted(st.integers(0, INT64[1]).map(json.dumps)),
        accepted(st.sampled_from(["0", "9223372036854775807", "201.0", '"202"'])),
    ),
    refused(st.sampled_from(["-1", "9223372036854775808", "9" * 5000, "1e100", "1.5", "true", "null", '"x"', "[1]"])),
)


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(CLIENT_IDS, min_size=1, max_size=10))
def test_json_ids_past_the_bounds_are_rejects_not_exceptions(ids: list[Value]) -> None:
    """clients.json: ids as JSON numbers or strings, -1 (the unknown client) and 2^63 included."""
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        objects = ",\n".join(f'{{"client_id": {text}, "name": "N{n}"}}' for n, (text, _) in enumerate(ids))
        (folder / "clients.json").write_text(f"[\n{objects}\n]\n")
        run = run_tap(config_for({"entity": "clients", "path": str(folder / "clients*.json")}))
    assert len(run.rows("clients")) == sum(ok for _, ok in ids)
    assert len(run.rows("clients")) + len(run.rows("file_rejects")) == len(ids)
    assert all(0 <= r["client_id"] <= INT64[1] for r in run.rows("clients"))
