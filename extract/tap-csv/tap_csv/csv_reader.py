"""The CSV reader: a clean CSV, the legacy export whose data rows carry an unnamed leading index,
or rows that end with a trailing delimiter.

Lines are read as bytes from a byte offset (a grown file from where the last run stopped). A run
of lines without a quote or a bare CR (nearly every export) comes as one `RowBlock`, split at C
speed into its columns of text; any other run goes through `csv.reader`, record by record.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice, repeat
from pathlib import Path
from typing import Any

from tap_csv.files import (
    CheckHeader,
    FileError,
    FileSpec,
    LineCursor,
    NotComplete,
    RawRecord,
    Reading,
    RowBlock,
    Start,
    excerpt,
    shown,
)


def read(
    path: Path, spec: FileSpec, start: Start, end: int, final: bool, check_header: CheckHeader, rows: int
) -> Reading:
    """The data records of `path` from `start` (None: after the header) up to `end`, `rows`
    lines at a time. NotComplete: no complete header yet."""
    layout = read_layout(path, spec.encoding, spec.delimiter, spec.quotechar, end, final)
    check_header(layout.header)
    handle = path.open("rb")
    position = start or (layout.header_end, layout.header_lines, layout.header_hasher)
    cursor = LineCursor(handle, spec.encoding, *position, end, final)

    def pieces() -> Iterator[RowBlock | list[RawRecord]]:
        with handle:
            yield from csv_blocks(cursor, layout, spec.delimiter, spec.quotechar, rows)

    named = len(layout.header)
    warnings = [
        f"legacy shape: the header names {named} columns but data rows carry {named + 1} values; "
        "dropping the unnamed leading index column"
    ] * layout.legacy
    warnings += [
        f"every data row ends with a trailing delimiter ({named + 1} values under {named} column names, "
        "the last one empty): ignoring that empty value"
    ] * layout.trailing
    shape = "legacy" if layout.legacy else "trailing" if layout.trailing else "clean"
    return Reading(pieces(), cursor.position, layout=shape, warnings=warnings)


@dataclass(frozen=True)
class CsvLayout:
    header: list[str]  # the named columns (the legacy index column removed)
    legacy: bool  # data rows carry an unnamed leading index column
    header_end: int  # byte offset after the header
    header_lines: int  # physical lines of the header
    header_hasher: Any  # sha256 state after the header bytes (see LineCursor.hasher)
    trailing: bool = False  # every data row ends with a delimiter: an empty last value

    @property
    def width(self) -> int:
        """Values per data row."""
        return len(self.header) + self.legacy + self.trailing

    def expected(self) -> str:
        extra = ["unnamed index"] * self.legacy + [f"{len(self.header)} named columns"]
        extra += ["an empty value after the trailing delimiter"] * self.trailing
        return f"{self.width} values ({' + '.join(extra)})"


def read_layout(
    path: Path, encoding: str, delimiter: str, quotechar: str, end: int = 1 << 62, final: bool = True
) -> CsvLayout:
    """Header and shape of a CSV file, from its header and first 200 data rows (up to `end`).

    Legacy shape: the header names N columns and the data rows carry N+1 values, the
    first being a row index the export wrote without a name (or with an empty name).
    Trailing delimiter: the data rows carry N+1 values, the last one empty in most of them (the
    header may end with the delimiter too). NotComplete: no complete header line yet (and not
    `final`).
    """
    with path.open("rb") as fh:
        cursor = LineCursor(fh, encoding, end=end, final=final)
        reader = csv.reader(iter(cursor), delimiter=delimiter, quotechar=quotechar)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            if "new-line character" in str(exc):  # the cursor splits at LF: this is a CR alone
                raise FileError(
                    f"{shown(path)}: a bare CR in the header line, expected lines that end with LF or CRLF "
                    "(lines that end with a CR alone, classic Mac style, must be converted)"
                ) from exc
            raise FileError(f"{shown(path)}: unreadable CSV header line ({exc}), expected column names") from exc
        if header is None or cursor.cut():
            if not final:
                raise NotComplete("no complete header line yet (empty, or no newline after it)")
            raise FileError(f"{shown(path)}: empty file, expected a CSV header line")
        cursor.take()
        header_end, header_lines, header_state = cursor.offset, cursor.lines, cursor.hasher.copy()
        header = [name.strip() for name in header]
        if len(header) > 1 and header[-1] == "":
            header.pop()  # the header ends with the delimiter: the rows tell whether they do too
        named = len(header)
        counts: dict[int, int] = {}
        leading: list[str] = []
        empty_last = 0  # rows of one value more whose last value is empty
        for row in _sample_rows(reader, 200):
            if row:
                counts[len(row)] = counts.get(len(row), 0) + 1
                if len(row) == named + 1:
                    leading.append(row[0].strip())
                    empty_last += not row[-1].strip()
    longer = counts.get(named + 1, 0) > counts.get(named, 0)
    trailing = longer and empty_last > len(leading) - empty_last  # mostly an empty last value
    if header and header[0] == "":
        legacy, header = True, header[1:]  # pandas-style index with an empty header name
    else:
        # Most sampled rows carry one value more than the header names, and that value
        # is a row index (integers). A lone over-long row stays a wrong_value_count reject.
        legacy = longer and not trailing and all(v.isdigit() for v in leading)
    if any(name == "" for name in header):
        raise FileError(f"{shown(path)}: the header has an empty column name: {excerpt(header)}")
    if len(set(header)) != len(header):
        raise FileError(f"{shown(path)}: the header repeats a column name: {excerpt(header)}")
    return CsvLayout(header, legacy, header_end, header_lines, header_state, trailing)


def _sample_rows(reader: Iterator[list[str]], count: int) -> Iterator[list[str]]:
    """Up to `count` rows for the layout guess. A malformed row (e.g. a field over the CSV field
    limit) is skipped here; csv_records quarantines it as `malformed_csv` when the file is read."""
    for _ in range(count):
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            continue
        yield row


def _csv_record(lineno: int, raw: str, row: list[str], layout: CsvLayout) -> RawRecord | None:
    """The record of one parsed CSV row; None for a blank line."""
    if not row or (len(row) == 1 and row[0].strip() == ""):
        return None
    if len(row) != layout.width:
        return RawRecord(lineno, raw, error=f"wrong_value_count: expected {layout.expected()}, got {len(row)}")
    if layout.trailing and row[-1].strip():
        error = f"wrong_value_count: expected {layout.expected()}, got {excerpt(row[-1])} after the last delimiter"
        return RawRecord(lineno, raw, error=error)
    values = row[1:] if layout.legacy else row[:-1] if layout.trailing else row
    return RawRecord(lineno, raw, dict(zip(layout.header, values, strict=True)))


def csv_records(cursor: LineCursor, layout: CsvLayout, delimiter: str, quotechar: str) -> Iterator[RawRecord]:
    """Data records from the cursor's offset (which must be at a record boundary). A record
    cut by the cursor's end (a quoted value still open) is left for the next run."""
    reader = csv.reader(iter(cursor), delimiter=delimiter, quotechar=quotechar)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if cursor.cut():
                return
            lineno, raw = cursor.take()
            yield RawRecord(lineno, raw, error=f"malformed_csv: {exc}")
            continue
        if cursor.cut():
            return
        lineno, raw = cursor.take()
        record = _csv_record(lineno, raw, row, layout)
        if record is not None:
            yield record


