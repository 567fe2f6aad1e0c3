"""Guarantee: a database that is down, or goes away mid-load, fails the run clearly (the
database named, non-zero exit), leaves Meltano's state where it was, and the next run after
it is back loads everything, exactly once in the marts.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date

import psycopg

from infinit.stack import Stack
from tests.reliability import pipeline


def new_day(stack: Stack, day: int) -> set[int]:
    rows = pipeline.daily_rows(1, 25, first=date(2024, 9, day), first_id=20_000 + 100 * day)[0]
    pipeline.write_daily_file(stack.drops, 0, rows, first=date(2024, 9, day))
    return {int(r[0]) for r in rows}


def test_operational_database_down(loaded: Stack) -> None:
    ids = new_day(loaded, 1)
    state_before = pipeline.state_ids(loaded)
    raw_before = pipeline.count(loaded, "raw.transactions")
    pipeline.stop_server(loaded, "operations")
    try:
        failed = pipeline.elt(loaded, check=False)
    finally:
        pipeline.start_servers(loaded)
    said = failed.stdout + failed.stderr
    assert failed.returncode != 0
    # The error names the extractor and the server it could not reach.
    port = loaded.env["OPS_PORT"]
    assert "tap-postgres" in said
    assert re.search(rf"port {port}\b.*(refused|failed)|{loaded.env['OPS_HOST']}:{port}", said), said[-4000:]
    # Nothing moved: state and raw are as before (the run stops at its first failing block).
    assert pipeline.state_ids(loaded) == state_before
    assert pipeline.count(loaded, "raw.transactions") == raw_before

    pipeline.elt(loaded)
    assert ids <= pipeline.fact_ids(loaded)
    pipeline.assert_every_sale_once(loaded)


def test_warehouse_goes_away_mid_load(loaded: Stack) -> None:
    ids = new_day(loaded, 2)
    marks_before = pipeline.file_bookmarks(loaded)
    # Hold the target mid-load for sure: its COPY into raw.transactions waits on this lock, so
    # the warehouse goes away before any commit. SHARE blocks writers only: the target can
    # still reflect the table (an expression index is read through the table), then log its
    # COPY statement, and waits there.
    holder = psycopg.connect(loaded.admin_conninfo("warehouse"))
    holder.execute("lock table raw.transactions in share mode")
    try:
        run = pipeline.run_until(
            loaded,
            pipeline.elt_argv(),
            re.compile(r"Inserting with SQL.*transaction_id"),
            on_trigger=lambda: pipeline.stop_server(loaded, "warehouse"),
            kill=False,
        )
    finally:
        pipeline.start_servers(loaded)
        with contextlib.suppress(psycopg.Error):
            holder.close()
    assert run.killed, "the warehouse was stopped while target-postgres was loading"
    assert run.returncode != 0
    port = loaded.env["WAREHOUSE_PORT"]
    assert "target-postgres" in run.text
    assert re.search(rf"port {port}\b|terminat|server closed the connection|connection", run.text, re.I), run.text[
        -4000:
    ]
    # The file bookmarks did not move: the next run reads the new file again.
    assert pipeline.file_bookmarks(loaded) == marks_before

    pipeline.elt(loaded)
    assert ids <= pipeline.fact_ids(loaded)
    pipeline.assert_every_sale_once(loaded)
