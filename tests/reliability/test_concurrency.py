"""Guarantee: two `meltano run elt` at once never corrupt anything. A run that finds the
other one holding an EL block is refused with a clear message; whatever happened, the next
run leaves the marts exact.
"""

from __future__ import annotations

import re
from datetime import date

from infinit.stack import Stack
from tests.reliability import pipeline

REFUSED = re.compile(r"already running", re.IGNORECASE)


def test_two_runs_at_once(loaded: Stack) -> None:
    rows = pipeline.daily_rows(1, 30, first=date(2024, 11, 1), first_id=40_001)[0]
    pipeline.write_daily_file(loaded.drops, 0, rows, first=date(2024, 11, 1))

    first = pipeline.spawn(loaded, pipeline.elt_argv())
    second = pipeline.spawn(loaded, pipeline.elt_argv())
    outputs = [proc.communicate(timeout=900)[0] for proc in (first, second)]
    codes = [first.returncode, second.returncode]
    loaded.runs.extend(
        f"concurrent elt #{i} exited {c}\n{o[-6000:]}" for i, (c, o) in enumerate(zip(codes, outputs, strict=True))
    )

    assert 0 in codes, "at least one of the two runs completes"
    for code, output in zip(codes, outputs, strict=True):
        if code != 0:
            # The loser is refused by Meltano's own guard, clearly: not a crash of its tap,
            # target or dbt stepping on the other run.
            assert REFUSED.search(output), output[-5000:]
            assert "--force" in output
            assert not re.search(r"Traceback|JSONDecodeError|deadlock|already exists", output), output[-5000:]

    # Nothing corrupted: every sale once, and one more run changes nothing.
    assert pipeline.fact_ids(loaded) == pipeline.csv_transaction_ids(loaded.drops)
    total, distinct = pipeline.fact_integrity(loaded)
    assert total == distinct
    settled = pipeline.fingerprint(loaded)
    pipeline.elt(loaded)
    assert pipeline.diff(settled, pipeline.fingerprint(loaded)) == []
