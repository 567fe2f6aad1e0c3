"""tap-csv reads CSV a block of lines at a time and types clean blocks a column at a time.

Whatever the block size, the records, the rejects (reason, column, line, source text) and the
final bookmarks must be exactly those of the row-by-row reading (csv_records, then one row at a
time through the contract), which every other test of tap-csv pins down.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tap_runs import HEADER, config_for, parquet_run, row_by_row, run_tap, without_extraction_time

from tap_csv import client, contracts, csv_reader

CLEAN = [
    f"{i},{100 + i},{200 + i % 7},{1 + i % 3},{i}.{i % 100:02d},2024-01-{1 + i % 28:02d} 10:{i % 60:02d}:00"
    for i in range(1, 41)
]
TRICKY = [
    *CLEAN[:6],
    '7,107,201,1,"12.50",2024-01-02 10:00:00',  # a quote: the block goes through csv_records
    '8,108,201,1,"1\n2",2024-01-02 10:00:00',  # a quoted value over two lines: invalid_decimal
    "",  # blank line
    "9,109,201,1,3.00,2024-01-02 10:00:00\r",  # CRLF line
    "10,110,abc,1,3.00,2024-01-02 10:00:00",  # invalid_integer
    "3,111,201,1,3.00,2024-01-02 10:00:00",  # id 3 again: loaded (staging keeps the later line)
    "+12,112,201,1,3.00,2024-01-02 10:00:00",  # a sign: per-value path, accepted
    " 13,113,201,1,3.00,2024-01-02 10:00:00",  # a space: per-value path, accepted
    "14,114,201,0,3.00,2024-01-02 10:00:00",  # out_of_range quantity
    "15,115,201,1,3.00",  # wrong_value_count
    "16,116,201,1,3.00,2024-01-02T10:00:00+01:00",  # an offset
    "17,117,201,1,3.00,2024-01-02 10:00:00.250",  # a fraction
    "18,118,201,1,3.00,2024-01-02",  # a date only
    "19,119,201,1,3.00,2024-02-30 10:00:00",  # invalid_timestamp
    "20,120,201,1,1e3,2024-01-02 10:00:00",  # an exponent
    *CLEAN[20:],  # clean blocks (at every size but the largest): typed a column at a time
    "21,123,201,1,3.00,2024-01-02 10:00:00",  # duplicate of a clean row of an earlier block
    "40,140,201,1,3.00,2024-01-02 10:00:00",  # duplicate within the last block
    "1000000000000,121,201,1,3.00,2024-01-02 10:00:00",  # an id far beyond the others
    "1000000000000,122,201,1,3.00,2024-01-02 10:00:00",  # ...repeated
    "41,141,201,1,3.00,2024-01-02 10:00:00",  # the last line, without a newline
]


def extract(config: dict[str, Any]) -> tuple[list[dict], list[dict], dict]:
    """Records, rejects and bookmarks of two tap runs, without the runs' timestamps (the second
    run finds the file unchanged and reads its last line, which has no newline)."""
    first = run_tap(config)
    run = run_tap(config, first.state)
    drop = {"_extracted_at", "last_extracted_at"}
    entity = config["files"][0]["entity"]
    records = [{k: v for k, v in r.items() if k not in drop} for r in first.rows(entity) + run.rows(entity)]
    rejects = [{k: v for k, v in r.items() if k not in drop} for r in first.rows("file_rejects")]
    rejects += [{k: v for k, v in r.items() if k not in drop} for r in run.rows("file_rejects")]
    marks = {f: {k: v for k, v in m.items() if k not in drop} for f, m in run.files(entity).items()}
    return records, rejects, marks


@pytest.mark.parametrize("legacy", [False, True], ids=["clean", "legacy"])
@pytest.mark.parametrize("size", [1, 2, 3, 7, 10_000])
def test_blocks_give_what_row_by_row_gives(
    drops: Path, monkeypatch: pytest.MonkeyPatch, size: int, legacy: bool
) -> None:
    lines = [f"{n},{line}" if legacy and line.strip() else line for n, line in enumerate(TRICKY)]
    (drops / "transactions.csv").write_bytes(("\n".join([HEADER, *lines])).encode())
    config = config_for({"entity": "transactions", "path": str(drops / "transactions*.csv")})
    with monkeypatch.context() as patch:
        patch.setattr(csv_reader, "csv_blocks", row_by_row)
        expected = extract(config)
    monkeypatch.setattr(client, "CHUNK_ROWS", size)
    assert extract(config) == expected
    records, rejects, _ = expected
    # what the reference reading makes of the file: 6 + 20 clean rows and 14 tricky ones kept
    # (a repeated id is no reject: staging keeps the last version delivered)
    assert len(records) == 40
    assert Counter(r["reason"].split(":")[0] for r in rejects) == {
        "invalid_decimal": 1,
        "invalid_integer": 1,
        "out_of_range": 1,
        "wrong_value_count": 1,
        "invalid_timestamp": 1,
    }


def test_strings_of_an_inferred_contract(drops: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No contract file: every column an optional string; blank values are None."""
    (drops / "notes.csv").write_text("id,note\n1,first\n2,\n3,   \n4,last\n5,x\n")
    config = config_for({"entity": "notes", "path": str(drops / "notes*.csv")})
    with monkeypatch.context() as patch:
        patch.setattr(csv_reader, "csv_blocks", row_by_row)
        expected = extract(config)
    for size in (1, 2, 10_000):
        monkeypatch.setattr(client, "CHUNK_ROWS", size)
        assert extract(config) == expected
    assert [r["note"] for r in expected[0]] == ["first", None, None, "last", "x"]


