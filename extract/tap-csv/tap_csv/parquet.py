"""BATCH files in Parquet, built a column at a time with pyarrow.

A Parquet batch file carries typed columns: the target can turn a whole file into COPY input
in C (load/target-postgres), where a JSON Lines file has to be decoded and re-formatted value
by value in Python on both sides. The columns follow the stream's JSON schema:

- `integer` -> int64, `boolean` -> bool, `string` (date-time included, as the ISO text the
  JSON Lines path writes) -> string;
- `number` -> an exact decimal of the precision and scale its values need (decimal128, or
  decimal256 past 38 digits): the Decimals the contract parsed, never a float;
- anything else -> what pyarrow infers from the values.

The integer and unbounded decimal columns of a clean CSV block are typed here, in C
(`block_column`), rather than value by value in Python: ~0.45 s less CPU per 1M rows.

Any Singer target that reads singer-sdk's `parquet` batch encoding reads these files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import chain
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tap_csv.columns import Column, RecordColumns, regroup_columns
from tap_csv.contracts import Field, plain_decimals, plain_integers

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BatchConfig

MAX_DECIMAL_DIGITS = 76  # decimal256's precision
PAGE_COMPRESSION = {"gzip": "gzip", "none": "none"}
_UNPRINTED = re.compile(r"(?:^|\n)(?:\+|-?0[0-9])")  # a plus sign or a leading zero Decimal would drop


class ParquetBatchError(ValueError):
    """A value that a Parquet column of its JSON schema type cannot hold exactly."""


def write_parquet_batches(
    chunks: Iterable[RecordColumns | list[dict[str, Any]]],
    batch_config: BatchConfig,
    tap_name: str,
    stream_name: str,
    schema: dict[str, Any],
) -> Iterator[list[str]]:
    """Write the records of `chunks` (columns, or lists of dict records) to Parquet files of
    `batch_config.batch_size` rows each; yield a one-file manifest per file, once it is complete.

    The column pages are compressed with snappy (half the size, ~2% of the time), or as
    `compression` says: `gzip` (as singer-sdk's own Parquet batcher) or `none`."""
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


def block_column(spec: Field, values: list[str]) -> pa.Array | None:
    """A column of a clean CSV block as an Arrow array, typed in C where that pays: integers
    (int64) and decimals (their text, cast once per file by `decimal_array`), within the
    field's limits and bounds.

    None: the caller types the column in Python (contracts.convert_column), which also decides
    what a value that is not plain means (a blank, a space, past int64, out of range...)."""
    if spec.type == "integer" and plain_integers(values):
        try:
            array = pa.array(values, pa.string()).cast(pa.int64())
        except pa.ArrowInvalid:  # past int64
            return None
        return array if _within_bounds(spec, array) else None
    if spec.type == "decimal":
        lines = "\n".join(values)  # joined once, for both checks
        if not plain_decimals(lines, spec.whole_digits, spec.places):
            return None
        text = pa.array(values, pa.string())
        if _UNPRINTED.search(lines):  # `+012.50` as Decimal prints it, `12.50`: the digits counted
            text = pc.replace_substring_regex(text, r"^(-?)\+?0*([0-9])", r"\1\2")
        if spec.maximum is None and (spec.minimum is None or (spec.minimum == 0 and "-" not in lines)):
            return text  # no bound left to check: the pattern bounded the digits
        # a decimal of the field's precision holds every value: its extremes checked in C
        precision = max(spec.whole_digits + spec.places, 1)
        kind = pa.decimal128 if precision <= 38 else pa.decimal256
        return text if _within_bounds(spec, text.cast(kind(precision, spec.places))) else None
    return None


def _within_bounds(spec: Field, array: pa.Array) -> bool:
    """Whether the smallest and the largest value of `array` pass the field's check."""
    if spec.minimum is None and spec.maximum is None:
        return True
    bounds = pc.min_max(array).as_py()
    if bounds["min"] is None:  # no value
        return True
    try:
        spec.check(bounds["min"])
        spec.check(bounds["max"])
    except ValueError:
        return False
    return True


def column_builder(prop: dict[str, Any]) -> Callable[[list[Column]], pa.Array]:
    """How to build the Arrow array of a column of this JSON schema property from its pieces
    (lists of values, or arrays `block_column` built)."""
    declared = prop.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    types.discard("null")
    if types == {"integer"}:
        return _joined(lambda values: pa.array(values, pa.int64()))
    if types == {"boolean"}:
        return _joined(lambda values: pa.array(values, pa.bool_()))
    if types == {"string"}:
        return _joined(lambda values: pa.array(values, pa.string()))
    if types == {"number"}:
        return decimal_array
    return _joined(pa.array)


def _joined(build: Callable[[list[Any]], pa.Array]) -> Callable[[list[Column]], pa.Array]:
    """`build` over the pieces of a column: over all of them at once when they are all lists
    (one inference for `pa.array`), else over each list, the arrays concatenated."""

    def build_pieces(pieces: list[Column]) -> pa.Array:
        if not any(isinstance(piece, pa.Array) for piece in pieces):
            return build(list(chain.from_iterable(pieces)))
        return pa.concat_arrays([piece if isinstance(piece, pa.Array) else build(piece) for piece in pieces])

    return build_pieces


def decimal_array(pieces: list[Column]) -> pa.Array:
    """Exact decimals (ints too) as one decimal column of the precision and scale they need.

    pyarrow's own inference from Decimal objects costs ~1.7 µs a value; their text, cast in C,
    costs a sixth of it. The text's scale and digits are measured in C too; only a column with
    an exponent (or a value that is not a number) is written out value by value. Pieces that
    `block_column` built are that text already."""
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
