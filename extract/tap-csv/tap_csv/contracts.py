"""Source contracts: one YAML file per entity (fields, types, required, primary key).

A contract turns raw values (CSV text or JSON values) into typed record values, and
says which values make a row unacceptable. Parsing errors are `ValueError`s whose
message starts with a stable reason code (`invalid_integer: ...`), which the rejects
stream stores as the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

UTC = dt.UTC

_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class ContractError(Exception):
    """The contract file itself is wrong."""


def _text(value: Any, code: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        raise ValueError(f"{code}: {value!r} is not a scalar")
    return str(value)


def parse_integer(value: Any) -> int:
    if value.__class__ is str and value.isascii() and value.isdigit():
        return int(value)  # the common case, without the regex
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    text = _text(value, "invalid_integer")
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"invalid_integer: {text!r} is not an integer")
    return int(text)


def parse_decimal(value: Any) -> Decimal:
    """Exact decimals: never through float (24916.7 stays 24916.7)."""
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        text = _text(value, "invalid_decimal")
        if not _DECIMAL.fullmatch(text):
            raise ValueError(f"invalid_decimal: {text!r} is not a decimal number")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards
            raise ValueError(f"invalid_decimal: {text!r} is not a decimal number") from exc
    if not number.is_finite():
        raise ValueError(f"invalid_decimal: {number} is not finite")
    return number


def parse_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ValueError(f"invalid_string: {value!r} is not a string")
    return str(value)


def parse_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, "invalid_boolean").lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
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
        raise ValueError(f"invalid_timestamp: {text!r} is not an ISO timestamp") from exc
    stamp = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
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
ALIASES = {
    "int": "integer",
    "bigint": "integer",
    "number": "decimal",
    "numeric": "decimal",
    "text": "string",
    "bool": "boolean",
    "datetime": "timestamp",
    "date-time": "timestamp",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "string"
    required: bool = False
    description: str | None = None
    # Bounds of a number (integer or decimal), inclusive: a value outside is `out_of_range`.
    minimum: Decimal | None = None
    maximum: Decimal | None = None

    def __post_init__(self) -> None:
        kind = ALIASES.get(self.type, self.type)
        if kind not in TYPES:
            raise ContractError(f"field {self.name!r}: unknown type {self.type!r} (one of {sorted(TYPES)})")
        object.__setattr__(self, "type", kind)
        for bound in ("minimum", "maximum"):
            value = getattr(self, bound)
            if value is None:
                continue
            if kind not in ("integer", "decimal"):
                raise ContractError(f"field {self.name!r}: {bound} only applies to integer and decimal fields")
            # through str: a YAML float bound (0.01) stays the decimal it was written as
            object.__setattr__(self, bound, parse_decimal(str(value)))

    def json_schema(self) -> dict[str, Any]:
        base = dict(TYPES[self.type][1])
        if not self.required:
            base["type"] = [base["type"], "null"]
        if self.description:
            base["description"] = self.description
        return base

    def parse(self, value: Any) -> Any:
        """Typed value, None for an empty optional value; ValueError(reason) otherwise."""
        if value is None or (isinstance(value, str) and value.strip() == ""):
            if self.required:
                raise ValueError(f"missing_required: {self.name} is required")
            return None
        return self.converter(value)

    @property
    def converter(self) -> Callable[[Any], Any]:
        parse = TYPES[self.type][0]
        if self.minimum is None and self.maximum is None:
            return parse
        name, low, high = self.name, self.minimum, self.maximum

        def parse_in_range(value: Any) -> Any:
            number = parse(value)
            if low is not None and number < low:
                raise ValueError(f"out_of_range: {name} {number} is below the minimum {low}")
            if high is not None and number > high:
                raise ValueError(f"out_of_range: {name} {number} is above the maximum {high}")
            return number

        return parse_in_range


# --- whole columns (tap-csv's fast path for a block of CSV rows) ---------------------------
# Each returns the typed column, or None when any value needs the per-value path above (a
# blank, a sign, a space, an invalid value...): the caller then types the rows one by one, and
# that path names the reason of each rejected row. On values they accept, they return exactly
# what the per-value parser returns.

_DECIMAL_COLUMN = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:\n[+-]?[0-9]+(?:\.[0-9]+)?)*")
# Hours 00-23 only: a Python that reads `24:00:00` as the next midnight keeps it on the per-value path.
_STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_TIMESTAMP_COLUMN = re.compile(rf"{_STAMP}(?:\n{_STAMP})*")
_DATE_COLUMN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:\n[0-9]{4}-[0-9]{2}-[0-9]{2})*")


def plain_integers(values: list[str]) -> bool:
    """Every value is ASCII digits only: parse_integer's common case."""
    joined = "".join(values)
    return "" not in values and joined.isascii() and joined.isdigit()


