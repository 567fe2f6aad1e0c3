"""Streams: one per configured entity, plus `file_rejects`."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_csv import files
from tap_csv.batches import remove_stale_batches, write_jsonl_batches
from tap_csv.columns import Column, RecordColumns
from tap_csv.contracts import Contract, convert_column
from tap_csv.readers import (
    CsvLayout,
    FileError,
    LineCursor,
    NotComplete,
    RawRecord,
    RowBlock,
    check_encoding,
    complete_end,
    csv_blocks,
    detect_format,
    json_array_records,
    jsonl_records,
    read_csv_layout,
)
from tap_csv.rejects import (
    METADATA_PROPERTIES,
    RAW_LINE_LIMIT,
    REASON_LIMIT,
    REJECTS_SCHEMA,
    REJECTS_STREAM,
    RejectedRowError,
    RowRejected,
    excerpt,
    shorten,
)
from tap_csv.state import Bookmark, plan_read, prefix_hasher

if TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.singerlib import RecordMessage

UTC = dt.UTC
# Lines read, typed and handed on together; a partly read file is bookmarked after each block
# (resumable after a crash).
CHUNK_ROWS = 10_000
# How FileStream hands over the records of a block (record_chunks): dicts, or on the BATCH path
# msgspec structs (JSON Lines files) or the typed columns themselves (Parquet files).
Shape = Literal["dicts", "structs", "columns"]
Chunk = list[dict] | RecordColumns
SUFFIXES = {"csv": (".csv", ".txt", ".tsv"), "json": (".json",), "jsonl": (".jsonl", ".ndjson", ".json")}


def _chunked(records: Iterable[RawRecord]) -> Iterator[list[RawRecord]]:
    """JSON records in lists of CHUNK_ROWS, typed one by one."""
    iterator = iter(records)
    while chunk := list(islice(iterator, CHUNK_ROWS)):
        yield chunk


@dataclass(frozen=True)
class FileSpec:
    """One entry of the `files` setting (MeltanoLabs tap-csv shape, plus format/contract)."""

    entity: str
    path: str
    keys: tuple[str, ...] = ()
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    format: str = "auto"
    contract: str | None = None

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> FileSpec:
        return cls(
            entity=raw["entity"],
            path=raw["path"],
            keys=tuple(raw.get("keys") or ()),
            delimiter=raw.get("delimiter") or ",",
            quotechar=raw.get("quotechar") or '"',
            encoding=raw.get("encoding") or "utf-8",
            format=raw.get("format") or "auto",
            contract=raw.get("contract"),
        )


@dataclass
class FileStats:
    action: str
    why: str
    read: int = 0
    emitted: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(UTC).isoformat()


class _PerFileTime(Stream):
    """RECORD messages carry the file's extraction time (`_extracted_at`) as time_extracted:
    a target that keeps Singer's metadata (target-postgres' _sdc_extracted_at) gets the same
    value, one per file and run.
    """

    _time_extracted: dt.datetime | None = None
    # Records are typed by the contract already (int, Decimal, ISO strings): skip the
    # SDK's per-value conformance pass (~15% of the tap's time).
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def _generate_record_messages(self, record: dict) -> Iterator[RecordMessage]:
        for message in super()._generate_record_messages(record):
            if self._time_extracted is not None:
                message.time_extracted = self._time_extracted
            yield message

    def get_batch_config(self, config: Mapping[str, Any]) -> BatchConfig | None:
        if config.get("batch_messages") is False:  # the record path, even with a batch_config
            return None
        return super().get_batch_config(config)

    def get_batches(
        self, batch_config: BatchConfig, context: dict | None = None
    ) -> Iterable[tuple[BaseBatchFileEncoding, list[str]]]:
        root = batch_config.storage.root
        if root.startswith("file://"):  # fsspec does not create local folders
            folder = Path(root.removeprefix("file://"))
            folder.mkdir(parents=True, exist_ok=True)
            remove_stale_batches(folder, f"{batch_config.storage.prefix or ''}{self.tap_name}--{self.name}-")
        if batch_config.encoding.format == "parquet":  # typed columns: see tap_csv/parquet.py
            from tap_csv.parquet import write_parquet_batches  # pyarrow: imported only when used

            columns = self._sync_chunks(context, "columns")
            manifests = write_parquet_batches(columns, batch_config, self.tap_name, self.name, self.schema)
        elif batch_config.encoding.format == "jsonl":  # msgspec, gzip level 1: see tap_csv/batches.py
            structs = self._sync_chunks(context, "structs")
            manifests = write_jsonl_batches(structs, batch_config, self.tap_name, self.name)
        else:
            return super().get_batches(batch_config, context)
        return ((batch_config.encoding, manifest) for manifest in manifests)

    def record_chunks(self, shape: Shape = "dicts") -> Iterator[Chunk]:
        """The records in lists (FileStream reads a block of lines at a time).

        shape: the BATCH path only writes the records to files, so FileStream may hand over
        a typed block as msgspec structs (JSON Lines) or as its columns (Parquet).
        """
        for record in self.get_records(None):
            yield [record]

    def _sync_chunks(self, context: dict | None, shape: Shape) -> Iterator[Chunk]:
        """What singer-sdk's `_sync_records(write_messages=False)` does for these streams, a
        list of records at a time: the record_count metric, the sync timer, the final state.

        The SDK's loop is per record (post_process, child contexts, replication-key state),
        and none of it applies here: no child streams, no replication key, the file bookmarks
        are the stream's own. With a record limit (the SDK's test mode) or a context, the
        SDK's loop runs.
        """
        if context is not None or self.ABORT_AT_RECORD_COUNT is not None or not self.selected:
            yield from ([record] for record in self._sync_records(context, write_messages=False))
            return
        record_counter = self.get_record_counter()
        timer = self.get_sync_timer()
        with record_counter, timer:
            record_counter.with_context({})
            timer.with_context({})
            self._write_starting_replication_value(None)
            for chunk in self.record_chunks(shape):
                record_counter.increment(len(chunk))
                yield chunk
            self._finalize_state(self.get_context_state(None))
        self._finalize_state(self.stream_state)


class RejectsStream(_PerFileTime):
    """Rows that broke their contract. Written while their file is read, not on its own."""

    name = REJECTS_STREAM
    primary_keys = ()

    def __init__(self, tap: Tap) -> None:
        super().__init__(tap, schema=REJECTS_SCHEMA, name=REJECTS_STREAM)
        self._schema_sent = False

    def get_records(self, context: dict | None) -> Iterator[dict]:
        return iter(())

    def emit(self, record: dict[str, Any], extracted_at: dt.datetime) -> None:
        if not self.selected:
            return
        if not self._schema_sent:
            self._write_schema_message()
            self._schema_sent = True
        self._time_extracted = extracted_at
        self._write_record_message(record)


class FileStream(_PerFileTime):
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
        self._converters = [(f.name, f.converter, f.required) for f in contract.fields]

    # --- files ---------------------------------------------------------------------
    def matching_files(self) -> list[Path]:
        fmt = self.spec.format if self.spec.format != "auto" else None
        suffixes = SUFFIXES.get(fmt or "", (".csv", ".json", ".jsonl", ".ndjson", ".txt", ".tsv"))
        return files.resolve(self.spec.path, suffixes)

    def get_records(self, context: dict | None) -> Iterator[dict]:
        for chunk in self.record_chunks():
            yield from chunk

    def record_chunks(self, shape: Shape = "dicts") -> Iterator[Chunk]:
        """The typed records of every matching file, a block of lines at a time."""
        found = self.matching_files()
        if not found:
            where = files.shown(files.absolute(self.spec.path))
            self.logger.warning("tap-csv: no file matches %s for entity %s", where, self.name)
        totals = FileStats("total", "")
        for path in found:
            try:
                stats = yield from self._read_file(path, shape)
            except FileError as exc:
                raise FileError(f"{exc}. Fix the file or move it out of the drop folder, then run again") from None
            totals.read += stats.read
            totals.emitted += stats.emitted
            totals.rejected += stats.rejected
        self.logger.info(
            "tap-csv total: entity=%s files=%d read=%d emitted=%d rejected=%d",
            self.name,
            len(found),
            totals.read,
            totals.emitted,
            totals.rejected,
        )

    def _read_file(self, path: Path, shape: Shape) -> Generator[Chunk, None, FileStats]:
        key = files.shown(path)  # the file's name in state, records and logs
        marks: dict[str, Any] = self.stream_state.setdefault("files", {})
        mark = Bookmark.from_state(marks.get(key))
        stat = path.stat()
        fmt = detect_format(path, self.spec.format)
        plan = plan_read(path, stat.st_size, stat.st_mtime_ns, mark, appendable=fmt != "json")
        stats = FileStats(plan.action, plan.why)
        if plan.action == "skip":
            if mark is not None and mark.mtime_ns != stat.st_mtime_ns:
                mark.mtime_ns = stat.st_mtime_ns
                mark.size = stat.st_size
                marks[key] = mark.to_state()
            self._summary(key, stats)
            return stats

        extracted_at = dt.datetime.now(UTC)
        self._time_extracted = extracted_at
        meta = {
            "_source_file": key,
            "_source_file_mtime": _iso(dt.datetime.fromtimestamp(stat.st_mtime, UTC)),
            "_extracted_at": _iso(extracted_at),
        }
        resume = plan.action == "resume" and mark is not None
        start = mark.offset if resume and mark is not None else 0
        # Only complete records: up to the last newline, unless the file is settled (unchanged
        # since the previous run saw it). A JSON array is parsed whole or not at all.
        end = stat.st_size if plan.settled or fmt == "json" else complete_end(path, stat.st_size)
        new_mark = Bookmark(
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            offset=0,
            lines=0,
            sha256="",
            rows=mark.rows if resume and mark else 0,
            rejected=mark.rejected if resume and mark else 0,
            format=fmt,
            last_extracted_at=meta["_extracted_at"],
        )

        base = (new_mark.rows, new_mark.rejected)
        cursor: LineCursor | None = None
        handle = None
        positions: dict[str, int] = {}  # CSV: where each header name's values are in a block
        try:
            check_encoding(path, self.spec.encoding, start, end)
            if fmt == "json":
                with path.open("rb") as fh:
                    data = fh.read(stat.st_size)
                records: Iterable[RawRecord] = json_array_records(path, data, self.spec.encoding)
                pieces = _chunked(self._check_first_object(key, records))
                new_mark.offset, new_mark.sha256 = len(data), hashlib.sha256(data).hexdigest()
                new_mark.lines = data.count(b"\n")
            else:
                handle = path.open("rb")
                if fmt == "csv":
                    layout = read_csv_layout(
                        path, self.spec.encoding, self.spec.delimiter, self.spec.quotechar, end, plan.settled
                    )
                    self._check_header(key, layout.header)
                    offset = 1 if layout.legacy else 0  # the legacy index comes first
                    positions = {name: index + offset for index, name in enumerate(layout.header)}
                    new_mark.layout = "legacy" if layout.legacy else "trailing" if layout.trailing else "clean"
                    self._log_layout(key, layout)
                    if resume and mark is not None:
                        cursor = LineCursor(handle, self.spec.encoding, mark.offset, mark.lines, plan.hasher)
                    else:
                        cursor = LineCursor(
                            handle,
                            self.spec.encoding,
                            layout.header_end,
                            layout.header_lines,
                            prefix_hasher(path, layout.header_end),
                        )
                    cursor.end, cursor.final = end, plan.settled
                    pieces = csv_blocks(cursor, layout, self.spec.delimiter, self.spec.quotechar, CHUNK_ROWS)
                else:
                    if resume and mark is not None:
                        cursor = LineCursor(handle, self.spec.encoding, mark.offset, mark.lines, plan.hasher, end)
                    else:
                        cursor = LineCursor(handle, self.spec.encoding, end=end)
                    pieces = _chunked(self._check_first_object(key, jsonl_records(cursor)))
        except NotComplete as exc:
            return self._wait(key, f"{key}: {exc}", stat, stats)
        except FileError as exc:
            if fmt != "json":
                raise
            if not plan.settled:  # an array still being written does not parse yet
                return self._wait(key, str(exc), stat, stats)
            raise FileError(f"{exc} (unchanged since the previous run found it so: not being written)") from None
        finally:
            if handle is not None and cursor is None:
                handle.close()

        try:
            for piece in pieces:
                if isinstance(piece, RowBlock):
                    chunk = self._typed_block(piece, positions, meta, stats, shape)
                    rest: Iterable[RawRecord] = piece.records(len(chunk))
                else:
                    chunk, rest = [], piece
                for raw in rest:
                    record = self._typed_row(key, raw, meta, extracted_at, stats)
                    if record is not None:
                        chunk.append(record)
                stats.emitted += len(chunk)
                yield chunk
                # The consumer has taken these records: bookmark the part read so far.
                if cursor is not None:
                    marks[key] = self._mark_at(new_mark, cursor, base, stats).to_state()
        finally:
            if handle is not None:
                handle.close()

        if cursor is not None:
            self._mark_at(new_mark, cursor, base, stats)
            if cursor.offset < stat.st_size:
                self.logger.warning(
                    "tap-csv: %s: the %d bytes after line %d are not a complete record yet (no newline, or a "
                    "quoted value still open): left for the next run, which reads them as they are if the "
                    "file has not changed by then",
                    key,
                    stat.st_size - cursor.offset,
                    cursor.lines,
                )
        else:
            new_mark.rows += stats.emitted
            new_mark.rejected += stats.rejected
        marks[key] = new_mark.to_state()
        self._summary(key, stats)
        return stats

    def _wait(self, key: str, why: str, stat: os.stat_result, stats: FileStats) -> FileStats:
        """A file with nothing complete to read yet: bookmarked as seen (size and mtime, nothing
        read), so the next run reads it, or refuses it if it has not changed by then."""
        self.logger.warning(
            "tap-csv: %s: not complete yet, left for the next run (a file still being written); "
            "if it has not changed by then, that run reads it as it is or refuses it",
            why,
        )
        mark = Bookmark(stat.st_size, stat.st_mtime_ns, offset=0, lines=0, sha256="")
        self.stream_state.setdefault("files", {})[key] = mark.to_state()
        stats.action, stats.why = "wait", why
        self._summary(key, stats)
        return stats

    def _log_layout(self, key: str, layout: CsvLayout) -> None:
        named = len(layout.header)
        if layout.legacy:
            self.logger.warning(
                "tap-csv: %s: legacy shape: the header names %d columns but data rows carry %d "
                "values; dropping the unnamed leading index column",
                key,
                named,
                named + 1,
            )
        if layout.trailing:
            self.logger.warning(
                "tap-csv: %s: every data row ends with a trailing delimiter (%d values under %d column names, "
                "the last one empty): ignoring that empty value",
                key,
                named + 1,
                named,
            )

    @staticmethod
    def _mark_at(mark: Bookmark, cursor: LineCursor, base: tuple[int, int], stats: FileStats) -> Bookmark:
        mark.offset, mark.lines, mark.sha256 = cursor.offset, cursor.lines, cursor.hasher.hexdigest()
        mark.rows, mark.rejected = base[0] + stats.emitted, base[1] + stats.rejected
        return mark

    # --- contract --------------------------------------------------------------------
    def _typed_row(
        self,
        name: str,
        raw: RawRecord,
        meta: dict[str, Any],
        extracted_at: dt.datetime,
        stats: FileStats,
    ) -> dict[str, Any] | None:
        """One record typed against the contract, or None once it is rejected (or raised).

        A key read before, in this file or another, is no error: raw keeps every version and
        staging the last one delivered (file order, then line order; docs/transform.md)."""
        stats.read += 1
        try:
            if raw.error or raw.values is None:
                raise RowRejected(raw.error or "invalid_record", raw.column)
            record = self._typed(raw.values)
        except RowRejected as bad:
            self._reject(name, raw, bad, meta, extracted_at, stats)
            return None
        if self.add_metadata:
            record.update(meta)
            record["_source_lineno"] = raw.lineno
        return record

    def _typed_block(
        self,
        block: RowBlock,
        positions: dict[str, int],
        meta: dict[str, Any],
        stats: FileStats,
        shape: Shape,
    ) -> Chunk:
        """The records of a block's rows, typed a column at a time.

        Returns the records of every row when every value of every column takes the column
        path (contracts.convert_column), else none: the caller then types the rows one by one,
        which names the reason of each reject.
        """
        columns = block.columns
        if not columns:
            return []
        count = len(block.lines)
        block_column = None
        if shape == "columns":  # Parquet: integers and decimals typed in C (pyarrow, imported by now)
            from tap_csv.parquet import block_column
        typed: dict[str, Column] = {}
        for spec in self.contract.fields:
            index = positions.get(spec.name)
            if index is None:  # an optional column the file does not have (the header check passed)
                if spec.required:
                    return []
                typed[spec.name] = [None] * count
                continue
            values: Column | None = None
            if block_column is not None:
                values = block_column(spec, columns[index])
            if values is None:
                values = convert_column(spec, columns[index])
            if values is None:
                return []
            typed[spec.name] = values
        names = list(typed)
        stats.read += count
        # Every part is a column of `count` values (a list, a range, or an array block_column built).
        parts: list[Column] = [typed[name] for name in names]
        if self.add_metadata:
            names += [*meta, "_source_lineno"]
            parts += [[value] * count for value in meta.values()]
            parts.append(range(block.first_line, block.first_line + count))
        if shape == "columns":  # Parquet: the typed columns themselves
            return RecordColumns(names, parts)
        if shape == "structs":  # JSON Lines only encodes them: msgspec structs, built in C
            return list(map(self._struct_type(tuple(names)), *parts))
        # zip(), map() and dict() in C: no Python frame per row
        return list(map(dict, map(zip, repeat(names), zip(*parts, strict=True))))

    @functools.cache  # noqa: B019 - one stream object per entity and run
    def _struct_type(self, names: tuple[str, ...]) -> type[msgspec.Struct]:
        """A record as a struct: its fields are `names` in order, encoded as the dict would be."""
        rename = {f"f{index}": name for index, name in enumerate(names)}
        return msgspec.defstruct("Record", [(field_name, object) for field_name in rename], rename=rename)

    def _typed(self, values: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for name, convert, required in self._converters:
            value = values.get(name)
            try:
                # non-empty values go straight to the converter (the hot path)
                if value is not None and value != "" and not (value.__class__ is str and value.isspace()):
                    record[name] = convert(value)
                elif required:
                    raise ValueError(f"missing_required: {name} is required")
                else:
                    record[name] = None
            except ValueError as exc:
                raise RowRejected(str(exc), name) from exc
        if not self.contract.allow_extra_columns and not values.keys() <= self.contract.by_name.keys():
            extra = [name for name in values if name not in self.contract.by_name]
            raise RowRejected(f"unexpected_field: {excerpt(extra)} not in the contract", extra[0])
        return record

    def _expectation(self) -> str:
        return (
            f"expected columns {self.contract.names} (required: {self.contract.required}; contract "
            f"{self.contract.source}; extra columns {'allowed' if self.contract.allow_extra_columns else 'refused'})"
        )

    def _check_header(self, file: str, header: list[str]) -> None:
        missing = [name for name in self.contract.required if name not in header]
        if missing:
            found = excerpt(header)
            raise FileError(f"{file}: missing required column(s) {missing}; found {found}; {self._expectation()}")
        extra = [name for name in header if name not in self.contract.by_name]
        if extra and not self.contract.allow_extra_columns:
            raise FileError(f"{file}: unexpected column(s) {excerpt(extra)}; {self._expectation()}")
        if extra:
            self.logger.info("tap-csv: %s: ignoring extra column(s) %s", file, excerpt(extra))

    def _check_first_object(self, file: str, records: Iterable[RawRecord]) -> Iterator[RawRecord]:
        """JSON: the first object's keys stand for the file's columns (file-level check);
        a later object that lacks a required key or has an unknown one is a row reject."""
        checked = False
        for raw in records:
            if not checked and raw.values is not None:
                self._check_header(file, list(raw.values))
                checked = True
            yield raw

    # --- rejects and logging ---------------------------------------------------------
    def _reject(
        self,
        file: str,
        raw: RawRecord,
        bad: RowRejected,
        meta: dict[str, Any],
        extracted_at: dt.datetime,
        stats: FileStats,
    ) -> None:
        stats.rejected += 1
        reason = shorten(bad.reason, REASON_LIMIT)
        code = reason.split(":", 1)[0]
        stats.reasons[code] = stats.reasons.get(code, 0) + 1
        if self.fail_fast:
            raise RejectedRowError(
                f"{file}: line {raw.lineno}: {reason} (entity {self.name}; on_reject=fail stops at the "
                f"first bad row; use on_reject=quarantine to load it into {REJECTS_STREAM})"
            )
        if stats.rejected <= 5:
            self.logger.warning("tap-csv: %s: line %d rejected: %s", file, raw.lineno, reason)
        self.rejects.emit(
            {
                "entity": self.name,
                "reason": reason,
                "column_name": bad.column,
                "raw_line": raw.raw[:RAW_LINE_LIMIT],
                "_source_lineno": raw.lineno,
                **meta,
            },
            extracted_at,
        )

    def _summary(self, file: str, stats: FileStats) -> None:
        reasons = ",".join(f"{k}={v}" for k, v in sorted(stats.reasons.items())) or "-"
        self.logger.info(
            "tap-csv summary: entity=%s file=%s action=%s read=%d emitted=%d rejected=%d reasons=%s (%s)",
            self.name,
            file,
            stats.action,
            stats.read,
            stats.emitted,
            stats.rejected,
            reasons,
            stats.why,
        )
