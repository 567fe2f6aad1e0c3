"""BATCH files in Parquet, built a column at a time with pyarrow.

A Parquet batch file carries typed columns: the target can turn a whole file into COPY input
in C (load/target-postgres), where a JSON Lines file has to be decoded and re-formatted value
by value in Python on both sides. The columns follow the stream's JSON schema:

- `integer` -> int64, `boolean` -> bool, `string` (date-time included, as the ISO text the
  JSON Lines path writes) -> string;
- `number` -> an exact decimal of the precision and scale its values need (decimal128, or
  decimal256 past 38 digits): the Decimals the contract parsed, never a float;
- anything else -> what pyarrow infers from the values.

Any Singer target that reads singer-sdk's `parquet` batch encoding reads these files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import uuid4

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tap_csv.columns import RecordColumns, regroup_columns

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BatchConfig

MAX_DECIMAL_DIGITS = 76  # decimal256's precision
PAGE_COMPRESSION = {"gzip": "gzip", "none": "none"}


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
            arrays = [build(values) for build, values in zip(builders, columns, strict=True)]
        except ParquetBatchError as error:
            raise ParquetBatchError(f"stream {stream_name}: {error}") from error
        buffer = pa.BufferOutputStream()  # written whole, then stored in one call
        pq.write_table(pa.Table.from_arrays(arrays, names=names), buffer, compression=compression)
        filename = f"{storage.prefix or ''}{sync_id}-{number}.parquet"
        with storage.open(filename, "wb") as out:
            out.write(buffer.getvalue())
        yield [storage.get_url(filename)]


def column_builder(prop: dict[str, Any]) -> Callable[[list[Any]], pa.Array]:
    """How to build the Arrow array of a column of this JSON schema property."""
    declared = prop.get("type", [])
    types = {declared} if isinstance(declared, str) else set(declared)
    types.discard("null")
    if types == {"integer"}:
        return lambda values: pa.array(values, pa.int64())
    if types == {"boolean"}:
        return lambda values: pa.array(values, pa.bool_())
    if types == {"string"}:
        return lambda values: pa.array(values, pa.string())
    if types == {"number"}:
        return decimal_array
    return pa.array


def decimal_array(values: list[Any]) -> pa.Array:
    """Exact decimals (ints too) as one decimal column of the precision and scale they need.

    pyarrow's own inference from Decimal objects costs ~1.7 µs a value; their text, cast in C,
    costs a sixth of it. The text's scale and digits are measured in C too; only a column with
    an exponent (or a value that is not a number) is written out value by value."""
    kinds = set(map(type, values))
    if kinds <= {Decimal, int, type(None)}:  # what the contracts give: their text, unless an exponent
        text = pa.array([None if value is None else str(value) for value in values], pa.string())
        plain = not pc.any(pc.match_substring(text, "E")).as_py()
    else:
        plain = False
    if not plain:  # 1.5E-7, floats, or a value that is no number (an error)
        text = pa.array([None if value is None else _plain(value) for value in values], pa.string())
    if text.null_count == len(text):
        return pa.array(values, pa.null()) if values else pa.array([], pa.decimal128(1, 0))
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
