"""The type step: a piece a reader found, as typed columns.

A clean CSV block (`RowBlock.columns`: the text of each column) is typed a column at a time:
integers and decimals by pyarrow in C (`arrow_column`), other types by a check of the whole
column and one conversion (`python_column`). When a value needs more (a blank, a sign, a space,
an invalid value...), the block's rows are typed one by one instead (`Contract.type_record`),
which names the reason of each rejected row. On values they accept, the column paths give
exactly what the per-value parsers give.

A `Columns` holds a piece's records as one column per name (a list, or an Arrow array: a decimal
column's Arrow array holds the exact text of its numbers), then the records typed one by one.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tap_csv.contracts import DECIMAL_DIGITS, Contract, Field

Column = Sequence[Any]  # a list of values, or a pyarrow Array
_UNPRINTED = re.compile(r"(?:^|\n)(?:\+|-?0[0-9])")  # a plus sign or a leading zero Decimal would drop


class Columns:
    """Records as one column per name (every column the same length), then the records that
    `append` adds, typed one by one."""

    def __init__(self, names: list[str], columns: list[Column]) -> None:
        self.names = names
        self.columns = columns
        self.rows: list[dict[str, Any]] = []

    def __len__(self) -> int:
        return (len(self.columns[0]) if self.columns else 0) + len(self.rows)

    def append(self, record: dict[str, Any]) -> None:
        self.rows.append(record)

    def parts(self, names: list[str]) -> Iterator[tuple[int, list[Column]]]:
        """(rows, one column per name in `names`) for the columns, then for the appended
        records; a name the records lack is None in their rows."""
        block_rows = len(self.columns[0]) if self.columns else 0
        if block_rows:
            by_name = dict(zip(self.names, self.columns, strict=True))
            yield block_rows, [by_name[name] if name in by_name else [None] * block_rows for name in names]
        if self.rows:
            yield len(self.rows), [[record.get(name) for record in self.rows] for name in names]


def type_block(contract: Contract, texts: list[list[str]], positions: dict[str, int], count: int) -> Columns | None:
    """The typed columns of a clean block (`texts`: its values column by column, `positions`:
    where each header name is among them), or None when a row must be typed alone."""
    names, typed = [], []
    for spec in contract.fields:
        index = positions.get(spec.name)
        if index is None:  # an optional column the file does not have (the header check passed)
            if spec.required:
                return None
            values: Column | None = [None] * count
        else:
            values = arrow_column(spec, texts[index])
            if values is None:
                values = python_column(spec, texts[index])
        if values is None:
            return None
        names.append(spec.name)
        typed.append(values)
    return Columns(names, typed)


# Each returns the typed column, or None when any value needs the per-value path above (a
# blank, a sign, a space, an invalid value...): the caller then types the rows one by one, and
# that path names the reason of each rejected row. On values they accept, they return exactly
# what the per-value parser returns.

# Hours 00-23 only: a Python that reads `24:00:00` as the next midnight keeps it on the per-value path.
_STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_TIMESTAMP_COLUMN = re.compile(rf"{_STAMP}(?:\n{_STAMP})*")
_DATE_COLUMN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\n[0-9]{4}-[0-9]{2}-[0-9]{2})*")


def plain_integers(values: list[str]) -> bool:
    """Every value is ASCII digits only: parse_integer's common case."""
    joined = "".join(values)
    return "" not in values and joined.isascii() and joined.isdigit()


def plain_decimals(lines: str, whole: int = DECIMAL_DIGITS, places: int = DECIMAL_DIGITS) -> bool:
    """Every value of `lines` (a column's values joined by newlines) is `[+-]digits[.digits]`,
    with at most `whole` digits before the point (leading zeros aside) and `places` after it:
    parse_decimal's common case, within those limits."""
    return _decimal_lines(whole, places).fullmatch(lines) is not None


@functools.cache
def _decimal_lines(whole: int, places: int) -> re.Pattern[str]:
    digits = rf"0*[0-9]{{1,{whole}}}" if whole else "0+"
    number = rf"[+-]?{digits}" + (rf"(?:\.[0-9]{{1,{places}}})?" if places else "")
    return re.compile(rf"{number}(?:\n{number})*")


def _timestamp_column(spec: Field, values: list[str]) -> list[str] | None:
    """Naive `YYYY-MM-DD HH:MM:SS` (or with `T`) values, as parse_timestamp emits them."""
    joined = "\n".join(values)
    if not _TIMESTAMP_COLUMN.fullmatch(joined):
        return None
    try:
        list(map(dt.datetime.fromisoformat, values))  # the calendar and the clock check
    except ValueError:
        return None
    # `YYYY-MM-DDTHH:MM:SS+00:00` each, rewritten on the joined text (the only spaces are the
    # date-time separators: the pattern allows no other)
    return (joined.replace(" ", "T").replace("\n", "+00:00\n") + "+00:00").split("\n")


def _date_column(spec: Field, values: list[str]) -> list[str] | None:
    if not _DATE_COLUMN.fullmatch("\n".join(values)):
        return None
    try:
        list(map(dt.date.fromisoformat, values))
    except ValueError:
        return None
    return values


def _string_column(spec: Field, values: list[str]) -> list[str] | None:
    if "" in values or any(map(str.isspace, values)):
        return None  # blank values are None or missing_required: the per-value path decides
    return values


COLUMN_TYPES: dict[str, Callable[[Field, list[str]], list[Any] | None]] = {
    "timestamp": _timestamp_column,
    "date": _date_column,
    "string": _string_column,
}


def python_column(spec: Field, values: list[str]) -> list[Any] | None:
    """`spec`'s typed values for a column of CSV text, or None if a value needs the per-value
    path (see above). Blank values and values out of the field's limits always do."""
    fast = COLUMN_TYPES.get(spec.type)
    try:
        typed = fast(spec, values) if fast is not None else None
        if typed is None:
            if spec.type == "string":
                return None
            # the per-value parser, without a row's bookkeeping; blank values raise here too
            return list(map(spec.converter, values))
        if typed and spec.checked:
            # the extremes suffice: digits are bounded by the column patterns, and the
            # fixed-width ISO text of the timestamp and date columns sorts as time does
            spec.check(min(typed))
            spec.check(max(typed))
    except ValueError:
        return None
    return typed


def arrow_column(spec: Field, values: list[str]) -> pa.Array | None:
    """A column of a clean CSV block as an Arrow array, typed in C where that pays: integers
    (int64) and decimals (their exact text, which the writer casts or turns into Decimals),
    within the field's limits and bounds. None: `python_column` decides what a value that is not
    plain means (a blank, a space, past int64, out of range...)."""
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
