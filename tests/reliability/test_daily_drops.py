"""Guarantee: 30 daily files loaded one run at a time end with marts identical to loading
all 30 at once.

The one-by-one side drives the same tap-csv and target-postgres executables with the same
configuration Meltano gives them (`meltano invoke --dump config`), passing the state from
one run to the next exactly as Meltano does (the last STATE the target emits), because 30
full `meltano run elt` would cost the suite ten minutes. dbt builds the marts incrementally
after days 1 and 15; then the state is handed to Meltano (`meltano state set`) and
day 30 arrives through a real `meltano run elt`, which proves the hand-over too.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from infinit.stack import ROOT, Stack
from tests.reliability import pipeline

DAYS, PER_DAY = 30, 10
FIRST = date(2024, 3, 1)
CSV_STATE = "dev:tap-csv-to-target-postgres"
BUILD_AFTER = {1, 15}


def executable(kind: str, name: str, command: str | None = None) -> str:
    """The plugin's command in its venv: `command` where the plugin's executable has another
    name than the plugin (target-postgres runs `target-postgres-infinit`, the project's sink)."""
    return str(ROOT / ".meltano" / kind / name / "venv" / "bin" / (command or name))


def dumped_config(stack: Stack, plugin: str, home: Path) -> Path:
    text = pipeline.meltano(stack, "invoke", "--dump", "config", plugin).stdout
    path = home / f"{plugin}.config.json"
    path.write_text(text)
    os.chmod(path, 0o600)  # the target's config holds the loader's password
    return path


def el_once(stack: Stack, tap_config: Path, target_config: Path, state: Path) -> None:
    """One `tap-csv | target-postgres` run, state in and out as Meltano handles it."""
    tap_cmd = [executable("extractors", "tap-csv"), "--config", str(tap_config)]
    if state.exists():
        tap_cmd += ["--state", str(state)]
    env = {**stack.env, "MELTANO_PROJECT_ROOT": str(ROOT)}
    tap = subprocess.Popen(tap_cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    target = subprocess.run(
        [executable("loaders", "target-postgres", "target-postgres-infinit"), "--config", str(target_config)],
        cwd=ROOT, env=env, stdin=tap.stdout, capture_output=True, check=False,
    )  # fmt: skip
    assert tap.stdout is not None
    tap.stdout.close()
    tap_err = tap.stderr.read() if tap.stderr else b""
    assert tap.wait() == 0, tap_err.decode(errors="replace")[-3000:]
    assert target.returncode == 0, target.stderr.decode(errors="replace")[-3000:]
    # Singer targets print each state to save as one JSON line (the bare state value).
    lines = [json.loads(line) for line in target.stdout.decode().splitlines() if line.strip()]
    states = [m.get("value", m) if m.get("type") == "STATE" else m for m in lines]
    assert states, "the target emits the state to save"
    state.write_text(json.dumps(states[-1]))


@pytest.fixture(scope="module")
def days() -> list[list[list[str]]]:
    return pipeline.daily_rows(DAYS, PER_DAY, first=FIRST)


def test_thirty_daily_runs_equal_one_run_of_thirty_files(stack: Stack, days: list[list[list[str]]]) -> None:
    at_once = stack.fresh("m_daily_all")
    pipeline.write_demo(at_once, 1)  # the catalog in ops; its transactions file is replaced below
    (at_once.drops / "transactions.csv").unlink()
    for day, rows in enumerate(days):
        pipeline.write_daily_file(at_once.drops, day, rows, first=FIRST)
    pipeline.elt(at_once)
    expected = pipeline.fingerprint(at_once)
    assert expected["marts.fct_transactions"]["rows"] == DAYS * PER_DAY

    daily = stack.fresh("m_daily_one_by_one")
    pipeline.write_demo(daily, 1)
    (daily.drops / "transactions.csv").unlink()
    pipeline.meltano(daily, "run", "tap-postgres", "target-postgres")
    tap_config = dumped_config(daily, "tap-csv", daily.home)
    target_config = dumped_config(daily, "target-postgres", daily.home)
    state = daily.home / "tap-csv.state.json"
    for day, rows in enumerate(days[:-1], start=1):
        pipeline.write_daily_file(daily.drops, day - 1, rows, first=FIRST)
        el_once(daily, tap_config, target_config, state)
        if day in BUILD_AFTER:
            pipeline.dbt_build(daily)
            assert pipeline.count(daily, "marts.fct_transactions") == day * PER_DAY
    # Every file was read exactly once: one run per day added only that day's rows.
    assert pipeline.count(daily, "raw.transactions") == (DAYS - 1) * PER_DAY

    pipeline.meltano(
        daily, "state", "set", "--force", CSV_STATE, json.dumps({"singer_state": json.loads(state.read_text())})
    )
    pipeline.write_daily_file(daily.drops, DAYS - 1, days[-1], first=FIRST)
    pipeline.elt(daily)
    assert pipeline.count(daily, "raw.transactions") == DAYS * PER_DAY
    assert pipeline.diff(expected, pipeline.fingerprint(daily)) == []
