"""Fixtures shared by every test folder (tests/ and each package's own tests): one throwaway
stack (two embedded servers, src/infinit/stack.py) per test session."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from infinit.stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """Servers on free ports with random passwords; torn down at the end of the session.

    Their data lives in a folder of its own, not under pytest's basetemp: pytest deletes the
    basetemps of older sessions when new ones start, and a second pytest session on the same
    machine would delete a running server's data."""
    home = Path(tempfile.mkdtemp(prefix="infinit-stack-"))
    try:
        with start_stack(home) as running:
            yield running
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def fresh_stack(stack: Stack, request: pytest.FixtureRequest) -> Stack:
    """An empty warehouse database, drop folder and Meltano state for one test."""
    name = "".join(ch if ch.isalnum() else "_" for ch in request.node.name.lower())[:40]
    return stack.fresh(name)


@pytest.fixture
def demo_stack(fresh_stack: Stack) -> Stack:
    """A fresh stack holding the default demo data (10 cars, 20 clients, 4000 transactions)."""
    fresh_stack.python("-m", "infinit.demo_data", "--out", str(fresh_stack.drops))
    return fresh_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "reliability" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.slow)
