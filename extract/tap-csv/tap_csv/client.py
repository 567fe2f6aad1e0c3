"""The tap's base stream: what its streams change of singer-sdk's `Stream`.

Streams hand over their records a piece at a time (`chunks`: typed columns). The RECORD path
takes them as dicts through the SDK's own loop (`get_records`); the BATCH path writes each piece
to a Parquet file as it is (`get_batches`), without a Python frame per record. Every private SDK
hook used here is listed in the package README and pinned by tests/test_sdk_hooks.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_csv import writer
from tap_csv.contracts import Columns

if TYPE_CHECKING:
    from singer_sdk.helpers._batch import BaseBatchFileEncoding, BatchConfig
    from singer_sdk.singerlib import RecordMessage

# Most lines read, typed and handed on together (a Parquet file's rows): a partly read file is
# bookmarked after each piece.
CHUNK_ROWS = 20_000


class DropStream(Stream):
    """A stream of tap-csv: typed pieces of records, sent as RECORD messages or Parquet files."""

    # Records are typed by their contract already: skip the SDK's per-value conformance pass.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE
    # The file's extraction time (`_extracted_at`), also sent as the messages' time_extracted.
    time_extracted: dt.datetime | None = None

    def chunks(self, rows: int) -> Iterator[Columns]:
        """The stream's records, a piece of at most `rows` at a time."""
        return iter(())

    def get_records(self, context: dict | None) -> Iterator[dict]:
        for chunk in self.chunks(CHUNK_ROWS):
            yield from writer.records(chunk, self.schema)

    def _generate_record_messages(self, record: dict) -> Iterator[RecordMessage]:
        """The SDK's messages, with the file's extraction time: a target that keeps Singer's
        metadata (target-postgres' _sdc_extracted_at) gets the same value as `_extracted_at`."""
        for message in super()._generate_record_messages(record):
            if self.time_extracted is not None:
                message.time_extracted = self.time_extracted
            yield message

    def get_batch_config(self, config: Mapping[str, Any]) -> BatchConfig | None:
        if config.get("batch_messages") is False:  # the record path, even with a batch_config
            return None
        return super().get_batch_config(config)

    def get_batches(
        self, batch_config: BatchConfig, context: dict | None = None
    ) -> Iterable[tuple[BaseBatchFileEncoding, list[str]]]:
        """A Parquet file per typed piece, counted and timed as the SDK's loop does. Another
        encoding, a context or a record limit (the SDK's test mode): the SDK's own batcher."""
        if batch_config.encoding.format != "parquet" or context is not None or self.ABORT_AT_RECORD_COUNT is not None:
            yield from super().get_batches(batch_config, context)
            return
        root = batch_config.storage.root
        if root.startswith("file://"):  # fsspec does not create local folders
            folder = Path(root.removeprefix("file://"))
            folder.mkdir(parents=True, exist_ok=True)
            writer.remove_stale_batches(folder, f"{batch_config.storage.prefix or ''}{self.tap_name}--{self.name}-")
        record_counter, timer = self.get_record_counter(), self.get_sync_timer()
        with record_counter, timer:
            record_counter.with_context({})
            timer.with_context({})

            def counted() -> Iterator[Columns]:
                for chunk in self.chunks(min(batch_config.batch_size, CHUNK_ROWS)):
                    record_counter.increment(len(chunk))
                    yield chunk

            manifests = writer.write_parquet_batches(counted(), batch_config, self.tap_name, self.name, self.schema)
            for manifest in manifests:
                yield batch_config.encoding, manifest
