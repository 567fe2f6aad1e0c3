"""Guarantee: the daily job fails when files stop arriving past the declared limit.

The schedule's job (`elt-reports`) ends with `dbt source freshness`: a source whose files were
last read more than 72 hours ago (error_after in transform/models/staging/files/
_files__sources.yml) fails the job naming the source; after 26 hours it warns. Freshness is the
load time, not the time of the sales: the demo's sales are years old and its first run passes.
"""

from __future__ import annotations

import re

from infinit.stack import Stack
from tests.reliability import pipeline


def age_the_loads(stack: Stack, hours: int) -> None:
    """As if every file had been read `hours` ago and none had arrived since."""
    with stack.warehouse() as conn:
        for table in ("transactions", "clients"):
            conn.execute(f"update raw.{table} set _extracted_at = _extracted_at - interval '{hours} hours'")


def test_the_daily_job_fails_when_files_stop_arriving(stack: Stack) -> None:
    child = stack.fresh("freshness")
    child.python("-m", "infinit.demo_data", "--out", str(child.drops), "--transactions", "30",
                 "--start", "2024-06", "--end", "2024-07")  # fmt: skip
    env = {"REPORTS_PDF_ENGINE": "none", "REPORTS_DIR": str(child.home / "reports")}
    daily = pipeline.meltano(child, "run", "elt-reports", env=env)  # sales of 2024, loaded now: fresh
    assert "PASS freshness of files.transactions" in daily.stdout + daily.stderr

    age_the_loads(stack=child, hours=30)
    warned = pipeline.meltano(child, "run", "dbt:source-freshness")
    assert "WARN freshness of files.transactions" in warned.stdout + warned.stderr

    age_the_loads(stack=child, hours=48)  # 78 hours without a new file
    failed = pipeline.meltano(child, "run", "elt-reports", check=False, env=env)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert re.search(r"ERROR STALE freshness of files\.transactions", output), output[-3000:]
    assert re.search(r"ERROR STALE freshness of files\.clients", output)
    assert "Failure in source transactions" in output
    assert list((child.home / "reports").glob("sales-2024-06.html")), "the reports ran before the check"
