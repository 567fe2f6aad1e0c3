"""Guarantee: one rule for which version of a sale wins, the last one delivered (file order,
then line order; within a file, its latest read), the same within a file, across files and
across runs: after any sequence of deliveries the incremental runs and
`meltano run --full-refresh elt` give identical marts, and staging holds the version the rule
names.

Hypothesis generates the sequences: new files, a key repeated within a file and across files,
appends, files re-sent with other content or touched with the same, file names whose byte
order is not the database's collation order (`B` < `a`). Each step is delivered and loaded by
`meltano run elt`; a model of the rule (`Deliveries`) says which version must win. Bounded: a
few sequences, each a handful of real runs.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from infinit.stack import Stack
from tests.reliability import pipeline

HEADER = "transaction_id,product_id,client_id,quantity,price,timestamp"
# 23:30 UTC on January 31st is a February sale in Europe/Paris: versions move sales across
# days and months, which the incremental daily and monthly tables must follow
DAYS = ["2024-01-31 23:30:00", "2024-02-10 10:00:00", "2024-03-01 09:00:00"]
ROW = st.tuples(st.integers(1, 4), st.sampled_from([100, 200, 300]), st.sampled_from(DAYS))
STEP = st.tuples(
    st.sampled_from(["write", "append", "touch"]),
    st.sampled_from(["a", "B", "b"]),
    st.lists(ROW, min_size=1, max_size=4),
)
SEQUENCES = st.lists(STEP, min_size=2, max_size=3)
EXAMPLES = itertools.count(1)


@dataclass
class Deliveries:
    """The rule as a model: every version delivered, as (path, read number, line, price)."""

    lines: dict[Path, list[str]] = field(default_factory=dict)
    versions: dict[int, list[tuple[bytes, int, int, Decimal]]] = field(default_factory=dict)

    def deliver(self, path: Path, lines: list[str], read: int) -> None:
        """`path` now holds `lines`. tap-csv reads only what follows a known prefix (an
        append); anything else is a rewrite, read in full."""
        old = self.lines.get(path, [])
        start = len(old) if lines[: len(old)] == old else 0
        for number, line in enumerate(lines[start:], start=start + 2):  # line 1 is the header
            key, _, _, _, price, _ = line.split(",")
            self.versions.setdefault(int(key), []).append((os.fsencode(path), read, number, Decimal(price)))
        self.lines[path] = lines

    def winners(self) -> dict[int, Decimal]:
        return {key: max(found)[3] for key, found in self.versions.items()}


def apply(step: tuple[str, str, list[tuple[int, int, str]]], folder: Path, prefix: str, offset: int) -> tuple:
    kind, name, rows = step
    path = folder / f"transactions_{prefix}{name}.csv"
    new = [f"{offset + key},101,201,1,{price},{day}" for key, price, day in rows]
    old = path.read_text().splitlines()[1:] if path.exists() else []
    if kind == "touch" and path.exists():  # re-sent unchanged: a new mtime, the same bytes
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        return path, old
    lines = old + new if kind == "append" else new
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return path, lines


def staged_prices(stack: Stack, keys: list[int]) -> dict[int, Decimal]:
    rows = stack.query(
        "select transaction_id, unit_price from staging.stg_files__transactions where transaction_id = any(%s)",
        (keys,),
    )
    return {int(key): price for key, price in rows}


@pytest.fixture(scope="module")
def warehouse(stack: Stack) -> Stack:
    child = stack.fresh("delivery_order")
    pipeline.write_demo(child, 20)
    pipeline.elt(child)
    return child


@settings(
    max_examples=2,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: each example is minutes of real runs
    suppress_health_check=list(HealthCheck),
)
@given(sequence=SEQUENCES)
def test_incremental_runs_and_a_full_refresh_keep_the_last_version_delivered(
    warehouse: Stack, sequence: list[tuple[str, str, list[tuple[int, int, str]]]]
) -> None:
    example = next(EXAMPLES)
    offset = 1_000_000 * example  # keys of their own, beside the demo's and other examples'
    model = Deliveries()
    for read, step in enumerate(sequence, start=1):
        path, lines = apply(step, warehouse.drops, f"{example}_", offset)
        if lines:
            model.deliver(path, lines, read)
        pipeline.elt(warehouse)
    expected = model.winners()
    assert staged_prices(warehouse, sorted(expected)) == expected

    incremental = pipeline.fingerprint(warehouse)
    pipeline.elt(warehouse, "--full-refresh")  # every file read again, in one run
    assert pipeline.diff(incremental, pipeline.fingerprint(warehouse)) == []
    assert staged_prices(warehouse, sorted(expected)) == expected
    assert pipeline.fact_integrity(warehouse)[0] == pipeline.fact_integrity(warehouse)[1]
