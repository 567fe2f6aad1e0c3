"""Streams: one per configured entity, plus `file_rejects`.

A file's way through its stream (`FileStream._read_file`): plan (bookmarks: what is new in it)
-> read (the reader of its format: pieces of raw records) -> type (contracts: a column, or a row,
at a time) -> bookmark (what was handed over so far).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tap_csv import csv_reader, files, json_reader
from tap_csv.bookmarks import Bookmark, plan_read
from tap_csv.client import DropStream
from tap_csv.contracts import Columns, Contract, Reject, Typed, type_piece
from tap_csv.files import FileError, FileSpec, NotComplete, excerpt, shorten

if TYPE_CHECKING:
    from singer_sdk import Tap

UTC = dt.UTC
READERS = {"csv": csv_reader.read, "json": json_reader.read, "jsonl": json_reader.read_lines}
SUFFIXES = {"csv": (".csv", ".txt", ".tsv"), "json": (".json",), "jsonl": (".jsonl", ".ndjson", ".json")}
REJECTS_STREAM = "file_rejects"
# What a reject keeps of its record's source text, and of its reason (which quotes a value).
RAW_LINE_LIMIT = 10_000
REASON_LIMIT = 300

# The load metadata of every record (entity streams when add_metadata_columns, rejects always).
# Not `_sdc_*`: singer-sdk reserves `_sdc_extracted_at` and its kin for the target's own
# metadata, and a target that does not add metadata drops them (MeltanoLabs target-csv).
METADATA_PROPERTIES: dict[str, dict[str, Any]] = {
    "_source_file": {"type": ["string"], "description": "absolute path of the source file"},
    "_source_lineno": {"type": ["integer"], "description": "physical line where the record starts"},
    "_source_file_mtime": {"type": ["string"], "format": "date-time"},
    "_extracted_at": {
        "type": ["string"],
        "format": "date-time",
        "description": "when tap-csv read the file: one value per file and run",
    },
}
# Every row that breaks its contract: entity, reason (`<code>: <detail>`), column_name, raw_line
# and its file's load metadata. Reason codes: wrong_value_count, malformed_csv, invalid_json,
# not_an_object, duplicate_field, missing_required, invalid_integer, invalid_decimal, invalid_timestamp,
# invalid_date, invalid_boolean, invalid_string, unexpected_field, out_of_range.
REJECTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "entity": {"type": ["string"]},
        "reason": {"type": ["string"]},
        "column_name": {"type": ["string", "null"]},
        "raw_line": {"type": ["string"]},
        **METADATA_PROPERTIES,
    },
}


class RejectedRowError(Exception):
    """on_reject: fail: the first bad row stops the run."""


@dataclass
class FileStats:
    action: str
    why: str
    read: int = 0
    emitted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


class RejectsStream(DropStream):
    """Rows that broke their contract. Written while their file is read, not on its own."""

    name = REJECTS_STREAM
    primary_keys = ()

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap, schema=REJECTS_SCHEMA, name=REJECTS_STREAM)
        self._schema_sent = False

    def emit(self, record: dict[str, Any], extracted_at: dt.datetime) -> None:
        if not self.selected:
            return
        if not self._schema_sent:
            self._write_schema_message()
            self._schema_sent = True
        self.time_extracted = extracted_at
        self._write_record_message(record)


class FileStream(DropStream):
    """The records of one entity, from every file its `path` matches."""

    def __init__(self, tap: Tap, spec: FileSpec, contract: Contract, rejects: RejectsStream) -> None:
        self.spec = spec
        self.contract = contract
        self.rejects = rejects
        self.add_metadata = bool(tap.config.get("add_metadata_columns", True))
        self.fail_fast = tap.config.get("on_reject", "quarantine") == "fail"
        properties = {f.name: f.json_schema() for f in contract.fields}
        if self.add_metadata:
            properties.update(METADATA_PROPERTIES)
        unknown = [k for k in spec.keys if k not in properties]
        if unknown:
            raise FileError(f"entity {spec.entity!r}: keys {unknown} are not columns of {contract.source}")
        super().__init__(tap, schema={"type": "object", "properties": properties}, name=spec.entity)
        # raw is append-only: no key properties unless the user asks (MeltanoLabs `keys`).
        self.primary_keys = list(spec.keys)

    def chunks(self, rows: int) -> Iterator[Columns]:
        """The typed records of every matching file, at most `rows` lines at a time."""
        fmt = self.spec.format if self.spec.format != "auto" else ""
        found = files.resolve(self.spec.path, SUFFIXES.get(fmt, tuple(chain(*SUFFIXES.values()))))
        if not found:
            where = files.shown(files.absolute(self.spec.path))
            self.logger.warning("tap-csv: no file matches %s for entity %s", where, self.name)
        totals = FileStats("total", "")
        for path in found:
            try:
                stats = yield from self._read_file(path, files.detect_format(path, self.spec.format), rows)
            except FileError as exc:
                raise FileError(f"{exc}. Fix the file or move it out of the drop folder, then run again") from None
            except FileNotFoundError:  # moved out of the drop folder while this run read the others
                self.logger.warning("tap-csv: %s: gone since this run listed it: not read", files.shown(path))
                continue
            totals.read += stats.read
            totals.emitted += stats.emitted
            totals.rejected += stats.rejected
        self.logger.info(
            "tap-csv total: entity=%s files=%d read=%d emitted=%d rejected=%d",
            *(self.name, len(found), totals.read, totals.emitted, totals.rejected),
        )

    def _read_file(self, path: Path, fmt: str, rows: int) -> Generator[Columns, None, FileStats]:
        """plan -> read -> type -> bookmark, a block at a time."""
        key = files.shown(path)  # the file's name in state, records and logs
        marks: dict[str, Any] = self.stream_state.setdefault("files", {})
        stat = path.stat()
        mark = Bookmark.from_state(marks.get(key))
        plan = plan_read(path, stat.st_size, stat.st_mtime_ns, mark, appendable=fmt != "json")
        stats = FileStats(plan.action, plan.why)
        if plan.action == "skip":
            if mark is not None and mark.mtime_ns != stat.st_mtime_ns:  # touched, same content
                mark.mtime_ns, mark.size = stat.st_mtime_ns, stat.st_size
                marks[key] = mark.to_state()
            return self._summary(key, stats)

        # the load metadata of the file's records; its extraction time is also their time_extracted
        self.time_extracted = dt.datetime.now(UTC)
        mtime = dt.datetime.fromtimestamp(stat.st_mtime, UTC)
        meta = {
            "_source_file": key,
            "_source_file_mtime": mtime.isoformat(),
            "_extracted_at": self.time_extracted.isoformat(),
        }
        resume = mark if plan.action == "resume" else None
        start = (resume.offset, resume.lines, plan.hasher) if resume else None
        try:  # a JSON array is decoded whole (its end is its size); others up to their last newline
            end = files.readable_end(
                path, self.spec.encoding, start[0] if start else 0, stat.st_size, plan.settled or fmt == "json"
            )
            check_header = partial(self._check_header, key)
            reading = READERS[fmt](path, self.spec, start, end, plan.settled, check_header, rows)
        except NotComplete as exc:
            return self._wait(key, f"{key}: {exc}", stat, stats)
        except FileError as exc:
            if fmt != "json":
                raise
            if not plan.settled:  # an array still being written does not parse yet
                return self._wait(key, str(exc), stat, stats)
            raise FileError(f"{exc} (unchanged since the previous run found it so: not being written)") from None
        for warning in reading.warnings:
            self.logger.warning("tap-csv: %s: %s", key, warning)
        earlier = (resume.rows, resume.rejected) if resume else (0, 0)

        def bookmark() -> Bookmark:  # the part read so far; this run's rows and rejects on top of earlier runs'
            offset, lines, sha256 = reading.position()
            mark = Bookmark(stat.st_size, stat.st_mtime_ns, offset, lines, sha256, layout=reading.layout, format=fmt)
            mark.rows, mark.rejected = earlier[0] + stats.emitted, earlier[1] + stats.rejected
            mark.last_extracted_at = meta["_extracted_at"]
            marks[key] = mark.to_state()
            return mark

        for piece in reading.pieces:
            typed = type_piece(self.contract, piece)
            yield self._hand_over(key, typed, meta, stats)
            if reading.resumable:  # the consumer has taken these records
                bookmark()
        mark = bookmark()
        if mark.offset < stat.st_size:
            self.logger.warning(
                "tap-csv: %s: the %d bytes after line %d are not a complete record yet (no newline, or a "
                "quoted value still open): left for the next run, which reads them as they are if the "
                "file has not changed by then",
                *(key, stat.st_size - mark.offset, mark.lines),
            )
        return self._summary(key, stats)

    def _wait(self, key: str, why: str, stat: os.stat_result, stats: FileStats) -> FileStats:
        """Nothing complete to read yet: bookmarked as seen (size and mtime, nothing read), so the
        next run reads it, or refuses it if it has not changed by then."""
        self.logger.warning(
            "tap-csv: %s: not complete yet, left for the next run (a file still being written); "
            "if it has not changed by then, that run reads it as it is or refuses it",
            why,
        )
        mark = Bookmark(stat.st_size, stat.st_mtime_ns, offset=0, lines=0, sha256="")
        self.stream_state.setdefault("files", {})[key] = mark.to_state()
        stats.action, stats.why = "wait", why
        return self._summary(key, stats)

    def _check_header(self, key: str, names: list[str]) -> None:
        try:
            extra = self.contract.check_header(names)
        except ValueError as exc:
            raise FileError(f"{key}: {exc}") from None
        if extra:
            self.logger.info("tap-csv: %s: ignoring extra column(s) %s", key, excerpt(extra))

    def _hand_over(self, key: str, typed: Typed, meta: dict[str, Any], stats: FileStats) -> Columns:
        """A typed piece's bad rows rejected, its good ones handed over with their load metadata."""
        stats.read += len(typed.linenos) + len(typed.rejects)
        for reject in typed.rejects:
            self._reject(key, reject, meta, stats)
        stats.emitted += len(typed.linenos)
        if not self.add_metadata:
            return Columns(self.contract.names, typed.columns)
        metadata = [[value] * len(typed.linenos) for value in meta.values()]
        return Columns([*self.contract.names, *meta, "_source_lineno"], [*typed.columns, *metadata, typed.linenos])

    def _reject(self, key: str, bad: Reject, meta: dict[str, Any], stats: FileStats) -> None:
        stats.rejected += 1
        reason, lineno = shorten(bad.reason, REASON_LIMIT), bad.lineno
        code = reason.split(":", 1)[0]
        stats.reasons[code] = stats.reasons.get(code, 0) + 1
        if self.fail_fast:
            raise RejectedRowError(
                f"{key}: line {lineno}: {reason} (entity {self.name}; on_reject=fail stops at the "
                f"first bad row; use on_reject=quarantine to load it into {REJECTS_STREAM})"
            )
        if stats.rejected <= 5:
            self.logger.warning("tap-csv: %s: line %d rejected: %s", key, lineno, reason)
        raw_line = bad.raw[:RAW_LINE_LIMIT].replace("\x00", "\\x00")  # no text column holds a NUL
        reject = {"entity": self.name, "reason": reason, "column_name": bad.column, "raw_line": raw_line}
        assert self.time_extracted is not None  # set when the file's reading began
        self.rejects.emit({**reject, "_source_lineno": lineno, **meta}, self.time_extracted)

    def _summary(self, key: str, stats: FileStats) -> FileStats:
        reasons = ",".join(f"{k}={v}" for k, v in sorted(stats.reasons.items())) or "-"
        self.logger.info(
            "tap-csv summary: entity=%s file=%s action=%s read=%d emitted=%d rejected=%d reasons=%s (%s)",
            *(self.name, key, stats.action, stats.read, stats.emitted, stats.rejected, reasons, stats.why),
        )
        return stats
