"""The type step: contracts (one YAML file per entity) applied to raw values.

Every piece of records is typed a column at a time (`type_piece`): a column of plain CSV text
as a whole (integers and decimals by pyarrow in C, other types by one check of the column), any
other value by value (`convert`), which names the reason (`code: detail`) of each bad value.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import compress
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from tap_csv.files import RawRecord, RowBlock, excerpt

UTC = dt.UTC

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


# What every value of a type must fit, whatever its contract says: the warehouse's bigint (and
# Parquet's int64) for integers; for decimals at most 38 digits before the point and 38 after it,
# as written (a Parquet decimal column holds 76 digits in all).
INT64 = (-(2**63), 2**63 - 1)
DECIMAL_DIGITS = 38


class ContractError(Exception):
    """The contract file itself is wrong."""


class Reject(NamedTuple):
    """A row that breaks its contract: its first line, its source text, the reason (`code:
    detail`) and the column."""

    lineno: int
    raw: str
    reason: str
    column: str | None = None


def _text(value: Any, code: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise ValueError(f"{code}: {value!r} is not a scalar")
    return str(value)


def _excerpt(text: str, limit: int = 40) -> str:
    """A value as a reason quotes it: repr, cut after `limit` characters."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def parse_integer(value: Any) -> int:
    if value.__class__ is str and value.isascii() and value.isdigit() and len(value) < 20:
        return int(value)  # the common case, without the regex
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        if value.adjusted() > 18:  # past int64 anyway: never build a huge int
            raise ValueError(f"out_of_range: {_excerpt(str(value))} is outside the 64-bit integer range")
        return int(value)
    text = _text(value, "invalid_integer")
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"invalid_integer: {_excerpt(text)} is not an integer")
    if len(text.lstrip("+-0")) > 19:
        raise ValueError(f"out_of_range: {_excerpt(text)} is outside the 64-bit integer range")
    return int(text)


def parse_decimal(value: Any) -> Decimal:
    """Exact decimals: never through float (24916.7 stays 24916.7)."""
    if isinstance(value, Decimal) or (isinstance(value, int) and not isinstance(value, bool)):
        number = Decimal(value)
    else:
        text = _text(value, "invalid_decimal")
        if not _DECIMAL.fullmatch(text):
            raise ValueError(f"invalid_decimal: {_excerpt(text)} is not a decimal number")
        number = Decimal(text)
    if not number.is_finite():
        raise ValueError(f"invalid_decimal: {number} is not finite")
    return number


def parse_string(value: Any) -> str:
    """A text the warehouse can store: PostgreSQL text holds no NUL, and UTF-8 no lone surrogate
    (half an emoji, which a JSON `\\ud83d` escape can spell)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValueError(f"invalid_string: {value!r} is not a string")
    text = value if isinstance(value, str) else str(value)
    if "\x00" in text or not (text.isascii() or _encodes(text)):
        raise ValueError(
            f"invalid_string: {_excerpt(text)} holds a NUL or a lone surrogate, which no text column can store"
        )
    return text


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, "invalid_boolean").lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError(f"invalid_boolean: {text!r} is not a boolean")


def parse_date(value: Any) -> str:
    text = _text(value, "invalid_date")
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError as exc:
        raise ValueError(f"invalid_date: {text!r} is not an ISO date (YYYY-MM-DD)") from exc


def parse_timestamp(value: Any) -> str:
    """ISO 8601 timestamps; naive ones are UTC (the sources' convention). Emitted as UTC ISO."""
    text = _text(value, "invalid_timestamp")
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"invalid_timestamp: {_excerpt(text)} is not an ISO timestamp") from exc
    try:
        stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:00:00-05:00 is in the year 10000 in UTC
        raise ValueError(f"out_of_range: {_excerpt(text)} is past the year 9999 in UTC") from exc
    return stamp.isoformat()


