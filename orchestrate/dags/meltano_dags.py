"""Airflow DAGs generated from the Meltano project's schedules and jobs.

Airflow runs in its own plugin venv (`meltano invoke airflow ...`), without Meltano
inside it: this file asks the project's `meltano` for its schedules and jobs (JSON),
then builds
  - one DAG per schedule (dag_id = schedule name, on its cron interval), and
  - one unscheduled DAG per job (dag_id = job name) for manual or triggered runs,
with one task per job step (`meltano run <step>`), steps chained in order.

Settings (env vars):
  MELTANO_PROJECT_ROOT   the project (default: two folders above this file)
  MELTANO_BIN            the meltano executable (default: <root>/.venv/bin/meltano, else PATH)
  INFINIT_DAG_RETRIES    retries per task (default 3; tests use 0)

Airflow re-parses this file every few seconds; the Meltano answers are cached in
$AIRFLOW_HOME/meltano_dags.json, keyed by the content of the project's *.meltano.yml files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

PROJECT_ROOT = Path(os.environ.get("MELTANO_PROJECT_ROOT") or Path(__file__).resolve().parents[2])


def meltano_bin() -> str:
    configured = os.environ.get("MELTANO_BIN")
    if configured:
        return configured
    local = PROJECT_ROOT / ".venv" / "bin" / "meltano"
    if local.exists():
        return str(local)
    return shutil.which("meltano") or "meltano"


def meltano_json(*args: str) -> dict[str, Any]:
    """`meltano <args> --format=json`, parsed. A failure raises: Airflow shows it as an import error."""
    result = subprocess.run(
        [meltano_bin(), *args, "--format=json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"meltano {' '.join(args)} failed ({result.returncode}): {result.stderr[-2000:]}")
    return json.loads(result.stdout)


def project_fingerprint() -> str:
    digest = hashlib.sha256()
    files = [PROJECT_ROOT / "meltano.yml", *sorted(PROJECT_ROOT.glob("*/*.meltano.yml"))]
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def meltano_definitions() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(schedules, jobs) from Meltano, or from the cache while the project files are unchanged."""
    cache = Path(os.environ.get("AIRFLOW_HOME", PROJECT_ROOT / ".meltano" / "run" / "airflow")) / "meltano_dags.json"
    fingerprint = project_fingerprint()
    try:
        cached = json.loads(cache.read_text())
        if cached.get("fingerprint") == fingerprint:
            return cached["schedules"], cached["jobs"]
    except (OSError, ValueError):
        pass
    schedules = meltano_json("schedule", "list")["schedules"]
    jobs = meltano_json("job", "list")["jobs"]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"fingerprint": fingerprint, "schedules": schedules, "jobs": jobs}))
    except OSError:
        pass  # a read-only home only costs speed
    return schedules, jobs


def task_id(step: str) -> str:
    """`tap-csv target-postgres` -> `tap-csv_target-postgres`; `dbt:build` -> `dbt_build`."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", step.strip())


def default_args() -> dict[str, Any]:
    return {
        "owner": "infinit",
        "retries": int(os.environ.get("INFINIT_DAG_RETRIES", "3")),
        # 2, 4, 8 ... minutes: a stale "job still running" mark left by a killed run is
        # released by Meltano after about 5 minutes, so the later retries get through.
        "retry_delay": timedelta(minutes=2),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30),
    }


def build_dag(dag_id: str, steps: list[str], schedule: str | None, description: str) -> DAG:
    dag = DAG(
        dag_id,
        description=description,
        schedule=schedule,
        start_date=datetime(2025, 1, 1, tzinfo=UTC),
        # A paused or new DAG runs the latest interval only: no catch-up storm.
        catchup=False,
        # Meltano state is per pipeline: two runs at once would race on the same bookmarks.
        max_active_runs=1,
        default_args=default_args(),
        tags=["meltano"],
    )
    previous: BashOperator | None = None
    seen: dict[str, int] = {}
    for step in steps:
        name = task_id(step)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}_{seen[name]}"
        task = BashOperator(
            task_id=name,
            dag=dag,
            bash_command=f"cd {shlex.quote(str(PROJECT_ROOT))} && "
            f"{shlex.quote(meltano_bin())} run {' '.join(shlex.quote(p) for p in step.split())}",
            # Keep the worker's environment: connection settings and secrets come from it.
            append_env=True,
        )
        if previous is not None:
            previous >> task
        previous = task
    return dag


def steps_of(tasks: list[Any]) -> list[str]:
    """A job's tasks are strings or lists of plugin names; each is one `meltano run` block."""
    return [task if isinstance(task, str) else " ".join(task) for task in tasks]


def generate() -> dict[str, DAG]:
    dags: dict[str, DAG] = {}
    schedules, jobs = meltano_definitions()
    for schedule in schedules.get("job", []):
        job = schedule["job"]
        dags[schedule["name"]] = build_dag(
            schedule["name"],
            steps_of(job["tasks"]),
            schedule.get("cron_interval") or schedule["interval"],
            f"Meltano schedule {schedule['name']}: job {job['name']}",
        )
    # Legacy extractor/loader schedules: one task, run through Meltano itself.
    for schedule in schedules.get("elt", []):
        dags[schedule["name"]] = build_dag(
            schedule["name"],
            [f"{schedule['extractor']} {schedule['loader']}"],
            schedule.get("cron_interval") or schedule["interval"],
            f"Meltano schedule {schedule['name']}",
        )
    for job in jobs:
        if job["job_name"] not in dags:
            dags[job["job_name"]] = build_dag(
                job["job_name"], steps_of(job["tasks"]), None, f"Meltano job {job['job_name']} (manual)"
            )
    return dags


# Airflow collects DAG objects from this module's globals.
for _dag_id, _dag in generate().items():
    globals()[f"dag_{task_id(_dag_id).replace('-', '_').replace('.', '_')}"] = _dag
