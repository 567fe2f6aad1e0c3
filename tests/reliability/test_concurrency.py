"""Guarantee: two `meltano run elt` at once never corrupt anything.

A run that finds the other one loading is refused by Meltano's guard, with a clear message.
Two runs started in the same instant can both pass that guard (Meltano checks for a running
job, then records its own); whatever each of them then does, nothing is loaded twice or
summed twice, the next run completes, and the marts equal a `--full-refresh`.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date

import psycopg

from infinit.stack import Stack
from tests.reliability import pipeline

REFUSED = re.compile(r"already running", re.IGNORECASE)


def new_day(stack: Stack, day: int) -> None:
    rows = pipeline.daily_rows(1, 30, first=date(2024, 11, day), first_id=40_000 + 100 * day)[0]
    pipeline.write_daily_file(stack.drops, 0, rows, first=date(2024, 11, day))


def test_a_run_that_finds_the_other_loading_is_refused(loaded: Stack) -> None:
    new_day(loaded, 1)
    # Hold the first run inside its tap-csv block for sure: its COPY into raw.transactions
    # waits on this lock while the second run starts.
    holder = psycopg.connect(loaded.admin_conninfo("warehouse"))
    holder.execute("lock table raw.transactions in share mode")
    second: list[subprocess.CompletedProcess[str]] = []

    def start_second_then_release() -> None:
        second.append(pipeline.elt(loaded, check=False))
        holder.close()

    try:
        first = pipeline.run_until(
            loaded,
            pipeline.elt_argv(),
            re.compile(r"Inserting with SQL.*transaction_id"),
            on_trigger=start_second_then_release,
            kill=False,
        )
    finally:
        holder.close()

    assert first.killed, "the second run started while the first was loading transactions"
    assert first.returncode == 0, first.text[-5000:]
    refused = second[0].stdout + second[0].stderr
    assert second[0].returncode != 0
    assert REFUSED.search(refused) and "--force" in refused, refused[-5000:]
    assert not re.search(r"Traceback|JSONDecodeError|deadlock|already exists", refused), refused[-5000:]
    pipeline.assert_every_sale_once(loaded)


def test_two_runs_started_together(loaded: Stack) -> None:
    new_day(loaded, 2)
    runs = [pipeline.spawn(loaded, pipeline.elt_argv()) for _ in range(2)]
    outputs = [run.communicate(timeout=900)[0] for run in runs]
    loaded.runs.extend(
        f"concurrent elt #{i} exited {run.returncode}\n{out[-6000:]}"
        for i, (run, out) in enumerate(zip(runs, outputs, strict=True))
    )

    # Each may have been refused, or failed on the other's work (a catalog file Meltano was
    # rewriting, a key the other inserted first) and rolled back. Nothing is stuck:
    pipeline.elt(loaded)
    pipeline.assert_every_sale_once(loaded)
    settled = pipeline.fingerprint(loaded)
    pipeline.elt(loaded)
    assert pipeline.diff(settled, pipeline.fingerprint(loaded)) == []
    # Nothing summed twice: the marts are those a rebuild from scratch gives.
    assert pipeline.full_refresh_diff(loaded) == []
