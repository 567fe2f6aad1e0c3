"""The tap's one writer: its records as Singer RECORD messages, or as Parquet BATCH files.

RECORD messages go through singer-sdk's msgspec encoder: the default writer's lines for less CPU.
A Parquet file holds one piece of typed columns, so the target turns it into COPY input in C
(load/target-postgres); any target that reads singer-sdk's `parquet` encoding reads it. JSON
schema `integer` -> int64, `boolean` -> bool, `string` (dates too, as ISO text) -> string,
`number` -> an exact decimal of the digits its values need (never a float).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.singerlib.encoding.simple import Message

from tap_csv.contracts import Column, Columns

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BatchConfig

PAGE_COMPRESSION = {"gzip": "gzip", "none": "none"}
ARROW_TYPES = {"integer": pa.int64(), "boolean": pa.bool_(), "string": pa.string()}
# The target reads each file while the run that wrote it goes on, and never deletes it. Runs of
# one tap are serialised (Meltano's state lock) and take minutes, so a file this old belongs
# to a finished run: the next run removes it.
STALE_AFTER_SECONDS = 6 * 3600


class MessageWriter(MsgSpecWriter):
    """msgspec-encoded Singer messages on stdout, flushed, as text where stdout has no bytes
    buffer (a text stream captured in memory)."""

    def write_message(self, message: Message) -> None:
        line = self.format_message(message)
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            sys.stdout.write(line.decode())
        else:
            buffer.write(line)
        sys.stdout.flush()


def records(chunk: Columns, schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of `chunk` as dicts, keys in the columns' order: Arrow columns as Python
    values (a decimal's text as a Decimal), then built with zip(), map() and dict() in C."""
    parts: list[Column] = []
    for name, column in zip(chunk.names, chunk.columns, strict=True):
        if isinstance(column, pa.Array):
            number = "number" in schema["properties"][name].get("type", [])
            column = list(map(Decimal, column.to_pylist())) if number else column.to_pylist()
        parts.append(column)
    return list(map(dict, map(zip, repeat(chunk.names), zip(*parts, strict=True)))) if parts else []


def write_parquet_batches(
    chunks: Iterable[Columns], batch_config: BatchConfig, tap_name: str, stream_name: str, schema: dict[str, Any]
) -> Iterator[list[str]]:
    """A Parquet file per non-empty piece of `chunks` (the stream's pieces hold at most
    `batch_size` rows), a one-file manifest each once it is written. The schema's columns in its
    order; a name the piece lacks is null. Pages compressed with snappy unless `compression` says
    `gzip` (singer-sdk's own Parquet batcher) or `none`."""
    storage = batch_config.storage
    compression = PAGE_COMPRESSION.get(batch_config.encoding.compression or "", "snappy")
    properties = schema["properties"]
    sync_id = f"{tap_name}--{stream_name}-{uuid4()}"
    for number, chunk in enumerate(filter(len, chunks), start=1):
        by_name = dict(zip(chunk.names, chunk.columns, strict=True))
        arrays = [arrow_array(by_name.get(name, [None] * len(chunk)), properties[name]) for name in properties]
        buffer = pa.BufferOutputStream()  # written whole, then stored in one call
        pq.write_table(pa.Table.from_arrays(arrays, names=list(properties)), buffer, compression=compression)
        filename = f"{storage.prefix or ''}{sync_id}-{number}.parquet"
        with storage.open(filename, "wb") as out:
            out.write(buffer.getvalue())
        yield [storage.get_url(filename)]


def arrow_array(column: Column, prop: dict[str, Any]) -> pa.Array:
    """A column (a list of values, or an Arrow array already) as the Arrow type of its property."""
    declared = prop.get("type", [])
    (kind,) = {declared} if isinstance(declared, str) else set(declared) - {"null"}
    if kind == "number":
        return decimal_array(column)
    return column if isinstance(column, pa.Array) else pa.array(column, ARROW_TYPES[kind])


def decimal_array(column: Column) -> pa.Array:
    """Exact decimals as one decimal column of the precision and scale they need: their text
    (an Arrow column is that already) measured and cast in C, much cheaper than pyarrow's
    inference from Decimal objects. Exponents are written out (`1.5E-7`: `0.00000015`)."""
    text = column if isinstance(column, pa.Array) else pa.array([None if v is None else f"{v:f}" for v in column])
    if text.null_count == len(text):
        return pa.nulls(len(text))
    digits = pc.utf8_length(pc.replace_substring(text, "-", ""))
    point = pc.find_substring(text, ".")
    has_point = pc.greater_equal(point, 0)
    scale = pc.if_else(has_point, pc.subtract(pc.subtract(pc.utf8_length(text), point), 1), 0)
    whole = pc.subtract(pc.if_else(has_point, pc.subtract(digits, 1), digits), scale)
    max_scale = pc.max(scale).as_py()
    precision = max(pc.max(whole).as_py() + max_scale, 1)  # at most 76: the contracts allow 38 + 38
    return text.cast((pa.decimal128 if precision <= 38 else pa.decimal256)(precision, max_scale))


def remove_stale_batches(folder: Path, prefix: str) -> int:
    """Delete this stream's batch files in `folder` older than STALE_AFTER_SECONDS; how many."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    removed = 0
    for path in folder.glob(f"{prefix}*.parquet"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile by another run's clean-up
            continue
    return removed
