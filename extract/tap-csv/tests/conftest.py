"""Fixtures of tap-csv's tests (helpers: tap_runs.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def drops(tmp_path: Path) -> Path:
    folder = tmp_path / "drops"
    folder.mkdir()
    return folder
