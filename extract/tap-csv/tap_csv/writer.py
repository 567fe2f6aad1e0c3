"""The tap's one writer: its records as Singer RECORD messages, or as Parquet BATCH files.

RECORD messages go through singer-sdk's msgspec encoder: the default writer's lines for less CPU.
Parquet files carry typed columns built with pyarrow, so the target turns a whole file into COPY
input in C (load/target-postgres); any target that reads singer-sdk's `parquet` encoding reads
them. JSON schema `integer` -> int64, `boolean` -> bool, `string` (date-time too, as ISO text) ->
string, `number` -> an exact decimal of the digits its values need (never a float), else what
pyarrow infers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import chain, repeat
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

MAX_DECIMAL_DIGITS = 76  # decimal256's precision
PAGE_COMPRESSION = {"gzip": "gzip", "none": "none"}
# The target reads each file while the run that wrote it goes on, and never deletes it. Runs of
# one tap are serialised (Meltano's state lock) and take minutes, so a file this old belongs
# to a finished run: the next run removes it.
STALE_AFTER_SECONDS = 6 * 3600


class ParquetBatchError(ValueError):
    """A value that a Parquet column of its JSON schema type cannot hold exactly."""


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
    chunks: Iterable[Columns],
    batch_config: BatchConfig,
    tap_name: str,
    stream_name: str,
    schema: dict[str, Any],
) -> Iterator[list[str]]:
    """The records of `chunks` in Parquet files of `batch_config.batch_size` rows: a one-file
    manifest per file once it is written. Pages compressed with snappy unless `compression` says
    `gzip` (singer-sdk's own Parquet batcher) or `none`."""
    storage = batch_config.storage
    compression = PAGE_COMPRESSION.get(batch_config.encoding.compression or "", "snappy")
    names = list(schema["properties"])
    builders = [column_builder(schema["properties"][name]) for name in names]
    sync_id = f"{tap_name}--{stream_name}-{uuid4()}"
    for number, columns in enumerate(regroup_columns(chunks, names, batch_config.batch_size), start=1):
        try:
            arrays = [build(pieces) for build, pieces in zip(builders, columns, strict=True)]
        except ParquetBatchError as error:
            raise ParquetBatchError(f"stream {stream_name}: {error}") from error
        buffer = pa.BufferOutputStream()  # written whole, then stored in one call
        pq.write_table(pa.Table.from_arrays(arrays, names=names), buffer, compression=compression)
        filename = f"{storage.prefix or ''}{sync_id}-{number}.parquet"
        with storage.open(filename, "wb") as out:
            out.write(buffer.getvalue())
        yield [storage.get_url(filename)]


def regroup_columns(chunks: Iterable[Columns], names: list[str], size: int) -> Iterator[list[list[Column]]]:
    """The values of `chunks` in groups of `size` rows (the last shorter, none empty): per name
    in `names`, the pieces of its column in order (lists or arrays, sliced where a group ends)."""
    pending: list[list[Column]] = [[] for _ in names]
    count = 0
    for chunk in chunks:
        rows = len(chunk)
        if not rows:
            continue
        by_name = dict(zip(chunk.names, chunk.columns, strict=True))
        for pieces, name in zip(pending, names, strict=True):
            pieces.append(by_name[name] if name in by_name else [None] * rows)  # a name the chunk lacks: null
        count += rows
        while count >= size:
            yield [_take(pieces, size) for pieces in pending]
            count -= size
    if count:
        yield pending


def _take(pieces: list[Column], count: int) -> list[Column]:
    """The first `count` rows of a column's pieces, removed from `pieces`."""
    taken: list[Column] = []
    while count:
        piece = pieces[0]
        if len(piece) <= count:
            taken.append(pieces.pop(0))
            count -= len(piece)
        else:
            taken.append(piece[:count])
            pieces[0] = piece[count:]
            count = 0
    return taken


ARROW_TYPES = {"integer": pa.int64(), "boolean": pa.bool_(), "string": pa.string()}


def column_builder(prop: dict[str, Any]) -> Callable[[list[Column]], pa.Array]:
    """How to build the Arrow array of a column of this JSON schema property from its pieces
    (lists of values, or Arrow arrays): one exact type where the property has one."""
    declared = prop.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared) - {"null"}
    if types == {"number"}:
        return decimal_array
    kind = ARROW_TYPES.get(types.pop()) if len(types) == 1 else None

    def build(pieces: list[Column]) -> pa.Array:
        if not any(isinstance(piece, pa.Array) for piece in pieces):  # one inference over all values
            return pa.array(list(chain.from_iterable(pieces)), kind)
        return pa.concat_arrays([piece if isinstance(piece, pa.Array) else pa.array(piece, kind) for piece in pieces])

    return build


def decimal_array(pieces: list[Column]) -> pa.Array:
    """Exact decimals (ints too) as one decimal column of the precision and scale they need:
    their text (Arrow pieces are that already) measured and cast in C, which is much cheaper
    than pyarrow's inference from Decimal objects."""
    texts = [piece if isinstance(piece, pa.Array) else _decimal_text(piece) for piece in pieces]
    text = texts[0] if len(texts) == 1 else pa.concat_arrays(texts)
    if text.null_count == len(text):
        return pa.nulls(len(text)) if len(text) else pa.array([], pa.decimal128(1, 0))
    digits = pc.utf8_length(pc.replace_substring(text, "-", ""))
    point = pc.find_substring(text, ".")
    has_point = pc.greater_equal(point, 0)
    scale = pc.if_else(has_point, pc.subtract(pc.subtract(pc.utf8_length(text), point), 1), 0)
    whole = pc.subtract(pc.if_else(has_point, pc.subtract(digits, 1), digits), scale)
    max_scale = pc.max(scale).as_py()
    precision = max(pc.max(whole).as_py() + max_scale, 1)
    if precision > MAX_DECIMAL_DIGITS:
        raise ParquetBatchError(f"a number needs {precision} digits; Parquet decimals hold {MAX_DECIMAL_DIGITS}")
    kind = pa.decimal128 if precision <= 38 else pa.decimal256
    try:
        return text.cast(kind(precision, max_scale))
    except pa.ArrowInvalid as error:  # NaN, Infinity: no decimal holds them
        raise ParquetBatchError(f"not an exact decimal: {error}") from error


def _decimal_text(values: list[Any]) -> pa.Array:
    """The exact text of each number (None stays null), without exponent."""
    kinds = set(map(type, values))
    if kinds <= {Decimal, int, type(None)}:  # what the contracts give: their text, unless an exponent
        text = pa.array([None if value is None else str(value) for value in values], pa.string())
        if not pc.any(pc.match_substring(text, "E")).as_py():
            return text
    # 1.5E-7, floats, or a value that is no number (an error)
    return pa.array([None if value is None else _plain(value) for value in values], pa.string())


def _plain(value: Any) -> str:
    """A number's exact text without an exponent (`1.5E-7` -> `0.00000015`)."""
    if isinstance(value, Decimal):
        text = str(value)
        return text if "E" not in text else f"{value:f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):  # JSON numbers another tap may hand over: their shortest exact repr
        return format(Decimal(repr(value)), "f")
    raise ParquetBatchError(f"{value!r} is not a number")


def remove_stale_batches(folder: Path, prefix: str) -> int:
    """Delete this stream's batch files in `folder` older than STALE_AFTER_SECONDS; how many."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    removed = 0
    for path in folder.glob(f"{prefix}*"):
        if not path.name.endswith(".parquet"):
            continue
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile by another run's clean-up
            continue
    return removed
