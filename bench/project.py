"""The project's own pipeline under measurement: `meltano run ...` with the bench stack's env."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg

from bench.measure import Run, measure
from tests.support.stack import MELTANO, ROOT, Stack

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# singer-sdk counters: METRIC: {"type": "counter", "metric": "record_count", "value": N, "tags": {"stream": ...}}
METRIC = re.compile(r'METRIC: (\{.*?"metric": "record_count".*?\})(?:\s|$)')
VALUE = re.compile(r'"value": (\d+)')
STREAM = re.compile(r'"stream": "([^"]+)"')
PLUGIN = re.compile(r"\b(?:name|string_id)=([\w-]+)")


def records_extracted(log: str) -> dict[str, int]:
    """Records each tap emitted, per `<tap>/<stream>`, summed over the SDK's periodic counters.

    Targets log record_count too (records received); only tap-* lines count here.
    """
    counts: dict[str, int] = defaultdict(int)
    for line in ANSI.sub("", log).splitlines():
        found = METRIC.search(line)
        if not found:
            continue
        plugin = PLUGIN.search(line)
        name = plugin.group(1) if plugin else "tap"
        if not name.startswith("tap-"):
            continue
        value, stream = VALUE.search(found.group(1)), STREAM.search(found.group(1))
        if value and stream:
            counts[f"{name}/{stream.group(1)}"] += int(value.group(1))
    return dict(counts)


def raw_counts(stack: Stack) -> dict[str, int]:
    """Rows per table of schema raw (what the target has landed so far)."""
    with psycopg.connect(stack.admin_conninfo("warehouse"), autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
        ]
        return {t: int(conn.execute(f'select count(*) from raw."{t}"').fetchone()[0]) for t in tables}  # type: ignore[index]


def meltano(stack: Stack, *args: str, log: Path, env: dict[str, str] | None = None) -> Run:
    run = measure([MELTANO, *args], cwd=ROOT, env={**stack.env, **(env or {})}, log=log)
    if run.returncode != 0:
        tail = ANSI.sub("", run.stderr)[-6000:]
        raise RuntimeError(f"meltano {' '.join(args)} exited {run.returncode}:\n{tail}")
    return run


def step(stack: Stack, *args: str, log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """One measured `meltano` call: seconds, records extracted per stream, raw rows landed, peak RSS."""
    before = raw_counts(stack)
    run = meltano(stack, *args, log=log, env=env)
    after = raw_counts(stack)
    landed = {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}
    return {
        "command": "meltano " + " ".join(args),
        "seconds": round(run.seconds, 2),
        "records_extracted": records_extracted(run.log),
        "raw_rows_landed": landed,
        "peak_rss_mb": run.peak_rss_mb,
    }
