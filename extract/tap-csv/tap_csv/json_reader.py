"""The JSON readers: a JSON array of objects, parsed whole before anything is emitted (a truncated
file is refused whole), and JSON Lines, one object a line, read from where the last run stopped."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from tap_csv.files import (
    CheckHeader,
    FileError,
    FileSpec,
    LineCursor,
    RawRecord,
    Reading,
    Start,
    chunked,
    excerpt,
    shown,
)


def _json_int(text: str) -> int | Decimal:
    """An int, or a Decimal past the digits Python turns into an int (the contract then rejects
    it as out of range instead of the decoder raising)."""
    return int(text) if len(text) <= 4000 else Decimal(text)


class Repeated(dict):
    """An object that names a field more than once: the decoder would keep only the last value."""

    names: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    repeated = Repeated(record)
    repeated.names = sorted(name for name, count in Counter(name for name, _ in pairs).items() if count > 1)
    return repeated


DECODER = json.JSONDecoder(parse_float=Decimal, parse_int=_json_int, object_pairs_hook=_object)
_SPACE = re.compile(r"[ \t\r\n]*")  # JSON's whitespace


def _checked(records: Iterable[RawRecord], check_header: CheckHeader) -> Iterator[RawRecord]:
    """The first object's keys stand for the file's columns (a file-level check); a later object
    that lacks a required key or has an unknown one is a row reject."""
    checked = False
    for raw in records:
        if not checked and raw.values is not None:
            check_header(list(raw.values))
            checked = True
        yield raw


def _record(lineno: int, raw: str, value: object) -> RawRecord:
    if isinstance(value, Repeated):
        return RawRecord(lineno, raw, error=f"duplicate_field: {excerpt(value.names)} given more than once")
    if isinstance(value, dict):
        return RawRecord(lineno, raw, value)
    return RawRecord(lineno, raw, error=f"not_an_object: expected a JSON object, got {type(value).__name__}")


def read_lines(
    path: Path, spec: FileSpec, start: Start, end: int, final: bool, check_header: CheckHeader, rows: int
) -> Reading:
    """The objects of a JSON Lines file from `start` (None: the beginning) up to `end`, `rows`
    at a time."""
    handle = path.open("rb")
    cursor = LineCursor(handle, spec.encoding, *(start or ()), end=end)

    def records() -> Iterator[RawRecord]:
        for line in cursor:
            lineno, raw = cursor.take()
            if not line.strip():
                continue
            try:
                yield _record(lineno, raw, DECODER.decode(line))
            except json.JSONDecodeError as exc:
                yield RawRecord(lineno, raw, error=f"invalid_json: {exc.msg} at column {exc.colno}")

    def pieces() -> Iterator[list[RawRecord]]:
        with handle:
            yield from chunked(_checked(records(), check_header), rows)

    return Reading(pieces(), cursor.position)


def read(
    path: Path, spec: FileSpec, start: Start, end: int, final: bool, check_header: CheckHeader, rows: int
) -> Reading:
    """The elements of the JSON array in `path` (its first `end` bytes), `rows` at a time; never
    resumed (a grown array is no prefix extension: its closing bracket moved)."""
    with path.open("rb") as fh:
        data = fh.read(end)
    position = (len(data), data.count(b"\n"), hashlib.sha256(data).hexdigest())
    records = _array_records(path, data.decode(spec.encoding).lstrip("\ufeff"))
    return Reading(chunked(_checked(records, check_header), rows), lambda: position, resumable=False)


def _array_records(path: Path, text: str) -> list[RawRecord]:
    """Every element of a JSON array, with the line where it starts and its source text."""

    def skip(at: int) -> int:  # past whitespace
        return _SPACE.match(text, at).end()  # type: ignore[union-attr]

    def fail(at: int, expected: str) -> FileError:
        found = "end of file (truncated?)" if at >= len(text) else excerpt(text[at : at + 20])
        where = text.count("\n", 0, at) + 1
        return FileError(f"{shown(path)}: invalid JSON at line {where}: expected {expected}, found {found}")

    at = skip(0)
    if not text.startswith("[", at):
        raise fail(at, "a JSON array of objects starting with '['")
    at, records, line, counted = skip(at + 1), [], 1, 0
    if text.startswith("]", at):
        at += 1
    else:
        while True:
            try:
                value, end = DECODER.raw_decode(text, at)
            except json.JSONDecodeError as exc:
                raise fail(exc.pos, f"a JSON value ({exc.msg})") from exc
            line, counted = line + text.count("\n", counted, at), at
            records.append(_record(line, text[at:end], value))
            at = skip(end)
            if text.startswith("]", at):
                at += 1
                break
            if not text.startswith(",", at):
                raise fail(at, "',' or ']'")
            at = skip(at + 1)
    if skip(at) != len(text):
        raise fail(skip(at), "end of file after the closing ']'")
    return records
