"""The primary keys already read in one file, for the in-file duplicate-key check.

A dict of every key costs ~150 bytes per row (tuple + int + dict slot): ~1.5 GB at 10M rows,
against issue #7's 500 MB peak RSS. Ids are usually dense non-negative integers, so a single
integer key is kept in an `array('I')` indexed by the id (4 bytes per slot); every other key
keeps the dict.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable

DENSE_LIMIT = 2**25  # ids below this may go to the array: at most 128 MiB of slots (4 bytes each)
# The array only grows to reach an id below SPARSITY x the keys held so far: 32 slots (128 bytes)
# per key is about what the dict costs, so a few scattered huge ids, or a file resumed half-way
# (ids starting at 5M), cost no more than the dict would.
SPARSITY = 32
MIN_CAPACITY = 1024
GROW_STEP = 1 << 20  # slots zero-filled per step when growing: a 4 MiB temporary, not a second array


class SeenKeys:
    """Each key read so far in one file, with the line it was first read at.

    A single non-negative integer key below `dense_limit` lives in an `array('I')` slot holding
    line + 1 (0 = unseen). Any other key (composite, string, decimal, negative or huge int), a
    line too big for a slot, and an id too far beyond the keys held so far go to a dict.

    Duplicates are what a dict of the key tuples would find: bool counts as the int it equals
    (True is 1, as in a dict); an integral float or Decimal would not meet an equal int here, but
    a contract gives each key column one type (the integer converter always returns int).
    """

    def __init__(self, dense_limit: int = DENSE_LIMIT) -> None:
        self._lines = array("I")
        self._dense_limit = dense_limit
        self._dense_count = 0
        # a slot stores line + 1, and 'I' is only guaranteed 16 bits: larger lines go to the dict
        self._line_limit = 2 ** (8 * self._lines.itemsize) - 1
        self._others: dict[tuple[Hashable, ...], int] = {}

    def add(self, key: tuple[Hashable, ...], line: int) -> int | None:
        """Record `key` as read at `line` and return None; or, if `key` was read before, record
        nothing and return the line it was first read at."""
        if len(key) == 1:
            value = key[0]
            if isinstance(value, int) and 0 <= value < self._dense_limit:
                lines = self._lines
                if value < len(lines):
                    stored = lines[value]
                    if stored:
                        return stored - 1
                if self._others:  # the id may be in the dict (its line was too big, or it was too sparse then)
                    first = self._others.get(key)
                    if first is not None:
                        return first
                if 0 <= line < self._line_limit and (value < len(lines) or self._grow(value)):
                    lines[value] = line + 1
                    self._dense_count += 1
                    return None
                self._others[key] = line
                return None
        first = self._others.get(key)
        if first is None:
            self._others[key] = line
        return first

    def add_many(self, keys: list[tuple[Hashable, ...]], first_line: int) -> int:
        """`add` each key in turn, key i read at line `first_line + i`, up to the first key read
        before: how many were added (len(keys) when none repeats). The repeat is not added."""
        add = self.add
        for index, key in enumerate(keys):
            if add(key, first_line + index) is not None:
                return index
        return len(keys)

    def add_column(self, values: list[Hashable], first_line: int) -> int:
        """`add_many` for a one-column key, given as its column of values.

        When every value is a distinct int that fits the array and none is held yet (a block of
        fresh ids, the common case), the check is a few C-level passes over the column, then
        one store per id; any other column goes key by key through `add_many`.
        """
        count = len(values)
        last_line = first_line + count
        if count and not self._others and all(type(value) is int for value in values) and last_line < self._line_limit:
            ints: list[int] = values  # type: ignore[assignment]
            low, high = min(ints), max(ints)
            lines = self._lines
            if (
                low >= 0
                and high < self._dense_limit
                and (high < len(lines) or self._grow(high, adding=count))
                and len(set(ints)) == count
                and not any(map(lines.__getitem__, ints))
            ):
                for line, value in enumerate(ints, first_line + 1):  # slot = line + 1
                    lines[value] = line
                self._dense_count += count
                return count
        return self.add_many([(value,) for value in values], first_line)

    def _grow(self, index: int, adding: int = 1) -> bool:
        """Grow the array geometrically (x1.5) so that slot `index` exists; False, and no growth,
        if the array would then be too sparse (the key goes to the dict, smaller for scattered ids).
        `adding`: how many keys the caller is about to store (the density counts them)."""
        size = len(self._lines)
        if index >= max(MIN_CAPACITY, SPARSITY * (len(self) + adding)):
            return False
        target = min(self._dense_limit, max(index + 1, size + size // 2, MIN_CAPACITY))
        while size < target:
            step = min(GROW_STEP, target - size)
            self._lines.frombytes(bytes(step * self._lines.itemsize))
            size += step
        return True

    def __len__(self) -> int:
        return self._dense_count + len(self._others)

    @property
    def dense_slots(self) -> int:
        """Slots allocated in the array (`array('I').itemsize` bytes each)."""
        return len(self._lines)

    @property
    def fallback_keys(self) -> int:
        """Keys held in the dict."""
        return len(self._others)
