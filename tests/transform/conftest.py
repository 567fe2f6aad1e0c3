"""One real pipeline for the dbt tests: demo data (legacy CSV shape) → tap-postgres + tap-csv →
target-postgres → dbt build, through `meltano run`, on a throwaway stack.

The tests of this package run in file order on the same warehouse: build, reconcile with the
source files, rerun (idempotence), append (incremental). Each step leaves the warehouse in the
state the next one expects.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infinit.stack import ROOT, Stack

# The schemas the report reader sees: every table dbt builds from staging.
MARTS = ("marts", "reports")
ELT = ("run", "tap-postgres", "target-postgres", "tap-csv", "target-postgres", "dbt:build")


@dataclass
class Pipeline:
    stack: Stack
    timings: dict[str, float] = field(default_factory=dict)

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

    def elt(self, label: str) -> subprocess.CompletedProcess[str]:
        """The full pipeline, exactly as operators run it: one `meltano run`."""
        started = time.monotonic()
        run = self.meltano(*ELT)
        self.timings[label] = time.monotonic() - started
        dbt_elapsed = json.loads((Path(self.stack.env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
        print(
            f"{label}: meltano run {self.timings[label]:.1f} s, of which dbt build {dbt_elapsed['elapsed_time']:.1f} s"
        )
        return run

    def manifest(self) -> dict:
        """dbt's manifest.json, as the last dbt command wrote it."""
        return json.loads((Path(self.stack.env["DBT_TARGET_PATH"]) / "manifest.json").read_text())

    def mart_tables(self) -> list[tuple[str, str]]:
        """(schema, table) of every base table of the marts and reports schemas."""
        return self.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1, 2",
            (list(MARTS),),
        )

    def run_results(self) -> dict[str, dict]:
        """dbt's run_results.json of the last dbt command, by node unique_id."""
        path = Path(self.stack.env["DBT_TARGET_PATH"]) / "run_results.json"
        return {r["unique_id"]: r for r in json.loads(path.read_text())["results"]}


@pytest.fixture(scope="package")
def pipeline(stack: Stack) -> Pipeline:
    demo = stack.fresh("transform_pipeline")
    demo.python("-m", "infinit.demo_data", "--out", str(demo.drops))
    built = Pipeline(demo)
    built.elt("first build")
    return built
