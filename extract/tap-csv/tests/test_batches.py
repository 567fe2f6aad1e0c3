"""tap-csv's Parquet BATCH writer and its clean-up of finished runs' files."""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from singer_sdk.helpers._batch import BatchConfig

from tap_csv.contracts import Columns, Field, arrow_column, python_column
from tap_csv.writer import STALE_AFTER_SECONDS, decimal_array, remove_stale_batches, write_parquet_batches

RECORDS = [
    {"transaction_id": i, "price": Decimal(f"{i}.10"), "timestamp": "2024-01-01T00:00:00+00:00", "note": None}
    for i in range(1, 26)
]


def rows(records: list[dict]) -> Columns:
    """Records as the stream hands them over: a column per name."""
    names = list(records[0]) if records else []
    return Columns(names, [[record[name] for record in records] for name in names])


# The stream hands the writer pieces of any size (a block of lines each), even empty.
CHUNKS = [rows(RECORDS[:7]), rows(RECORDS[7:8]), rows([]), rows(RECORDS[8:23]), rows(RECORDS[23:])]


def parquet_config(root: Path, compression: str | None, size: int) -> BatchConfig:
    encoding: dict[str, object] = {"format": "parquet"}
    if compression:
        encoding["compression"] = compression
    return BatchConfig.from_dict(
        {"encoding": encoding, "storage": {"root": f"file://{root}", "prefix": "p-"}, "batch_size": size}
    )


def test_stale_files_of_this_stream_only_are_removed(tmp_path: Path) -> None:
    old = time.time() - STALE_AFTER_SECONDS - 60
    names = {
        "p-tap-csv--transactions-a-1.parquet": old,  # a finished run's file: removed
        "p-tap-csv--transactions-b-1.parquet": time.time(),  # maybe still being read: kept
        "p-tap-csv--clients-c-1.parquet": old,  # another stream's: kept
        "notes.txt": old,  # not a batch file: kept
    }
    for name, mtime in names.items():
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (mtime, mtime))
    assert remove_stale_batches(tmp_path, "p-tap-csv--transactions-") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(names) - {"p-tap-csv--transactions-a-1.parquet"})


SCHEMA = {
    "properties": {
        "transaction_id": {"type": ["integer"]},
        "price": {"type": ["number"]},
        "timestamp": {"type": ["string"], "format": "date-time"},
        "note": {"type": ["string", "null"]},
    }
}


def read_parquet(manifest: list[str]) -> pa.Table:
    (url,) = manifest
    return pq.read_table(url.removeprefix("file://"))


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_parquet_files_hold_every_record_exactly_in_order_typed_by_the_schema(
    tmp_path: Path, compression: str | None
) -> None:
    manifests = list(
        write_parquet_batches(CHUNKS, parquet_config(tmp_path, compression, 10), "tap-csv", "transactions", SCHEMA)
    )
    tables = [read_parquet(m) for m in manifests]
    assert [t.num_rows for t in tables] == [7, 1, 15, 2]  # a file per piece, none empty
    assert [r for t in tables for r in t.to_pylist()] == RECORDS  # what a Singer target reads back
    assert tables[0].schema == pa.schema(
        [
            ("transaction_id", pa.int64()),
            ("price", pa.decimal128(3, 2)),  # the digits the values need: "7.10"
            ("timestamp", pa.string()),
            ("note", pa.string()),
        ]
    )
    assert all(m[0].startswith(f"file://{tmp_path}/p-tap-csv--transactions-") for m in manifests)
    assert all(m[0].endswith(".parquet") for m in manifests)