# type name -> (parser, JSON schema of a non-null value)
TYPES: dict[str, tuple[Callable[[Any], Any], dict[str, Any]]] = {
    "integer": (parse_integer, {"type": "integer"}),
    # "number" in JSON schema: target-postgres creates NUMERIC (unconstrained), and
    # singer-sdk serialises Decimal exactly (simplejson use_decimal).
    "decimal": (parse_decimal, {"type": "number"}),
    "string": (parse_string, {"type": "string"}),
    "boolean": (parse_boolean, {"type": "boolean"}),
    "date": (parse_date, {"type": "string", "format": "date"}),
    "timestamp": (parse_timestamp, {"type": "string", "format": "date-time"}),
}
ALIASES = {"int": "integer", "bigint": "integer", "number": "decimal", "numeric": "decimal", "text": "string"}
ALIASES |= {"bool": "boolean", "datetime": "timestamp", "date-time": "timestamp"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    required: bool = False
    description: str | None = None
    # Inclusive bounds: numbers for integer and decimal fields, ISO dates or timestamps for
    # date and timestamp fields. A value outside is `out_of_range`.
    minimum: Any = None
    maximum: Any = None
    # A decimal's digits in all and after the point (SQL numeric(precision, scale)), as written:
    # a value with more is `out_of_range`. Unset: 38 before the point and 38 after it.
    precision: int | None = None
    scale: int | None = None

    def __post_init__(self) -> None:
        kind = ALIASES.get(self.type, self.type)
        if kind not in TYPES:
            raise ContractError(f"field {self.name!r}: unknown type {self.type!r} (one of {sorted(TYPES)})")
        object.__setattr__(self, "type", kind)
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is not None:
                object.__setattr__(self, bound, self._bound(bound, value))
        if (self.precision is not None or self.scale is not None) and kind != "decimal":
            raise ContractError(f"field {self.name!r}: precision and scale only apply to decimal fields")
        if not (0 <= self.whole_digits <= DECIMAL_DIGITS and 0 <= self.places <= DECIMAL_DIGITS):
            raise ContractError(
                f"field {self.name!r}: precision {self.precision}, scale {self.scale}: at most "
                f"{DECIMAL_DIGITS} digits before the point and {DECIMAL_DIGITS} after it"
            )

    def _bound(self, bound: str, value: Any) -> Any:
        """A bound as the values it is compared with: a Decimal, or an aware datetime or a date."""
        try:
            if self.type in ("integer", "decimal"):
                # through str: a YAML float bound (0.01) stays the decimal it was written as
                return parse_decimal(str(value))
            if self.type == "timestamp":  # YAML may have read it as a datetime already
                return dt.datetime.fromisoformat(parse_timestamp(str(value)))
            if self.type == "date":
                return dt.date.fromisoformat(parse_date(str(value)))
        except ValueError as exc:
            raise ContractError(f"field {self.name!r}: {bound} {value!r}: {exc}") from exc
        raise ContractError(f"field {self.name!r}: {bound} only applies to integer, decimal, date and timestamp fields")

    @property
    def whole_digits(self) -> int:
        """Most digits a decimal may have before its point."""
        return DECIMAL_DIGITS if self.precision is None else self.precision - (self.scale or 0)

    @property
    def places(self) -> int:
        """Most digits a decimal may have after its point."""
        return self.scale if self.scale is not None else DECIMAL_DIGITS if self.precision is None else 0

    @property
    def checked(self) -> bool:
        """Whether typed values of this field have limits to check (`check`)."""
        return self.type in ("integer", "decimal") or self.minimum is not None or self.maximum is not None

    def json_schema(self) -> dict[str, Any]:
        base = dict(TYPES[self.type][1])
        if not self.required:
            base["type"] = [base["type"], "null"]
        if self.description:
            base["description"] = self.description
        return base

    def check(self, value: Any) -> Any:
        """`value` (as this field's type parses it) if within the field's limits and bounds, else
        ValueError("out_of_range: ...")."""
        name = self.name
        if self.type == "integer" and not INT64[0] <= value <= INT64[1]:
            raise ValueError(f"out_of_range: {name} {_excerpt(str(value))} is outside the 64-bit integer range")
        if self.type == "decimal":
            # digits before and after the point as written: 12.50 is (2, 2), 0.05 (0, 2), 1E+3 (4, 0)
            _, digits, exponent = value.as_tuple()
            whole, places = (max(0, len(digits) + exponent) if any(digits) else 0), max(0, -exponent)
            if whole > self.whole_digits or places > self.places:
                raise ValueError(
                    f"out_of_range: {name} {_excerpt(str(value))} has {whole} digit(s) before the point and "
                    f"{places} after it; at most {self.whole_digits} and {self.places}"
                )
        if self.minimum is None and self.maximum is None:
            return value
        comparable = value
        if self.type == "timestamp":
            comparable = dt.datetime.fromisoformat(value)
        elif self.type == "date":
            comparable = dt.date.fromisoformat(value)
        if self.minimum is not None and comparable < self.minimum:
            raise ValueError(f"out_of_range: {name} {value} is below the minimum {self.minimum}")
        if self.maximum is not None and comparable > self.maximum:
            raise ValueError(f"out_of_range: {name} {value} is above the maximum {self.maximum}")
        return value

    @functools.cached_property
    def converter(self) -> Callable[[Any], Any]:
        """The field's parser, then its check where it has one."""
        parse, check = TYPES[self.type][0], self.check
        return (lambda value: check(parse(value))) if self.checked else parse


@dataclass(frozen=True)
class Contract:
    entity: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    allow_extra_columns: bool = False
    source: str | None = None  # the YAML file, for messages

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.names):
            raise ContractError(f"{self.source}: duplicate field names")
        unknown = [k for k in self.primary_key if k not in self.names]
        if unknown:
            raise ContractError(f"{self.source}: primary_key names unknown fields {unknown}")

    @functools.cached_property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @functools.cached_property
    def known(self) -> frozenset[str]:
        return frozenset(self.names)

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def check_header(self, names: list[str]) -> list[str]:
        """The columns of `names` the contract ignores (allowed extra columns); ValueError naming
        what is wrong and what was expected otherwise."""
        expected = (
            f"expected columns {self.names} (required: {self.required}; contract {self.source}; extra "
            f"columns {'allowed' if self.allow_extra_columns else 'refused'})"
        )
        missing = [name for name in self.required if name not in names]
        if missing:
            raise ValueError(f"missing required column(s) {missing}; found {excerpt(names)}; {expected}")
        extra = [name for name in names if name not in self.known]
        if extra and not self.allow_extra_columns:
            raise ValueError(f"unexpected column(s) {excerpt(extra)}; {expected}")
        return extra

    def unexpected(self, values: dict[str, Any]) -> tuple[str, str] | None:
        """The reason and column of a record's keys the contract has no field for, when it
        refuses extra columns."""
        if self.allow_extra_columns or values.keys() <= self.known:
            return None
        extra = [name for name in values if name not in self.known]
        return f"unexpected_field: {excerpt(extra)} not in the contract", extra[0]

    @classmethod
    def load(cls, path: Path) -> Contract:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ContractError(f"cannot read contract {path}: {exc}") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("fields"), list):
            raise ContractError(f"{path}: a contract is a mapping with a `fields` list")
        try:
            fields = tuple(Field(**spec) for spec in doc["fields"])
        except TypeError as exc:
            raise ContractError(f"{path}: bad field entry: {exc}") from exc
        key = doc.get("primary_key") or []
        return cls(
            entity=str(doc.get("entity") or path.stem),
            fields=fields,
            primary_key=tuple([key] if isinstance(key, str) else key),
            allow_extra_columns=bool(doc.get("allow_extra_columns", False)),
            source=str(path),
        )

    @classmethod
    def from_header(cls, entity: str, header: Sequence[str]) -> Contract:
        """No contract file: every column an optional string (MeltanoLabs tap-csv behaviour)."""
        return cls(
            entity=entity,
            fields=tuple(Field(name=n) for n in header if n),
            allow_extra_columns=True,
            source="(inferred from header)",
        )


