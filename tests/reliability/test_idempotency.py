"""Guarantee: re-running the pipeline on unchanged sources changes nothing the business sees."""

from __future__ import annotations

from infinit.stack import Stack
from tests.reliability import pipeline


def test_three_runs_on_unchanged_sources_leave_every_mart_identical(loaded: Stack) -> None:
    first = pipeline.fingerprint(loaded)
    assert "marts.fct_transactions" in first and first["marts.fct_transactions"]["rows"] == 300
    raw_before = pipeline.count(loaded, "raw.transactions")
    for _ in range(2):
        pipeline.elt(loaded)
        assert pipeline.diff(first, pipeline.fingerprint(loaded)) == []
    # Unchanged files are not read again: nothing re-delivered into raw either.
    assert pipeline.count(loaded, "raw.transactions") == raw_before
    assert pipeline.fact_integrity(loaded) == (300, 300)


def test_redelivery_after_lost_state_changes_no_mart(loaded: Stack) -> None:
    """At-least-once: the state of the file drops is lost (as after a crash between the
    target's commit and Meltano's state save), so every file is delivered again."""
    before = pipeline.fingerprint(loaded)
    raw_before = pipeline.count(loaded, "raw.transactions")
    pipeline.meltano(loaded, "state", "clear", "--force", "dev:tap-csv-to-target-postgres")
    pipeline.elt(loaded)
    assert pipeline.count(loaded, "raw.transactions") == 2 * raw_before, "every row was delivered again"
    assert pipeline.diff(before, pipeline.fingerprint(loaded)) == []
    assert pipeline.fact_integrity(loaded) == (300, 300)
