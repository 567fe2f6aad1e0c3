"""Fixtures of the orchestration tests: the real Airflow of the `airflow` Meltano utility."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from infinit.stack import MELTANO, ROOT

AIRFLOW_VENV = ROOT / ".meltano" / "utilities" / "airflow" / "venv"

# Loads the DAG folder in Airflow's own DagBag and prints what the tests check, as JSON.
DAGBAG_PROBE = """
import json, os
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
out = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag in bag.dags.values():
    out["dags"][dag.dag_id] = {
        "schedule": None if dag.schedule is None else str(dag.schedule),
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "tasks": {
            t.task_id: {
                "upstream": sorted(t.upstream_task_ids),
                "retries": t.retries,
                "retry_exponential_backoff": float(t.retry_exponential_backoff),
                "bash_command": t.bash_command,
            }
            for t in dag.tasks
        },
    }
print("DAGBAG_JSON=" + json.dumps(out))
"""


@dataclass
class Airflow:
    home: Path
    env: dict[str, str]

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 1800, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(AIRFLOW_VENV / "bin" / "airflow"), *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"airflow {' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout[-6000:]}"
                f"\n--- stderr\n{result.stderr[-6000:]}"
            )
        return result

    def dagbag(self, env: dict[str, str] | None = None) -> dict:
        result = subprocess.run(
            [str(AIRFLOW_VENV / "bin" / "python"), "-c", DAGBAG_PROBE],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = [line for line in result.stdout.splitlines() if line.startswith("DAGBAG_JSON=")]
        detail = f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
        assert result.returncode == 0 and lines, f"DagBag probe failed:\n{detail}"
        return json.loads(lines[-1].removeprefix("DAGBAG_JSON="))


def airflow_env(home: Path, base: dict[str, str]) -> dict[str, str]:
    """The settings of orchestrate/airflow.meltano.yml, with a throwaway AIRFLOW_HOME."""
    return {
        **base,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "orchestrate" / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "300",
        "MELTANO_PROJECT_ROOT": str(ROOT),
        "MELTANO_BIN": MELTANO,
    }


@pytest.fixture(scope="session")
def airflow_installed() -> Path:
    """The `airflow` utility's venv; installed through Meltano when missing (about a minute cold)."""
    if not (AIRFLOW_VENV / "bin" / "airflow").exists():
        subprocess.run(
            [MELTANO, "install", "--plugin-type", "utility", "airflow"],
            cwd=ROOT,
            check=True,
            env={**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"},
            timeout=1800,
        )
    return AIRFLOW_VENV


@pytest.fixture
def airflow(airflow_installed: Path, tmp_path: Path) -> Airflow:
    home = tmp_path / "airflow"
    home.mkdir()
    return Airflow(home, airflow_env(home, dict(os.environ)))
