"""Helpers for tap-csv unit tests: run the tap in-process and collect its Singer messages."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tap_csv.tap import TapCSV

CONTRACTS = Path(__file__).resolve().parents[2] / "extract" / "contracts"


@dataclass
class Run:
    messages: list[dict[str, Any]]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def rows(self, stream: str) -> list[dict[str, Any]]:
        return self.records.get(stream, [])

    def files(self, stream: str) -> dict[str, Any]:
        return self.state.get("bookmarks", {}).get(stream, {}).get("files", {})


def run_tap(config: dict[str, Any], state: dict[str, Any] | None = None) -> Run:
    out = io.StringIO()
    tap = TapCSV(config=config, state=state or {}, parse_env_config=False)
    with redirect_stdout(out):
        tap.sync_all()
    messages = [json.loads(line, parse_float=Decimal) for line in out.getvalue().splitlines() if line]
    run = Run(messages)
    for message in messages:
        if message["type"] == "RECORD":
            run.records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            run.state = message["value"]
    return run


def config_for(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"files": list(entries), "contracts_dir": str(CONTRACTS), **extra}


@pytest.fixture
def drops(tmp_path: Path) -> Path:
    folder = tmp_path / "drops"
    folder.mkdir()
    return folder
