"""Readers for the file formats: CSV (clean or legacy-indexed), JSON array, JSON Lines.

Readers yield `RawRecord`s: the source text of one record, the physical line where it
starts, and its values by column name (or a structural error such as a wrong value
count). Typing against the contract happens in the stream, so every format shares it.

Line-based formats (CSV, JSON Lines) are read as bytes from a byte offset, so a grown
file is read from where the last run stopped; the cursor keeps the byte offset, the
physical line count and a running sha256 of every byte consumed (the state fingerprint).
Only complete records are read: up to the file's last newline (`complete_end`), and a CSV
record whose quoted value is still open there waits too, unless the file is `final` (the
previous run saw it with the same size and mtime: nobody is writing it).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice, repeat
from pathlib import Path
from typing import IO, Any

from tap_csv.files import FileError, shown
from tap_csv.rejects import excerpt

CHUNK = 1 << 20


class NotComplete(Exception):
    """The file holds no complete record yet (empty, or a header without its newline)."""


@dataclass
class RawRecord:
    lineno: int  # physical line (1-based) where the record starts
    raw: str  # the record's source text, for the rejects stream
    values: dict[str, Any] | None = None
    error: str | None = None  # "code: detail" when the record is structurally broken
    column: str | None = None


def detect_format(path: Path, configured: str | None) -> str:
    if configured and configured != "auto":
        return configured
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        # A `.json` drop is usually an array; JSON Lines saved as .json starts with `{`.
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
        return "jsonl" if head.startswith(b"{") else "json"
    return "csv"


def complete_end(path: Path, size: int) -> int:
    """Offset after the last newline within the first `size` bytes (0 if there is none)."""
    with path.open("rb") as fh:
        end = size
        while end > 0:
            start = max(0, end - (1 << 16))
            fh.seek(start)
            found = fh.read(end - start).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0


def check_encoding(path: Path, encoding: str, start: int, end: int) -> None:
    """Decode the part to read, bytes [start, end), before emitting anything: an undecodable
    file is refused whole."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = end - start
        while remaining > 0 and (chunk := fh.read(min(CHUNK, remaining))):
            remaining -= len(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = line + chunk.count(b"\n", 0, exc.start)
                raise FileError(
                    f"{shown(path)}: cannot decode as {encoding} near byte {end - remaining - len(chunk) + exc.start} "
                    f"(line {where}{' after the resume point' if start else ''}): {exc.reason}. "
                    f"Set `encoding` for this entity (e.g. latin-1) or fix the file."
                ) from exc
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise FileError(f"{shown(path)}: ends with an incomplete {encoding} character") from exc


@dataclass
class LineCursor:
    """Binary line reader from a byte offset up to `end`; tracks offset, line count and sha256 of
    consumed bytes. Lines count as consumed when taken (`take`), so a record cut by `end` can be
    left for the next run (`drop`)."""

    fh: IO[bytes]
    encoding: str
    offset: int = 0
    lines: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)
    end: int = 1 << 62
    final: bool = True  # nobody writes the file: a record cut by `end` is read as it is
    pending: list[bytes] = field(default_factory=list)
    pending_start: int = 1
    ran_out: bool = False  # a reader asked for a line past `end`

    def __iter__(self) -> Iterator[str]:
        self.fh.seek(self.offset)
        position = self.offset
        for raw in self.fh:
            position += len(raw)
            if position > self.end:  # the file grew past `end` while read
                break
            if not self.pending:
                self.pending_start = self.lines + 1
            self.pending.append(raw)
            text = raw.decode(self.encoding)
            if self.lines + len(self.pending) == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield text
        self.ran_out = True

    def take(self) -> tuple[int, str]:
        """(first line number, source text) of the lines read since the last take, now consumed."""
        data = b"".join(self.pending)
        self.offset += len(data)
        self.lines += len(self.pending)
        self.pending.clear()
        self.hasher.update(data)
        return self.pending_start, data.decode(self.encoding).rstrip("\r\n").lstrip("\ufeff")

    def cut(self) -> bool:
        """The record just read ran into `end` while the file may still grow: leave its lines
        unconsumed for the next run (True), or read it as it is (False)."""
        if self.ran_out and not self.final and self.pending:
            self.pending.clear()
            return True
        return False


