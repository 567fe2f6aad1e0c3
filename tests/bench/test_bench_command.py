"""The benchmark's command (`make bench`, issue #7) on a small drop: it must still run every step
of the project's pipeline, count what each tap extracted, time the queries and write its result.

`bench.run` on 2,000 generated sales, project only (pandas and dlt live in bench/.venv, which
the tests do not build), one incremental cycle, its results and work folder under tmp_path.
Nothing here checks a time: speed is what the bench reports, not what a test can hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infinit.stack import ROOT

pytestmark = pytest.mark.slow

TRANSACTIONS = 2000
DELTA = 20  # the bench's default delta: 1 %


def transactions_extracted(step: dict) -> int:
    return step["records_extracted"].get("tap-csv/transactions", 0)


def test_bench_runs_every_project_step_and_writes_its_result(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench.run", "--transactions", str(TRANSACTIONS), "--skip-peers", "--short"]
    command += ["--no-latest", "--query-runs", "3", "--out", str(tmp_path)]
    run = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    (result_file,) = (tmp_path / "results").glob("*.json")
    assert not (tmp_path / "results" / "latest.json").exists()  # --no-latest
    result = json.loads(result_file.read_text())
    assert result["environment"] == "prod"
    assert "error" not in result

    steps = result["steps"]
    assert {
        "copy", "el_cars", "el_backfill", "dbt_full", "elt_incremental", "el_no_change", "dbt_no_change",
        "el_csv_no_change", "dbt_start", "dbt_incremental",
    } <= steps.keys()  # fmt: skip
    assert steps["copy"]["rows"] == TRANSACTIONS
    # Every sale extracted once and landed once; the +1 % run reads only the appended lines.
    assert transactions_extracted(steps["el_backfill"]) == TRANSACTIONS
    assert steps["el_backfill"]["raw_rows_landed"]["transactions"] == TRANSACTIONS
    assert steps["elt_incremental"]["delta_rows"] == DELTA
    assert transactions_extracted(steps["elt_incremental"]) == DELTA
    assert steps["elt_incremental"]["raw_rows_landed"]["transactions"] == DELTA
    assert transactions_extracted(steps["el_no_change"]) == 0
    assert "transactions" not in steps["el_no_change"]["raw_rows_landed"]
    # The start-up floors: the file EL read nothing; dbt started, parsed and ran no node.
    assert transactions_extracted(steps["el_csv_no_change"]) == 0
    assert steps["el_csv_no_change"]["raw_rows_landed"] == {}
    assert "dbt_timings" not in steps["dbt_start"]
    log = (tmp_path / ".work" / result["started_at"] / "bench.log").read_text()
    assert "does not match any enabled nodes" in log and "Nothing to do" in log
    # Peak memory was sampled for the plugins of the backfill, dbt's per-model times parsed.
    assert {"tap-csv", "target-postgres"} <= steps["el_backfill"]["peak_rss_mb"].keys()
    assert "marts.fct_transactions" in steps["dbt_full"]["dbt_timings"]

    targets = result["targets"]
    assert targets["incremental extracts only the new rows"]["reached"] is True
    assert "with no new rows" in targets["incremental dbt build <= 25% of full"]["detail"]
    assert "with no node selected" in targets["incremental dbt build <= 25% of full"]["detail"]
    assert "with no node selected" in targets["incremental elt <= 15% of backfill EL+T"]["detail"]
    assert "with nothing to read" in targets["EL <= 8x COPY"]["detail"]
    assert "the rest (the rows)" in targets["EL <= 8x COPY"]["detail"]
    # --short: the incremental build is the elt's last block, with no Meltano start to take away.
    assert "beyond that start" not in targets["incremental dbt build <= 25% of full"]["detail"]
    assert targets["EL >= best of pandas and dlt"]["reached"] is None  # peers not run

    queries = result["queries"]
    assert len(queries["scenarios"]) == 19
    assert all({"p50_ms", "p95_ms", "rows"} <= s.keys() for s in queries["scenarios"].values())
    assert queries["scenarios"]["monthly_kpis"]["rows"] >= 1
    assert "floor: COPY clean CSV -> typed table" in run.stdout
    assert (tmp_path / ".work" / result["started_at"] / "bench.log").is_file()
