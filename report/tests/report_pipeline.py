"""What the report tests share besides fixtures: the pipeline's handle and the binaries they need.
Imported plainly (`from report_pipeline import Pipeline`): report/tests is on pytest's pythonpath."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from infinit.stack import Stack


@dataclass
class Pipeline:
    stack: Stack
    reports: Path  # REPORTS_DIR of `meltano run reports:all`
    reader_env: dict[str, str]  # WAREHOUSE_* of the read-only role, for in-process queries

    def query(self, sql: str, params: object = None) -> list[tuple]:
        return self.stack.query(sql, params)

    def one(self, sql: str, params: object = None) -> tuple:
        return self.stack.query(sql, params)[0]


def need(binary: str) -> str:
    found = shutil.which(binary)
    if found is None:
        pytest.skip(f"{binary} is not installed (apt-get install chromium chromium-driver poppler-utils)")
    return found
