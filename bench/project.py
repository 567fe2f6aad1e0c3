"""The project's own pipeline under measurement: `meltano run ...` with the bench stack's env."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg

from bench.measure import Run, measure
from infinit.stack import MELTANO, ROOT, Stack

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Meltano prefixes each plugin line with its name:
#   [info     ] tap-csv      METRIC: {"type":"counter","metric":"record_count","value":20000,"tags":{"stream":...}}
METRIC = re.compile(r"\]\s+([\w-]+)\s+METRIC: (\{.*\})\s*$")
RECORD_COUNT = re.compile(r'"metric":\s*"record_count"')
VALUE = re.compile(r'"value":\s*(\d+)')
STREAM = re.compile(r'"stream":\s*"([^"]+)"')


def records_extracted(log: str) -> dict[str, int]:
    """Records each tap emitted, per `<tap>/<stream>`, summed over the SDK's periodic counters.

    Targets log record_count too (records received); only tap-* lines count here.
    """
    counts: dict[str, int] = defaultdict(int)
    for line in ANSI.sub("", log).splitlines():
        found = METRIC.search(line)
        if not found or not found.group(1).startswith("tap-") or not RECORD_COUNT.search(found.group(2)):
            continue
        value, stream = VALUE.search(found.group(2)), STREAM.search(found.group(2))
        if value and stream:
            counts[f"{found.group(1)}/{stream.group(1)}"] += int(value.group(1))
    return dict(counts)


STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z ")


def block_seconds(log: str) -> list[float]:
    """Seconds of each block of a `meltano run` (between its "Block run completed" lines;
    the first from Meltano's first log line), e.g. [tap-postgres EL, tap-csv EL, dbt:build]."""
    from datetime import datetime

    stamps: list[datetime] = []
    first: datetime | None = None
    for line in ANSI.sub("", log).splitlines():
        found = STAMP.match(line)
        if not found:
            continue
        at = datetime.fromisoformat(found.group(1))
        first = first or at
        if "Block run completed" in line:
            stamps.append(at)
    out, previous = [], first
    for at in stamps:
        out.append(round((at - previous).total_seconds(), 2))  # type: ignore[operator]
        previous = at
    return out


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


def meltano(
    stack: Stack, *args: str, log: Path, env: dict[str, str] | None = None, discard_stdout: bool = False
) -> Run:
    run = measure([MELTANO, *args], cwd=ROOT, env={**stack.env, **(env or {})}, log=log, discard_stdout=discard_stdout)
    if run.returncode != 0:
        tail = ANSI.sub("", run.stderr)[-6000:]
        raise RuntimeError(f"meltano {' '.join(args)} exited {run.returncode}:\n{tail}")
    return run


def step(
    stack: Stack, *args: str, log: Path, env: dict[str, str] | None = None, discard_stdout: bool = False
) -> dict[str, Any]:
    """One measured `meltano` call: seconds, records extracted per stream, raw rows landed, peak RSS."""
    before = raw_counts(stack)
    run = meltano(stack, *args, log=log, env=env, discard_stdout=discard_stdout)
    after = raw_counts(stack)
    landed = {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}
    return {
        "command": "meltano " + " ".join(args),
        "seconds": round(run.seconds, 2),
        "records_extracted": records_extracted(run.log),
        "raw_rows_landed": landed,
        "peak_rss_mb": run.peak_rss_mb,
        "cpu_s": run.cpu_s,
        "blocks_s": block_seconds(run.log),
        **({"dbt_timings": timings} if (timings := dbt_timings(run.log)) else {}),
    }


# --- dbt -------------------------------------------------------------------------------
DBT = ROOT / ".meltano" / "utilities" / "dbt" / "venv" / "bin" / "dbt"
DBT_ENV = {"DBT_PROJECT_DIR": str(ROOT / "transform"), "DBT_PROFILES_DIR": str(ROOT / "transform" / "profiles")}


BROKEN_DBT_ENV = "Path '/transform"  # dbt's complaint when $MELTANO_PROJECT_ROOT expanded empty


class Dbt:
    """dbt through Meltano (`meltano run dbt:<command>`), or, when Meltano's dbt env is broken
    (Meltano 4.4.1 leaves $MELTANO_PROJECT_ROOT empty in a plugin's own `env:`, so dbt looks
    for /transform), the plugin's own dbt with the project's paths: same dbt, same profile,
    only Meltano's start-up differs. The first failure switches to direct for the whole run."""

    def __init__(self, stack: Stack, log: Path) -> None:
        self.stack, self.log, self.via_meltano = stack, log, True

    def __call__(self, *args: str) -> dict[str, Any]:
        if self.via_meltano:
            try:
                if args == ("build",):
                    return step(self.stack, "run", "dbt:build", log=self.log)
                return step(self.stack, "invoke", "dbt", *args, log=self.log)
            except RuntimeError as exc:
                if BROKEN_DBT_ENV not in str(exc):
                    raise
                self.via_meltano = False
        return self.direct(*args)

    def direct(self, *args: str) -> dict[str, Any]:
        run = measure([str(DBT), *args], cwd=ROOT, env={**self.stack.env, **DBT_ENV}, log=self.log)
        if run.returncode != 0:
            raise RuntimeError(f"dbt {' '.join(args)} exited {run.returncode}:\n{ANSI.sub('', run.stdout)[-6000:]}")
        return {
            "command": "dbt " + " ".join(args) + " (plugin venv, direct)",
            "seconds": round(run.seconds, 2),
            "peak_rss_mb": run.peak_rss_mb,
            "cpu_s": run.cpu_s,
            "dbt_timings": dbt_timings(run.stdout),
        }


def dbt_timings(stdout: str) -> dict[str, float]:
    """Seconds per model from dbt's log lines (`... OK created sql table model marts.x ... in 1.23s]`)."""
    out: dict[str, float] = {}
    for line in ANSI.sub("", stdout).splitlines():
        if "OK created" not in line:
            continue
        found = re.search(r"model (\w+\.\w+) .*? in ([\d.]+)s\]", line)
        if found:
            out[found.group(1)] = float(found.group(2))
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))
