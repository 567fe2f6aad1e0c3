"""Helpers of the reliability suite: run the real pipeline, kill it, fingerprint the marts.

Everything here drives the real stack (src/infinit/stack.py): Meltano, the taps, the
target and dbt run for real against throwaway embedded servers.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from infinit import demo_data, localdb
from infinit.stack import MELTANO, ROOT, Stack

RUN_ENV: dict[str, str] = {}

# Columns that say when something was built or loaded, or where a file lived: they differ
# between two correct runs, so fingerprints leave them out. Everything else must match.
VOLATILE_COLUMNS = re.compile(
    r"^(_dbt_updated_at|loaded_at|last_loaded_at|first_loaded_at|built_at|generated_at|source_file|"
    r"source_lineno|_sdc_.*|.*_loaded_at|.*_extracted_at|refreshed_at|as_of|updated_at|"
    # the day a rewritten sale moved from: depends on how its versions were split over runs
    r"moved_from_sale_date|"
    # when the snapshot saw a catalog version (and the ids and hashes made from that time): two
    # warehouses see the same catalog at different times; what a version says is compared
    r"car_version_id|valid_from|valid_to|priced_from|priced_until|recorded_at|left_catalog_at|in_force_from|"
    r"in_force_until|row_hash|"
    # raw row counts (rpt_data_quality): delivery is at-least-once, so raw may legitimately hold
    # a re-delivered copy after a crash; what counts is rows_current (after dedup), compared.
    r"rows_loaded)$"
)
NUMERIC_TYPES = {"integer", "bigint", "smallint", "numeric", "double precision", "real"}


# --- running the pipeline --------------------------------------------------------------


def meltano(
    stack: Stack, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return stack.meltano(*args, check=check, env={**RUN_ENV, **(env or {})})


def elt_argv(*flags: str) -> list[str]:
    """The command an operator (and the schedule) runs: `meltano run [flags] elt`."""
    return [MELTANO, "run", *flags, "elt"]


def elt(stack: Stack, *flags: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return stack.run(*elt_argv(*flags), check=check, env=RUN_ENV)


def dbt_build(stack: Stack) -> subprocess.CompletedProcess[str]:
    """The `t` job: dbt build alone."""
    return meltano(stack, "run", "t")


@dataclass
class KilledRun:
    """A pipeline run killed with SIGKILL (the whole process group) at a log line."""

    returncode: int
    killed: bool
    trigger_line: str | None
    output: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.output)


def spawn(stack: Stack, argv: list[str]) -> subprocess.Popen[str]:
    """Start a command in its own process group, merged output on a pipe."""
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**stack.env, **RUN_ENV},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: kill -9 takes the taps, target and dbt too
    )


def kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def run_until(
    stack: Stack,
    argv: list[str],
    trigger: re.Pattern[str],
    *,
    nth: int = 1,
    on_trigger: Callable[[], None] | None = None,
    kill: bool = True,
    timeout: float = 900,
) -> KilledRun:
    """Run a command and, at the `nth` output line matching `trigger`, kill -9 its process
    group (or only call `on_trigger`, e.g. to stop a database, when kill=False)."""
    proc = spawn(stack, argv)
    assert proc.stdout is not None
    lines: list[str] = []
    seen, fired, hit = 0, False, None
    # A safety net, not a timing assertion: a run that hangs is killed and reported.
    watchdog = threading.Timer(timeout, kill_group, [proc])
    watchdog.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if not fired and trigger.search(line):
                seen += 1
                if seen == nth:
                    fired, hit = True, line
                    if on_trigger is not None:
                        on_trigger()
                    if kill:
                        kill_group(proc)
    finally:
        watchdog.cancel()
    returncode = proc.wait()
    if kill:  # nothing of the killed run may survive it
        kill_group(proc)
    stack.runs.append(f"$ {' '.join(argv)} (trigger: {hit})\n{''.join(lines)[-6000:]}")
    return KilledRun(returncode, fired, hit, lines)


# --- servers ----------------------------------------------------------------------------


def server(stack: Stack, role: str) -> localdb.Server:
    """The embedded server of `role` ("warehouse" or "operations") of this stack."""
    return next(s for s in localdb.servers(stack.env) if s.db.role == role)


def stop_server(stack: Stack, role: str, mode: str = "immediate") -> None:
    """Take one database away at once (like a crash or a network cut)."""
    srv = server(stack, role)
    srv.pg("pg_ctl", "stop", "-D", str(srv.pgdata), "-m", mode, "-w")


def start_servers(stack: Stack) -> None:
    stack.python("-m", "infinit.localdb", "up")


# --- data -------------------------------------------------------------------------------


def write_demo(
    stack: Stack, transactions: int, *, shape: str = "legacy", seed: int = 42, months: tuple[str, str] | None = None
) -> None:
    """Demo drops (clients.json + transactions.csv) and the 10-car catalog in the ops DB;
    `months` = (first, last) YYYY-MM, else the generator's default span."""
    span = ["--start", months[0], "--end", months[1]] if months else []
    stack.python(
        "-m",
        "infinit.demo_data",
        "--out",
        str(stack.drops),
        "--transactions",
        str(transactions),
        "--shape",
        shape,
        "--seed",
        str(seed),
        *span,
    )


def daily_rows(
    days: int, per_day: int, *, first: date = date(2024, 3, 1), seed: int = 7, first_id: int = 1
) -> list[list[list[str]]]:
    """`days` lists of transactions (clean 6-column rows), one per day, ids from first_id on."""
    rng = random.Random(seed)
    client_ids = list(range(201, 221))
    out: list[list[list[str]]] = []
    for day in range(days):
        today = first + timedelta(days=day)
        rows = list(demo_data.transactions(per_day, client_ids, today.strftime("%Y-%m"), today.strftime("%Y-%m"), rng))
        for index, row in enumerate(rows):
            row[0] = str(first_id + day * per_day + index)
            row[5] = f"{today.isoformat()} {row[5][11:]}"  # keep the time, pin the day
        out.append(rows)
    return out