Column = Sequence[Any]  # a list of values, or a pyarrow Array (a decimal's: the exact text of its numbers)


@dataclass
class Columns:
    """Typed records, one column per name (all the same length)."""

    names: list[str]
    columns: list[Column]

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0


def convert(spec: Field, value: Any) -> Any:
    """One value typed: a blank one is None, or missing_required."""
    if value is not None and value != "" and not (value.__class__ is str and value.isspace()):
        return spec.converter(value)
    if spec.required:
        raise ValueError(f"missing_required: {spec.name} is required")
    return None


@dataclass
class Typed:
    """A piece typed: its good rows as columns (the contract's fields, in order) with their lines,
    and its bad rows in line order."""

    columns: list[Column]
    linenos: Sequence[int]
    rejects: list[Reject]


def type_piece(contract: Contract, piece: RowBlock | list[RawRecord]) -> Typed:
    """A piece's records typed a column at a time. A row that breaks the contract is rejected with
    the reason of its first bad value in the contract's order, else of a field the contract lacks.
    A key read before, in this file or another, is no error: raw keeps every version and staging
    the last one delivered (docs/transform.md)."""
    rejects: list[Reject] = []
    extras: dict[int, tuple[str, str]] = {}
    if isinstance(piece, RowBlock):  # a clean CSV block: its columns of text
        raws, values = piece.lines, piece.columns
        linenos: Sequence[int] = range(piece.first_line, piece.first_line + len(raws))
    else:
        rejects = [Reject(r.lineno, r.raw, r.error) for r in piece if r.error]
        good = [r for r in piece if not r.error]
        raws, linenos, records = [r.raw for r in good], [r.lineno for r in good], [r.values or {} for r in good]
        values = {name: [record.get(name) for record in records] for name in contract.names}
        extras = {i: extra for i, record in enumerate(records) if (extra := contract.unexpected(record))}
    columns, bad = type_columns(contract, values, len(raws), isinstance(piece, RowBlock))
    bad = extras | bad  # a bad value's reason before an unexpected field's
    if bad:
        rejects += [Reject(linenos[index], raws[index], *why) for index, why in bad.items()]
        keep = [index not in bad for index in range(len(raws))]
        columns = [c.filter(pa.array(keep)) if isinstance(c, pa.Array) else list(compress(c, keep)) for c in columns]
        linenos = list(compress(linenos, keep))
    return Typed(columns, linenos, sorted(rejects, key=lambda reject: reject.lineno))


