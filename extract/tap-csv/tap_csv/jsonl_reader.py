"""The JSON Lines reader: one JSON object per line, read from where the last run stopped."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tap_csv.files import FileSpec, LineCursor, RawRecord, Reading, chunked, readable_end
from tap_csv.json_reader import check_first_object, loads


def read(
    path: Path,
    spec: FileSpec,
    start: tuple[int, int, Any] | None,
    size: int,
    final: bool,
    check_header: Callable[[list[str]], None],
    rows: int,
) -> Reading:
    """The objects of `path` from `start` (offset, lines, sha256 state; None: the beginning) up to
    its last newline (a line being written waits; its `size` when `final`), `rows` at a time."""
    end = readable_end(path, spec.encoding, start[0] if start else 0, size, final)
    handle = path.open("rb")
    cursor = LineCursor(handle, spec.encoding, *(start or ()))
    cursor.end = end

    def pieces() -> Iterator[list[RawRecord]]:
        with handle:
            yield from chunked(check_first_object(records(cursor), check_header), rows)

    return Reading(pieces(), cursor.position)


def records(cursor: LineCursor) -> Iterator[RawRecord]:
    for line in cursor:
        lineno, raw = cursor.take()
        if not line.strip():
            continue
        try:
            value = loads(line)
        except json.JSONDecodeError as exc:
            yield RawRecord(lineno, raw, error=f"invalid_json: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(value, dict):
            yield RawRecord(lineno, raw, error=f"not_an_object: expected a JSON object, got {type(value).__name__}")
            continue
        yield RawRecord(lineno, raw, value)
