"""Guarantee: re-running the pipeline on unchanged sources changes nothing the business sees."""

from __future__ import annotations

from tests.reliability import pipeline
from tests.support.stack import Stack


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
