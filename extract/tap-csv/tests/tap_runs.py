"""tap-csv's test helpers: run the tap in-process and collect its Singer messages."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tap_csv.csv_reader import CsvLayout, csv_records
from tap_csv.files import LineCursor, RawRecord
from tap_csv.tap import TapCSV

HEADER = "transaction_id,product_id,client_id,quantity,price,timestamp"
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


@dataclass
class Run:
    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return self.records.get(stream, [])

    def files(self, stream: str) -> dict[str, Any]:
        return self.state.get("bookmarks", {}).get(stream, {}).get("files", {})


def run_tap(config: dict[str, Any], state: dict[str, Any] | None = None) -> Run:
    out = io.StringIO()
    tap = TapCSV(config=config, state=state or {}, parse_env_config=False)
    with redirect_stdout(out):
        tap.sync_all()
    messages = [json.loads(line, parse_float=Decimal) for line in out.getvalue().splitlines() if line]
    run = Run(messages)
    for message in messages:
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            run.state = message["value"]
    return run


def config_for(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"files": list(entries), "contracts_dir": str(CONTRACTS), **extra}


def row_by_row(
    cursor: LineCursor, layout: CsvLayout, delimiter: str, quotechar: str, size: int
) -> Iterator[list[RawRecord]]:
    """The reference reading: every record from csv_records, typed one at a time."""
    yield list(csv_records(cursor, layout, delimiter, quotechar))


def parquet_run(config: dict[str, Any], root: Path, size: int) -> tuple[Run, list[pa.Table]]:
    """A tap run writing Parquet BATCH files of `size` rows under `root`, and its transactions files."""
    batch_config = {
        "encoding": {"format": "parquet"},
        "storage": {"root": f"file://{root}", "prefix": "t-"},
        "batch_size": size,
    }
    run = run_tap({**config, "batch_config": batch_config})
    urls = [
        url
        for message in run.messages
        if message["type"] == "BATCH" and message["stream"] == "transactions"
        for url in message["manifest"]
    ]
    return run, [pq.read_table(url.removeprefix("file://")) for url in urls]


def without_extraction_time(row: dict) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "_extracted_at"}