def write_daily_file(folder: Path, day: int, rows: list[list[str]], *, first: date = date(2024, 3, 1)) -> Path:
    path = folder / f"transactions_{(first + timedelta(days=day)).isoformat()}.csv"
    demo_data.write_transactions(path, rows, "legacy")
    return path


def write_clients(folder: Path, count: int = 20) -> None:
    demo_data.write_clients(folder / "clients.json", demo_data.clients(count, random.Random(42)))


def append_rows(path: Path, rows: list[list[str]], *, legacy: bool = True) -> None:
    """Append transactions to an existing legacy CSV (the index continues)."""
    with path.open("r", encoding="utf-8") as fh:
        start = sum(1 for _ in fh) - 1
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for offset, row in enumerate(rows):
            writer.writerow([str(start + offset), *row] if legacy else row)


def csv_transaction_ids(folder: Path) -> set[int]:
    """Every transaction_id of the drop folder's CSV files (legacy or clean shape)."""
    ids: set[int] = set()
    for path in sorted(folder.glob("transactions*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            for row in reader:
                if row:
                    ids.add(int(row[1] if len(row) == len(header) + 1 else row[0]))
    return ids


# --- what the warehouse holds -----------------------------------------------------------


def tables(stack: Stack, schema: str) -> list[str]:
    rows = stack.query(
        "select table_name from information_schema.tables where table_schema = %s order by table_name", (schema,)
    )
    return [r[0] for r in rows]


def columns(stack: Stack, schema: str, table: str) -> list[str]:
    rows = stack.query(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, table),
    )
    return [r[0] for r in rows]


def count(stack: Stack, relation: str) -> int:
    return int(stack.query(f"select count(*) from {relation}")[0][0])


def table_fingerprint(stack: Stack, schema: str, table: str) -> dict[str, object]:
    """Row count, sum of every numeric column and md5 of the ordered rows (stable columns only)."""
    cols = stack.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, table),
    )
    stable = [(name, kind) for name, kind in cols if not VOLATILE_COLUMNS.match(name)]
    quoted = ", ".join(f'"{name}"' for name, _ in stable)
    sums = [f'sum("{name}")::text' for name, kind in stable if kind in NUMERIC_TYPES]
    row = stack.query(
        f"select count(*), md5(coalesce(string_agg(r::text, E'\\n' order by r::text), '')) "
        f"{''.join(', ' + s for s in sums)} "
        f'from (select {quoted} from "{schema}"."{table}") as r'
    )[0]
    numeric = [name for name, kind in stable if kind in NUMERIC_TYPES]
    return {
        "rows": row[0],
        "md5": row[1],
        "sums": dict(zip(numeric, row[2:], strict=True)),
        "columns": [name for name, _ in stable],
    }


def fingerprint(stack: Stack, schemas: tuple[str, ...] = ("marts", "reports")) -> dict[str, dict[str, object]]:
    """Fingerprint of every table of the marts (and reports): what the business sees."""
    return {
        f"{schema}.{table}": table_fingerprint(stack, schema, table)
        for schema in schemas
        for table in tables(stack, schema)
    }


def diff(left: dict[str, dict[str, object]], right: dict[str, dict[str, object]]) -> list[str]:
    """Human-readable differences of two fingerprints (empty when equal)."""
    out = []
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name), right.get(name)
        if a != b:
            out.append(f"{name}: {json.dumps(a, default=str)} != {json.dumps(b, default=str)}")
    return out


def full_refresh_diff(stack: Stack) -> list[str]:
    """Differences between the marts as the incremental runs left them and a --full-refresh."""
    incremental = fingerprint(stack)
    meltano(stack, "invoke", "dbt", "build", "--full-refresh")
    return diff(incremental, fingerprint(stack))


def fact_integrity(stack: Stack) -> tuple[int, int]:
    """(rows, distinct transaction ids) of fct_transactions: equal when nothing is duplicated."""
    rows = stack.query("select count(*), count(distinct transaction_id) from marts.fct_transactions")
    return int(rows[0][0]), int(rows[0][1])


def assert_every_sale_once(stack: Stack) -> None:
    """Every transaction id of the drop files is in fct_transactions, once; no other."""
    facts, dropped = fact_ids(stack), csv_transaction_ids(stack.drops)
    assert facts == dropped, f"missing {sorted(dropped - facts)[:20]}, not dropped {sorted(facts - dropped)[:20]}"
    rows, distinct = fact_integrity(stack)
    assert rows == distinct, f"{rows - distinct} sales twice in fct_transactions"


def fact_ids(stack: Stack) -> set[int]:
    return {int(r[0]) for r in stack.query("select transaction_id from marts.fct_transactions")}


def state_ids(stack: Stack) -> dict[str, str]:
    """Meltano's stored state per state id (JSON text), via Meltano's own commands."""
    listed = meltano(stack, "state", "list").stdout.split()
    ids = [line for line in listed if line.startswith("dev:")]
    return {sid: meltano(stack, "state", "get", sid).stdout.strip() for sid in ids}


def file_bookmarks(stack: Stack, state_id: str = "dev:tap-csv-to-target-postgres") -> dict[str, dict]:
    """tap-csv's bookmark of every file (path -> bookmark) in Meltano's saved state."""
    text = state_ids(stack).get(state_id)
    if not text:
        return {}
    bookmarks = json.loads(text).get("singer_state", {}).get("bookmarks", {})
    return {path: mark for entity in bookmarks.values() for path, mark in (entity.get("files") or {}).items()}
