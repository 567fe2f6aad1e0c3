"""The floor and the peers: COPY (in process), pandas and dlt (in bench/.venv)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from bench.measure import cpu_split, measure, self_cpu, server_cpu
from infinit import settings
from infinit.stack import ROOT, Stack

BENCH_DIR = Path(__file__).resolve().parent
BENCH_PYTHON = BENCH_DIR / ".venv" / "bin" / "python"

TYPED_TABLE = """
create table {schema}.transactions (
    transaction_id bigint,
    product_id integer,
    client_id integer,
    quantity integer,
    price numeric(12, 2),
    "timestamp" timestamp
)
"""


def fresh_schema(stack: Stack, schema: str) -> None:
    with stack.warehouse() as conn:
        conn.execute(f"drop schema if exists {schema} cascade")
        conn.execute(f"create schema {schema}")


def table_rows(stack: Stack, schema: str, table: str = "transactions") -> int:
    return int(stack.query(f"select count(*) from {schema}.{table}")[0][0])


def copy_floor(stack: Stack, clean_csv: Path) -> dict[str, Any]:
    """COPY of the clean CSV into a typed table: what PostgreSQL itself needs."""
    fresh_schema(stack, "bench_copy")
    with stack.warehouse() as conn:
        conn.execute(TYPED_TABLE.format(schema="bench_copy"))
    cpu0, server0 = self_cpu(), server_cpu()
    started = time.perf_counter()
    with psycopg.connect(stack.admin_conninfo("warehouse")) as conn, conn.cursor() as cur:
        statement = "copy bench_copy.transactions from stdin (format csv, header true)"
        with cur.copy(statement) as copy, clean_csv.open("rb") as src:
            while chunk := src.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        # Read while the backend is alive: once it exits, its CPU counts only after the postmaster reaps it.
        cpu = cpu_split(self_cpu() - cpu0, server_cpu() - server0)
    rows = table_rows(stack, "bench_copy")
    return {"command": "COPY ... FROM STDIN (csv)", "seconds": round(seconds, 2), "rows": rows, "cpu_s": cpu}


def sqlalchemy_url(stack: Stack, driver: str) -> str:
    db = settings.warehouse(stack.env)
    password = quote(db.admin_password, safe="")
    return f"{driver}://{db.admin_user}:{password}@{db.host}:{db.port}/{db.name}"


def peer(stack: Stack, name: str, args: list[str], schema: str, log: Path, extra_env: dict[str, str]) -> dict[str, Any]:
    fresh_schema(stack, schema)
    env = {**stack.env, **extra_env, "PYTHONWARNINGS": "ignore"}
    run = measure([str(BENCH_PYTHON), *args], cwd=ROOT, env=env, log=log)
    if run.returncode != 0:
        raise RuntimeError(f"{name} exited {run.returncode}:\n{run.stderr[-4000:]}")
    return {
        "command": " ".join(Path(a).name if a.startswith("/") else a for a in args),
        "seconds": round(run.seconds, 2),
        "rows": table_rows(stack, schema),
        "peak_rss_mb": run.peak_rss_mb,
        "cpu_s": run.cpu_s,
    }


def pandas_load(stack: Stack, legacy_csv: Path, log: Path) -> dict[str, Any]:
    return peer(
        stack,
        "pandas",
        [str(BENCH_DIR / "peers" / "pandas_load.py"), str(legacy_csv), "bench_pandas"],
        "bench_pandas",
        log,
        {"BENCH_PG_URL": sqlalchemy_url(stack, "postgresql+psycopg2")},
    )


def dlt_load(stack: Stack, legacy_csv: Path, log: Path, work: Path) -> dict[str, Any]:
    return peer(
        stack,
        "dlt",
        [str(BENCH_DIR / "peers" / "dlt_load.py"), str(legacy_csv.parent), legacy_csv.name, "bench_dlt"],
        "bench_dlt",
        log,
        {
            "BENCH_PG_URL": sqlalchemy_url(stack, "postgresql"),
            "BENCH_DLT_DIR": str(work / "dlt"),
            "DLT_DATA_DIR": str(work / "dlt"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        },
    )
