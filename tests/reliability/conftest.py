"""Fixtures of the reliability suite (auto-marked `slow` by the root conftest.py)."""

from __future__ import annotations

import pytest

from infinit.stack import Stack
from tests.reliability import pipeline

# Small on purpose: every guarantee here is about correctness, not volume.
TRANSACTIONS = 300


@pytest.fixture(scope="module")
def loaded(stack: Stack, request: pytest.FixtureRequest) -> Stack:
    """One stack per module with the demo data (300 transactions) loaded by one clean `meltano run elt`."""
    name = "m_" + request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:30]
    child = stack.fresh(name)
    pipeline.write_demo(child, TRANSACTIONS)
    pipeline.elt(child)
    return child
