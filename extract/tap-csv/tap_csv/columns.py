"""Records held as columns, for the Parquet BATCH path (tap_csv/parquet.py).

A block of CSV rows is typed a column at a time (FileStream._typed_block); for Parquet the
typed columns go to the writer as they are, rather than as one record per row that the writer
would have to take apart again. A column is a list of values, or an array the block path
already built in C (tap_csv/parquet.py:block_column): anything with a length and slices.
Rows typed one by one after the block (around a rejected row) follow as dict records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

Column = Sequence[Any]  # a list of values, or a pyarrow Array


class RecordColumns:
    """Records as one column per name (every column the same length), then the records that
    `append` adds, typed one by one."""

    def __init__(self, names: list[str], columns: list[Column]) -> None:
        self.names = names
        self.columns = columns
        self.rows: list[dict[str, Any]] = []

    @classmethod
    def of_records(cls, records: list[dict[str, Any]]) -> RecordColumns:
        block = cls([], [])
        block.rows = records
        return block

    def __len__(self) -> int:
        return (len(self.columns[0]) if self.columns else 0) + len(self.rows)

    def append(self, record: dict[str, Any]) -> None:
        self.rows.append(record)

    def parts(self, names: list[str]) -> Iterator[tuple[int, list[Column]]]:
        """(rows, one column per name in `names`) for the columns, then for the appended
        records; a name the records lack is None in their rows."""
        block_rows = len(self.columns[0]) if self.columns else 0
        if block_rows:
            by_name = dict(zip(self.names, self.columns, strict=True))
            yield block_rows, [by_name[name] if name in by_name else [None] * block_rows for name in names]
        if self.rows:
            yield len(self.rows), [[record.get(name) for record in self.rows] for name in names]


def regroup_columns(
    chunks: Iterable[RecordColumns | list[dict[str, Any]]], names: list[str], size: int
) -> Iterator[list[list[Column]]]:
    """The values of `chunks` (columns, or lists of dict records) in groups of `size` rows (the
    last group shorter, none empty): each group holds, per name in `names`, the pieces of that
    column in order (lists, or the block path's arrays; slices of them where a group ends)."""
    pending: list[list[Column]] = [[] for _ in names]
    count = 0
    for chunk in chunks:
        block = chunk if isinstance(chunk, RecordColumns) else RecordColumns.of_records(chunk)
        for rows, columns in block.parts(names):
            for pieces, column in zip(pending, columns, strict=True):
                pieces.append(column)
            count += rows
            while count >= size:
                yield [_take(pieces, size) for pieces in pending]
                count -= size
    if count:
        yield pending


def _take(pieces: list[Column], count: int) -> list[Column]:
    """The first `count` rows of a column's pieces, removed from `pieces`."""
    taken: list[Column] = []
    while count:
        piece = pieces[0]
        if len(piece) <= count:
            taken.append(pieces.pop(0))
            count -= len(piece)
        else:
            taken.append(piece[:count])
            pieces[0] = piece[count:]
            count = 0
    return taken