# --- CSV ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvLayout:
    header: list[str]  # the named columns (the legacy index column removed)
    legacy: bool  # data rows carry an unnamed leading index column
    header_end: int  # byte offset after the header
    header_lines: int  # physical lines of the header
    header_sha256: str  # fingerprint state of the header bytes (see LineCursor.hasher)
    trailing: bool = False  # every data row ends with a delimiter: an empty last value

    @property
    def width(self) -> int:
        """Values per data row."""
        return len(self.header) + self.legacy + self.trailing

    def expected(self) -> str:
        extra = ["unnamed index"] * self.legacy + [f"{len(self.header)} named columns"]
        extra += ["an empty value after the trailing delimiter"] * self.trailing
        return f"{self.width} values ({' + '.join(extra)})"


def read_csv_layout(
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
    return CsvLayout(header, legacy, header_end, header_lines, header_state.hexdigest(), trailing)


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


@dataclass
class RowBlock:
    """Consecutive CSV lines that are one record each (no quote, no bare CR in them): line
    `first_line + i` is `lines[i]`. When every line holds the expected number of values,
    `columns` holds them column by column (the legacy index column included) for the fast path."""

    first_line: int
    lines: list[str]
    columns: list[list[str]] | None
    layout: CsvLayout
    delimiter: str

    def records(self, start: int = 0) -> Iterator[RawRecord]:
        """The block's records from line `start` on, as csv_records reads them."""
        for index in range(start, len(self.lines)):
            line = self.lines[index]
            record = _csv_record(self.first_line + index, line, line.split(self.delimiter), self.layout)
            if record is not None:
                yield record


def csv_blocks(
    cursor: LineCursor, layout: CsvLayout, delimiter: str, quotechar: str, size: int
) -> Iterator[RowBlock | list[RawRecord]]:
    """The data records from the cursor's offset, about `size` lines at a time.

    A run of lines without a quote character or a bare CR (nearly every export) comes as one
    RowBlock, read and parsed at C speed. A run with one goes through csv_records (a quoted
    value may span lines), as a list of records that ends at a record boundary. The cursor's
    offset, line count and hash advance over what each piece holds before it is yielded.
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
        text = data.decode(cursor.encoding)  # check_encoding has read the whole file already
        if (
            quotechar not in text
            and text.count("\r") == text.count("\r\n")
            and max(map(len, lines)) <= csv.field_size_limit()  # else csv_records says malformed_csv
        ):
            # Without quotes, a CSV line is its values joined by the delimiter: what csv.reader
            # reads, split at C speed. When every line has the expected values (a blank line has
            # one), the whole block splits at once and column i is every width-th value.
            text = text.replace("\r\n", "\n").removesuffix("\n")
            texts = text.split("\n")
            width = layout.width
            columns = None
            if set(map(str.count, texts, repeat(delimiter))) == {width - 1}:
                values = text.replace("\n", delimiter).split(delimiter)
                columns = [values[index::width] for index in range(width)]
                if layout.trailing and any(columns[-1]):  # a value after the trailing delimiter
                    columns = None
            block = RowBlock(cursor.lines + 1, texts, columns, layout, delimiter)
            cursor.offset += len(data)
            cursor.lines += len(lines)
            cursor.hasher.update(data)
            yield block
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


# --- JSON -----------------------------------------------------------------------------


def _json_int(text: str) -> int | Decimal:
    """A JSON integer: an int, or a Decimal past the digits Python turns into an int (the
    contract then rejects it as out of range instead of the decoder raising)."""
    return int(text) if len(text) <= 4000 else Decimal(text)


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=_json_int)


def jsonl_records(cursor: LineCursor) -> Iterator[RawRecord]:
    for line in cursor:
        lineno, raw = cursor.take()
        if not line.strip():
            continue
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            yield RawRecord(lineno, raw, error=f"invalid_json: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(value, dict):
            yield RawRecord(lineno, raw, error=f"not_an_object: expected a JSON object, got {type(value).__name__}")
            continue
        yield RawRecord(lineno, raw, value)


def json_array_records(path: Path, data: bytes, encoding: str) -> list[RawRecord]:
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