def values_typed_one_by_one(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The values typed one at a time from now on, not as a whole column (a spy on contracts.convert)."""
    one_by_one: list[Any] = []
    convert = contracts.convert

    def spy(spec: Any, value: Any) -> Any:
        one_by_one.append(value)
        return convert(spec, value)

    monkeypatch.setattr(contracts, "convert", spy)
    return one_by_one


def test_a_clean_file_is_typed_a_column_at_a_time(drops: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken: no value of a clean file is typed alone."""
    (drops / "transactions.csv").write_text("\n".join([HEADER, *CLEAN]) + "\n")
    per_value = values_typed_one_by_one(monkeypatch)
    monkeypatch.setattr(client, "CHUNK_ROWS", 16)
    records, rejects, marks = extract(config_for({"entity": "transactions", "path": str(drops / "*.csv")}))
    assert per_value == []
    assert [r["transaction_id"] for r in records] == list(range(1, 41)) and rejects == []
    assert [r["_source_lineno"] for r in records] == list(range(2, 42))
    (mark,) = marks.values()
    assert (mark["rows"], mark["lines"], mark["offset"]) == (40, 41, (drops / "transactions.csv").stat().st_size)


def test_parquet_batch_files_hold_what_the_records_hold(
    drops: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Parquet path takes the blocks' typed columns and the rows typed one by one between
    them: the same values, row for row, as the record path."""
    (drops / "transactions.csv").write_bytes(("\n".join([HEADER, *TRICKY])).encode())
    config = config_for({"entity": "transactions", "path": str(drops / "transactions*.csv")})
    monkeypatch.setattr(client, "CHUNK_ROWS", 7)
    records = run_tap(config)
    batched, tables = parquet_run(config, tmp_path / "batches", 10)
    rows = [row for table in tables for row in table.to_pylist()]
    assert [without_extraction_time(r) for r in rows] == [
        without_extraction_time(r) for r in records.rows("transactions")
    ]
    assert len(rows) == 39  # a repeated key is a later version, not a reject; the last line has no newline
    assert len(batched.rows("file_rejects")) == len(records.rows("file_rejects")) > 0


def test_plain_values_with_leading_zeros_and_signs_keep_the_block_path_on_parquet(
    drops: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leading zeros in integer columns and a sign or leading zeros on prices are plain values:
    the Parquet path types those blocks in C (contracts.arrow_column), and lands what the
    record path gives, row for row, in a decimal column of the digits the values need."""
    odd = [
        f"{i},0{100 + i},00{200 + i % 7},0{1 + i % 3},"  # integers with leading zeros
        f"{'+0' if i % 2 else '00'}{i}.{i % 100:02d},"  # +01.01, 002.02, ... (prices are not negative)
        f"2024-01-0{1 + i % 9} 10:00:00"
        for i in range(1, 31)
    ]
    (drops / "transactions.csv").write_text("\n".join([HEADER, *odd]) + "\n")
    config = config_for({"entity": "transactions", "path": str(drops / "transactions*.csv")})
    monkeypatch.setattr(client, "CHUNK_ROWS", 8)
    records = run_tap(config)
    per_value = values_typed_one_by_one(monkeypatch)
    in_c: list[str] = []
    typed_in_c = contracts.arrow_column

    def block_spy(spec: Any, values: list[str]) -> Any:
        array = typed_in_c(spec, values)
        if array is not None:
            in_c.append(spec.name)
        return array

    monkeypatch.setattr(contracts, "arrow_column", block_spy)
    _, tables = parquet_run(config, tmp_path / "batches", 20)
    rows = [row for table in tables for row in table.to_pylist()]
    assert per_value == []  # every block took the column path
    assert Counter(in_c) == {name: 4 for name in ("transaction_id", "product_id", "client_id", "quantity", "price")}
    expected = [without_extraction_time(r) for r in records.rows("transactions")]
    assert [without_extraction_time(r) for r in rows] == expected
    assert expected[0]["price"] == Decimal("1.01") and expected[1]["price"] == Decimal("2.02")
    # a file per block of 8 lines: 1.01 to 8.08, then up to 30.30
    assert [str(t.schema.field("price").type) for t in tables] == ["decimal128(3, 2)"] + ["decimal128(4, 2)"] * 3