def test_parquet_takes_pieces_of_any_names_in_one_file(tmp_path: Path) -> None:
    """The stream hands over typed columns: in any order of names, with names the schema lacks
    (ignored) or without some (null)."""
    names = ["note", "price", "transaction_id", "_source_lineno"]  # no timestamp, one extra
    block = Columns(names, [[r.get(name, 7) for r in RECORDS[:12]] for name in names])
    empty = Columns(["note", "price"], [[], []])
    manifests = write_parquet_batches(
        [block, empty, rows(RECORDS[12:])], parquet_config(tmp_path, None, 100), "tap-csv", "transactions", SCHEMA
    )
    no_timestamp = [{**r, "timestamp": None} for r in RECORDS[:12]]
    assert [r for m in manifests for r in read_parquet(m).to_pylist()] == no_timestamp + RECORDS[12:]


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (Field("n", "integer"), ["7", "0012", "9223372036854775807", "0"]),
        (Field("n", "integer", minimum=Decimal(1), maximum=Decimal(10)), ["1", "10", "01"]),
        (Field("d", "decimal"), ["16099.89", "+012.50", "-0012.5", "000", "0.5", "-0.00", "7"]),
        (Field("d", "decimal"), ["1" * 38, "0." + "1" * 38]),  # decimal256, the 76 digits a value may need
        (Field("d", "decimal", minimum=0, precision=12, scale=2), ["16099.89", "+012.50", "0", "9999999999.99"]),
    ],
)
def test_block_columns_typed_in_c_write_what_the_python_path_writes(
    tmp_path: Path, field: Field, values: list[str]
) -> None:
    """A clean block's integer and decimal columns, typed by pyarrow from their text: the same
    Parquet column, type and values, as the contract's Python values give."""
    schema = {"properties": {field.name: field.json_schema()}}
    python = python_column(field, values)
    arrow = arrow_column(field, values)
    assert python is not None and arrow is not None

    def written(column: list | pa.Array) -> pa.Table:
        (manifest,) = write_parquet_batches(
            [Columns([field.name], [column])], parquet_config(tmp_path, None, 100), "t", "s", schema
        )
        return read_parquet(manifest)

    assert written(arrow).equals(written(python))


@pytest.mark.parametrize(
    ("field", "values"),
    [
        (Field("n", "integer"), ["9223372036854775808"]),  # past int64
        (Field("n", "integer"), ["1", ""]),  # a blank
        (Field("n", "integer"), ["+1"]),  # a sign
        (Field("n", "integer", minimum=Decimal(1)), ["1", "0"]),  # out of range
        (Field("n", "integer", maximum=Decimal(9)), ["10"]),
        (Field("d", "decimal", minimum=Decimal(0)), ["1.5", "-1.5"]),  # out of range: Python names it
        (Field("d", "decimal", precision=12, scale=2), ["1.505"]),  # more places than the scale
        (Field("d", "decimal", precision=12, scale=2), ["1" * 11]),  # more digits than the precision
        (Field("d", "decimal"), ["1" * 39]),  # past what any decimal may hold
        (Field("d", "decimal"), ["1e3"]),  # an exponent
        (Field("d", "decimal"), [" 1.5"]),
        (Field("t", "timestamp"), ["2024-01-02 10:00:00"]),  # other types: Python
    ],
)
def test_block_columns_leave_every_other_case_to_the_python_path(field: Field, values: list[str]) -> None:
    assert arrow_column(field, values) is None


@pytest.mark.parametrize(
    ("values", "kind", "text"),
    [
        ([Decimal("1.5E-7"), 12015, None, Decimal("-3")], pa.decimal128(13, 8), ["0.00000015", "12015", None, "-3"]),
        ([Decimal("0.1234567890123456789")], pa.decimal128(20, 19), ["0.1234567890123456789"]),
        ([Decimal("1" * 40)], pa.decimal256(40, 0), ["1" * 40]),
        ([None, None], pa.null(), [None, None]),
    ],
)
def test_numbers_are_exact_decimals_of_the_digits_they_need(values: list, kind: pa.DataType, text: list) -> None:
    array = decimal_array(values)
    assert array.type == kind
    assert [None if v is None else Decimal(v) for v in text] == array.to_pylist()


def test_stale_parquet_files_are_removed_too(tmp_path: Path) -> None:
    old = time.time() - STALE_AFTER_SECONDS - 60
    for name in ("p-tap-csv--transactions-a-1.parquet", "p-tap-csv--transactions-a-1.parquet.txt"):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (old, old))
    assert remove_stale_batches(tmp_path, "p-tap-csv--transactions-") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["p-tap-csv--transactions-a-1.parquet.txt"]