def type_columns(
    contract: Contract, columns: dict[str, Column], count: int, text: bool
) -> tuple[list[Column], dict[int, tuple[str, str]]]:
    """The contract's fields typed a column at a time (`columns`: raw values by name), and the rows
    that break it, by index, each with the reason of its first bad value in the contract's order.
    `text`: a clean CSV block's columns (one line a value), which are tried as a whole first
    (`arrow_column`, `python_column`); any other column is typed value by value."""
    typed: list[Column] = []
    bad: dict[int, tuple[str, str]] = {}
    for spec in contract.fields:
        values = columns.get(spec.name)
        column = None
        if values is None:  # a column the file lacks (the header check passed): None or missing_required
            values = [None] * count
        elif text:
            column = arrow_column(spec, values)
            if column is None:
                column = python_column(spec, values)
        if column is None:
            column = []
            for index, value in enumerate(values):
                try:
                    column.append(convert(spec, value))
                except ValueError as exc:
                    column.append(None)
                    bad.setdefault(index, (str(exc), spec.name))
        typed.append(column)
    return typed, bad


# The whole-column paths return the typed column, or None when a value needs to be typed alone (a
# blank, a sign, a space, an invalid value...). On the values they accept, they give what `convert` gives.
# Hours 00-23 only: a Python that reads `24:00:00` as the next midnight types it alone.
_STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_DAY = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_COLUMN = {"timestamp": re.compile(rf"{_STAMP}(?:\n{_STAMP})*"), "date": re.compile(rf"{_DAY}(?:\n{_DAY})*")}
_UNPRINTED = re.compile(r"(?:^|\n)(?:\+|-?0[0-9])")  # a plus sign or a leading zero Decimal would drop


def python_column(spec: Field, values: list[str]) -> list[Any] | None:
    """`spec`'s typed values of a column of CSV text: non-blank strings, and naive ISO timestamps
    and dates, checked as a whole; other values one by one."""
    try:
        if spec.type == "string":  # a blank or a NUL (no text column stores one): typed alone
            return None if "" in values or any(map(str.isspace, values)) or "\x00" in "".join(values) else values
        pattern = _COLUMN.get(spec.type)
        if pattern is None or not pattern.fullmatch(joined := "\n".join(values)):
            return list(map(spec.converter, values))  # blank values raise here too
        list(map(dt.datetime.fromisoformat if spec.type == "timestamp" else dt.date.fromisoformat, values))
        typed = values
        if spec.type == "timestamp":  # `YYYY-MM-DDTHH:MM:SS+00:00`: the only spaces separate date and time
            typed = (joined.replace(" ", "T").replace("\n", "+00:00\n") + "+00:00").split("\n")
        if typed and spec.checked:  # fixed-width ISO text sorts as time does: the extremes suffice
            spec.check(min(typed))
            spec.check(max(typed))
    except ValueError:
        return None
    return typed


@functools.cache
def _decimal_lines(whole: int, places: int) -> re.Pattern[str]:
    """Values `[+-]digits[.digits]`, one a line, of at most `whole` digits before the point
    (leading zeros aside) and `places` after it."""
    digits = rf"0*[0-9]{{1,{whole}}}" if whole else "0+"
    number = rf"[+-]?{digits}" + (rf"(?:\.[0-9]{{1,{places}}})?" if places else "")
    return re.compile(rf"{number}(?:\n{number})*")


def arrow_column(spec: Field, values: list[str]) -> pa.Array | None:
    """An integer (int64) or decimal (its exact text) column typed in C, within the field's
    limits and bounds; None: `python_column` decides."""
    if spec.type == "integer":
        joined = "".join(values)
        if "" in values or not (joined.isascii() and joined.isdigit()):
            return None
        try:
            array = pa.array(values, pa.string()).cast(pa.int64())
        except pa.ArrowInvalid:  # past int64
            return None
        return array if _within_bounds(spec, array) else None
    if spec.type != "decimal":
        return None
    lines = "\n".join(values)
    if not _decimal_lines(spec.whole_digits, spec.places).fullmatch(lines):
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


def _within_bounds(spec: Field, array: pa.Array) -> bool:
    if spec.minimum is None and spec.maximum is None:
        return True
    bounds = pc.min_max(array).as_py()
    try:
        if bounds["min"] is not None:
            spec.check(bounds["min"])
            spec.check(bounds["max"])
    except ValueError:
        return False
    return True
