"""tap-csv's own JSON Lines BATCH writer and its clean-up of finished runs' files."""

from __future__ import annotations

import gzip
import json
import os
import time
from decimal import Decimal
from pathlib import Path

from singer_sdk.helpers._batch import BatchConfig
from tap_csv.batches import STALE_AFTER_SECONDS, remove_stale_batches, write_jsonl_batches

RECORDS = [
    {"transaction_id": i, "price": Decimal(f"{i}.10"), "timestamp": "2024-01-01T00:00:00+00:00", "note": None}
    for i in range(1, 26)
]
# The stream hands the writer lists of records of any size (a block of lines each), even empty.
CHUNKS = [RECORDS[:7], RECORDS[7:8], [], RECORDS[8:23], RECORDS[23:]]


def config(root: Path, compression: str | None, size: int) -> BatchConfig:
    encoding: dict[str, object] = {"format": "jsonl"}
    if compression:
        encoding["compression"] = compression
    return BatchConfig.from_dict(
        {"encoding": encoding, "storage": {"root": f"file://{root}", "prefix": "p-"}, "batch_size": size}
    )


def read_manifest(manifest: list[str]) -> list[dict[str, object]]:
    (url,) = manifest
    path = Path(url.removeprefix("file://"))
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [json.loads(line, parse_float=Decimal) for line in data.decode().splitlines()]


def test_gzip_files_of_batch_size_rows_hold_every_record_exactly_in_order(tmp_path: Path) -> None:
    manifests = list(write_jsonl_batches(CHUNKS, config(tmp_path, "gzip", 10), "tap-csv", "transactions"))
    assert [len(read_manifest(m)) for m in manifests] == [10, 10, 5]
    assert [r for m in manifests for r in read_manifest(m)] == RECORDS  # decimals exact, nulls kept
    assert all(m[0].startswith(f"file://{tmp_path}/p-tap-csv--transactions-") for m in manifests)
    assert all(m[0].endswith(".json.gz") for m in manifests)


def test_uncompressed_when_asked(tmp_path: Path) -> None:
    (manifest,) = write_jsonl_batches(CHUNKS, config(tmp_path, None, 100), "tap-csv", "transactions")
    assert manifest[0].endswith(".json")
    assert read_manifest(manifest) == RECORDS


def test_no_records_no_file(tmp_path: Path) -> None:
    assert list(write_jsonl_batches([[], []], config(tmp_path, "gzip", 10), "tap-csv", "transactions")) == []
    assert list(tmp_path.iterdir()) == []


def test_stale_files_of_this_stream_only_are_removed(tmp_path: Path) -> None:
    old = time.time() - STALE_AFTER_SECONDS - 60
    names = {
        "p-tap-csv--transactions-a-1.json.gz": old,  # a finished run's file: removed
        "p-tap-csv--transactions-b-1.json.gz": time.time(),  # maybe still being read: kept
        "p-tap-csv--clients-c-1.json.gz": old,  # another stream's: kept
        "notes.txt": old,  # not a batch file: kept
    }
    for name, mtime in names.items():
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (mtime, mtime))
    assert remove_stale_batches(tmp_path, "p-tap-csv--transactions-") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(set(names) - {"p-tap-csv--transactions-a-1.json.gz"})
