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

import pyarrow.parquet as pq
from contract_rows import FIRST_SALE, HEADER, LAST_SALE, ROWS, Value, accepted, field, refused
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tap_runs import CONTRACTS, config_for, parquet_run, row_by_row, run_tap, without_extraction_time

from tap_csv import client, csv_reader
from tap_csv.contracts import INT64, Contract

CONTRACT = Contract.load(CONTRACTS / "transactions.yml")


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
    with mock.patch.object(client, "CHUNK_ROWS", size):
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
        with mock.patch.object(csv_reader, "csv_blocks", row_by_row):
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


def storable(text: str) -> bool:
    """What PostgreSQL text holds: no NUL, and valid UTF-8 (no lone surrogate)."""
    return "\x00" not in text and text.encode(errors="replace") == text.encode(errors="ignore")


# any character, and often those that need care: NUL, half of an emoji's surrogate pair, an emoji
CHARACTERS = st.one_of(st.characters(), st.sampled_from(["\x00", "\ud83d", "\ude97", "\U0001f697", " "]))


@settings(max_examples=80, deadline=None)
@given(names=st.lists(st.text(CHARACTERS, max_size=12), min_size=1, max_size=8))
def test_text_is_loaded_only_when_a_text_column_can_store_it(names: list[str]) -> None:
    """clients.json names of any code points, NUL and lone surrogates (JSON `\\ud83d`) included:
    a name that PostgreSQL text cannot hold is an invalid_string reject; every other one is
    written to Parquet as it was, and nothing raises."""
    names = json.loads(json.dumps(names))  # what the file says: a high and low surrogate side by side are one emoji
    with TemporaryDirectory() as tmp:
        folder = Path(tmp)
        objects = [{"client_id": n, "name": name} for n, name in enumerate(names)]
        (folder / "clients.json").write_text(json.dumps(objects))  # ASCII, with \uXXXX escapes
        batch = {"encoding": {"format": "parquet"}, "storage": {"root": f"file://{folder}", "prefix": "c-"}}
        config = config_for({"entity": "clients", "path": str(folder / "clients.json")}, batch_config=batch)
        run = run_tap(config)
        files = sorted(folder.glob("c-*.parquet"))
        loaded = [name for path in files for name in pq.read_table(path)["name"].to_pylist()]
    assert loaded == [name for name in names if storable(name) and name.strip()]
    reasons = [r["reason"].split(":")[0] for r in run.rows("file_rejects")]
    assert len(loaded) + len(reasons) == len(names)
    assert reasons.count("invalid_string") == sum(not storable(name) for name in names)
