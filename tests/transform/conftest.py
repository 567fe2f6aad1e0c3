"""One real pipeline for the dbt tests: demo data (legacy CSV shape) → tap-postgres + tap-csv →
target-postgres → dbt build, through `meltano run`, on a throwaway stack.

The tests of this package run in file order on the same warehouse: build, reconcile with the
source files, rerun (idempotence), append (incremental). Each step leaves the warehouse in the
state the next one expects.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.stack import ROOT, Stack

ELT = ("run", "tap-postgres", "target-postgres", "tap-csv", "target-postgres", "dbt:build")
DBT = ROOT / ".meltano" / "utilities" / "dbt" / "venv" / "bin" / "dbt"
# Known backbone issue (Meltano 4.4.1 expands `$MELTANO_PROJECT_ROOT` in a plugin's `env:` to ""
# unless the active environment defines it): dbt gets --project-dir /transform.
KNOWN_DBT_ENV_ISSUE = "Path '/transform"


@dataclass
class Pipeline:
    stack: Stack
    # True when `meltano run ... dbt:build` hit the known backbone issue and dbt ran directly.
    dbt_fallbacks: list[str] = field(default_factory=list)

    def query(self, sql: str, params: object = None) -> list[tuple]:
        return self.stack.query(sql, params)

    def scalar(self, sql: str, params: object = None) -> object:
        return self.stack.query(sql, params)[0][0]

    def isolated(self) -> dict[str, str]:
        """A private Meltano system dir sharing the installed plugin venvs (other suites run
        `meltano run` of the same project at the same time and would overwrite our catalogs)."""
        sysdir = self.stack.home / "meltano-sys"
        if not sysdir.exists():
            sysdir.mkdir(parents=True)
            for name in ("extractors", "loaders", "utilities", "mappers", "transformers", "orchestrators"):
                if (ROOT / ".meltano" / name).exists():
                    (sysdir / name).symlink_to(ROOT / ".meltano" / name)
        return {"MELTANO_SYS_DIR_ROOT": str(sysdir)}

    def meltano(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.stack.meltano(*args, check=check, env=self.isolated())

    def dbt_direct(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {
            **self.isolated(),
            "DBT_PROJECT_DIR": str(ROOT / "transform"),
            "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles"),
        }
        return self.stack.run(str(DBT), *args, env=env)

    def elt(self) -> subprocess.CompletedProcess[str]:
        """The full pipeline through `meltano run`; dbt directly only on the known backbone issue."""
        run = self.meltano(*ELT, check=False)
        if run.returncode == 0:
            return run
        if KNOWN_DBT_ENV_ISSUE not in run.stderr + run.stdout:
            raise AssertionError(f"meltano run exited {run.returncode}:\n{run.stderr[-12000:]}")
        self.dbt_fallbacks.append(run.stderr[-3000:])
        return self.dbt_direct("build")

    def run_results(self) -> dict[str, dict]:
        """dbt's run_results.json of the last dbt command, by node unique_id."""
        path = Path(self.stack.env["DBT_TARGET_PATH"]) / "run_results.json"
        return {r["unique_id"]: r for r in json.loads(path.read_text())["results"]}


@pytest.fixture(scope="package")
def pipeline(stack: Stack) -> Pipeline:
    demo = stack.fresh("transform_pipeline")
    demo.python("-m", "infinit.demo_data", "--out", str(demo.drops))
    built = Pipeline(demo)
    built.elt()
    return built