def plain_decimals(lines: str) -> bool:
    """Every value of `lines` (a column's values joined by newlines) is `[+-]digits[.digits]`:
    parse_decimal's common case."""
    return _DECIMAL_COLUMN.fullmatch(lines) is not None


def _integer_column(values: list[str]) -> list[int] | None:
    if not plain_integers(values):
        return None
    return list(map(int, values))  # parse_integer's common case, value by value


def _decimal_column(values: list[str]) -> list[Decimal] | None:
    if not plain_decimals("\n".join(values)):
        return None
    return list(map(Decimal, values))


def _timestamp_column(values: list[str]) -> list[str] | None:
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


def _date_column(values: list[str]) -> list[str] | None:
    if not _DATE_COLUMN.fullmatch("\n".join(values)):
        return None
    try:
        list(map(dt.date.fromisoformat, values))
    except ValueError:
        return None
    return values


def _string_column(values: list[str]) -> list[str] | None:
    if "" in values or any(map(str.isspace, values)):
        return None  # blank values are None or missing_required: the per-value path decides
    return values


COLUMN_TYPES: dict[str, Callable[[list[str]], list[Any] | None]] = {
    "integer": _integer_column,
    "decimal": _decimal_column,
    "timestamp": _timestamp_column,
    "date": _date_column,
    "string": _string_column,
}


def convert_column(spec: Field, values: list[str]) -> list[Any] | None:
    """`spec`'s typed values for a column of CSV text, or None if a value needs the per-value
    path (see above). Blank values and out-of-range numbers always do."""
    fast = COLUMN_TYPES.get(spec.type)
    typed = fast(values) if fast is not None else None
    if typed is None:
        if spec.type == "string":
            return None
        try:  # the per-value parser, without a row's bookkeeping; blank values raise here too
            typed = list(map(TYPES[spec.type][0], values))
        except ValueError:
            return None
    if typed and (spec.minimum is not None or spec.maximum is not None):
        if spec.minimum is not None and min(typed) < spec.minimum:
            return None
        if spec.maximum is not None and max(typed) > spec.maximum:
            return None
    return typed


@dataclass(frozen=True)
class Contract:
    entity: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...] = ()
    allow_extra_columns: bool = False
    source: str | None = None  # the YAML file, for messages
    inferred: bool = False  # built from a header, not from a contract file
    by_name: Mapping[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ContractError(f"{self.source}: duplicate field names")
        unknown = [k for k in self.primary_key if k not in names]
        if unknown:
            raise ContractError(f"{self.source}: primary_key names unknown fields {unknown}")
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

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
            inferred=True,
        )


def find_contract(entity: str, explicit: str | None, contracts_dir: Path | None) -> Path | None:
    """The contract of an entity: the `contract` of its files entry, else <contracts_dir>/<entity>.yml."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ContractError(f"contract {path} of entity {entity!r} does not exist")
        return path
    if contracts_dir is None:
        return None
    for suffix in (".yml", ".yaml"):
        candidate = contracts_dir / f"{entity}{suffix}"
        if candidate.is_file():
            return candidate
    return None
