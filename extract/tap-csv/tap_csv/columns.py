"""Records held as columns, for the Parquet BATCH path (tap_csv/parquet.py).

A block of CSV rows is typed a column at a time (FileStream._typed_block); for Parquet the
typed columns go to the writer as they are, rather than as one record per row that the writer
would have to take apart again. Rows typed one by one after the block (around a rejected row)
are appended value by value.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import Any


class RecordColumns:
    """Records as one list of values per column name; every column has the same length."""

    def __init__(self, names: list[str], columns: list[list[Any]]) -> None:
        self.names = names
        self.columns = columns

    @classmethod
    def of_records(cls, records: list[dict[str, Any]], names: list[str]) -> RecordColumns:
        return cls(list(names), [[record.get(name) for record in records] for name in names])

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def append(self, record: dict[str, Any]) -> None:
        for name, column in zip(self.names, self.columns, strict=True):
            column.append(record.get(name))


def regroup_columns(
    chunks: Iterable[RecordColumns | list[dict[str, Any]]], names: list[str], size: int
) -> Iterator[list[list[Any]]]:
    """The values of `chunks` (columns, or lists of dict records) as columns in the order of
    `names`, `size` rows at a time (the last group shorter, none empty). A name a chunk lacks
    is None in its rows."""
    pending: list[list[Any]] = [[] for _ in names]
    count = 0
    for chunk in chunks:
        block = chunk if isinstance(chunk, RecordColumns) else RecordColumns.of_records(chunk, names)
        rows = len(block)
        by_name = dict(zip(block.names, block.columns, strict=True))
        for name, column in zip(names, pending, strict=True):
            column.extend(by_name.get(name, repeat(None, rows)))
        count += rows
        while count >= size:
            yield [column[:size] for column in pending]
            for column in pending:
                del column[:size]
            count -= size
    if count:
        yield pending
