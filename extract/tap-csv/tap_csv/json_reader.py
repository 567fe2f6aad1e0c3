"""The JSON array reader: a file holding one array of objects, parsed whole before anything is
emitted (a truncated file is refused whole; large feeds should use JSON Lines, which resume)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from tap_csv.files import FileError, FileSpec, RawRecord, Reading, chunked, excerpt, readable_end, shown


def read(
    path: Path,
    spec: FileSpec,
    start: tuple[int, int, Any] | None,
    size: int,
    final: bool,
    check_header: Callable[[list[str]], None],
    rows: int,
) -> Reading:
    """The elements of the array in `path` (its first `size` bytes), `rows` at a time."""
    readable_end(path, spec.encoding, 0, size, final=True)
    with path.open("rb") as fh:
        data = fh.read(size)
    records = array_records(path, data, spec.encoding)
    position = (len(data), data.count(b"\n"), hashlib.sha256(data).hexdigest())
    pieces = chunked(check_first_object(records, check_header), rows)
    return Reading(pieces, lambda: position, resumable=False)


def check_first_object(records: Iterable[RawRecord], check_header: Callable[[list[str]], None]) -> Iterator[RawRecord]:
    """The first object's keys stand for the file's columns (a file-level check); a later object
    that lacks a required key or has an unknown one is a row reject."""
    checked = False
    for raw in records:
        if not checked and raw.values is not None:
            check_header(list(raw.values))
            checked = True
        yield raw


def _json_int(text: str) -> int | Decimal:
    """A JSON integer: an int, or a Decimal past the digits Python turns into an int (the
    contract then rejects it as out of range instead of the decoder raising)."""
    return int(text) if len(text) <= 4000 else Decimal(text)


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=_json_int)


def array_records(path: Path, data: bytes, encoding: str) -> list[RawRecord]:
    """Every element of a JSON array file, with the line where it starts and its source text.

    The whole file is parsed before anything is emitted, so a truncated file is refused
    whole. (Large feeds should use JSON Lines, which streams and resumes.)
    """
    text = data.decode(encoding).lstrip("\ufeff")
    decoder = json.JSONDecoder(parse_float=Decimal, parse_int=_json_int)
    pos, line, counted = 0, 1, 0

    def skip_ws(at: int) -> int:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        return at

    def line_of(at: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, at)
        counted = at
        return line

    def fail(at: int, expected: str) -> FileError:
        where = line_of(min(at, len(text)))
        found = "end of file (truncated?)" if at >= len(text) else excerpt(text[at : at + 20])
        return FileError(f"{shown(path)}: invalid JSON at line {where}: expected {expected}, found {found}")

    pos = skip_ws(pos)
    if pos >= len(text) or text[pos] != "[":
        raise fail(pos, "a JSON array of objects starting with '['")
    pos = skip_ws(pos + 1)
    records: list[RawRecord] = []
    if pos < len(text) and text[pos] == "]":
        pos += 1
    else:
        while True:
            start = pos
            try:
                value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise fail(exc.pos, f"a JSON value ({exc.msg})") from exc
            lineno = line_of(start)
            raw = text[start:pos]
            if isinstance(value, dict):
                records.append(RawRecord(lineno, raw, value))
            else:
                records.append(
                    RawRecord(lineno, raw, error=f"not_an_object: expected a JSON object, got {type(value).__name__}")
                )
            pos = skip_ws(pos)
            if pos < len(text) and text[pos] == ",":
                pos = skip_ws(pos + 1)
                continue
            if pos < len(text) and text[pos] == "]":
                pos += 1
                break
            raise fail(pos, "',' or ']'")
    if skip_ws(pos) != len(text):
        raise fail(skip_ws(pos), "end of file after the closing ']'")
    return records