def csv_blocks(
    cursor: LineCursor, layout: CsvLayout, delimiter: str, quotechar: str, size: int
) -> Iterator[RowBlock | list[RawRecord]]:
    """The data records from the cursor's offset, about `size` lines at a time.

    A run of lines without a quote character or a bare CR (nearly every export) is read and
    split at C speed (`_split`). A run with one goes through csv_records (a quoted value may span
    lines), as a list of records that ends at a record boundary. The cursor's offset, line
    count and hash advance over what each piece holds before it is yielded.
    """
    handle = cursor.fh
    while True:
        handle.seek(cursor.offset)
        lines = list(islice(handle, size))
        data = b"".join(lines)
        while lines and cursor.offset + len(data) > cursor.end:  # the file grew past `end` while read
            data = data[: len(data) - len(lines.pop())]
        if not lines:
            return
        text = data.decode(cursor.encoding)  # readable_end has decoded the whole part already
        if (
            quotechar not in text
            and text.count("\r") == text.count("\r\n")
            and max(map(len, lines)) <= csv.field_size_limit()  # else csv_records says malformed_csv
        ):
            first_line = cursor.lines + 1
            cursor.offset += len(data)
            cursor.lines += len(lines)
            cursor.hasher.update(data)
            yield _split(first_line, text.replace("\r\n", "\n").removesuffix("\n").split("\n"), layout, delimiter)
            continue
        # The slow path over (at least) these lines, stopping at the first record boundary after.
        start, end = cursor.offset, cursor.offset + len(data)
        records: list[RawRecord] = []
        for record in csv_records(cursor, layout, delimiter, quotechar):
            records.append(record)
            if cursor.offset >= end:
                break
        if cursor.offset == start:  # a record cut by the cursor's end waits for the next run
            return
        # Empty only when csv_records reached the end of the file (blank lines): the next read
        # finds no line and returns.
        yield records


def _split(first_line: int, lines: list[str], layout: CsvLayout, delimiter: str) -> RowBlock | list[RawRecord]:
    """Lines without quotes, where a CSV line is its values joined by the delimiter: when every
    line has the expected values and none is blank, the whole block splits at once and column i
    is every width-th value; else each line is split alone, as csv_records reads it."""
    width = layout.width
    if set(map(str.count, lines, repeat(delimiter))) == {width - 1} and (width > 1 or all(map(str.strip, lines))):
        values = delimiter.join(lines).split(delimiter)
        columns = [values[index::width] for index in range(width)]
        if not (layout.trailing and any(columns[-1])):  # no value after a trailing delimiter
            named = zip(layout.header, columns[layout.legacy :], strict=False)  # a trailing empty one unnamed
            return RowBlock(first_line, lines, dict(named))
    records = (_csv_record(first_line + i, line, line.split(delimiter), layout) for i, line in enumerate(lines))
    return [record for record in records if record is not None]
