"""Least privilege, proven by connecting as each role of deploy/postgres/*.sql after a real run.

One real pipeline run per module (Meltano `el` job, then dbt build as the transformer), then
every role is tried on what it may do and, just as much, on what it must not do. The logs of
that run are scanned for the password values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from infinit.stack import ROOT, Stack
from tests.orchestrate.runner import new_runner

pytestmark = pytest.mark.slow  # real pipeline runs

DBT = ROOT / ".meltano" / "utilities" / "dbt" / "venv" / "bin" / "dbt"
DENIED = psycopg.errors.InsufficientPrivilege


@dataclass
class Built:
    stack: Stack
    logs: list[Path]  # every file a run wrote: Meltano's and dbt's logs
    output: str  # what the commands printed


@pytest.fixture(scope="module")
def built(stack: Stack) -> Iterator[Built]:
    fresh = stack.fresh("roles")
    fresh.python("-m", "infinit.demo_data", "--out", str(fresh.drops))
    runner = new_runner(fresh.home / "runner")
    env = {"MELTANO_SYS_DIR_ROOT": str(runner), "DBT_LOG_PATH": str(fresh.home / "dbt-logs")}
    el = fresh.meltano("run", "el", env=env)
    dbt = fresh.run(
        str(DBT),
        "build",
        "--project-dir",
        str(ROOT / "transform"),
        "--profiles-dir",
        str(ROOT / "transform" / "profiles"),
        env=env,
        timeout=1800,
    )
    logs = [p for folder in (runner, fresh.home / "dbt-logs") for p in folder.rglob("*") if p.is_file()]
    yield Built(fresh, logs, el.stdout + el.stderr + dbt.stdout + dbt.stderr)


def connect(stack: Stack, user_var: str) -> psycopg.Connection:
    return psycopg.connect(stack.conninfo_as(user_var), autocommit=True)


def tables(stack: Stack, *schemas: str) -> list[tuple[str, str]]:
    rows = stack.query(
        "select table_schema, table_name from information_schema.tables where table_schema = any(%s) order by 1, 2",
        [list(schemas)],
    )
    return [(r[0], r[1]) for r in rows]


def qualified(schema: str, table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def refused(conn: psycopg.Connection, statement: sql.Composable | str) -> bool:
    try:
        conn.execute(statement)
    except DENIED:
        return True
    return False


def test_the_run_built_every_layer(built: Built) -> None:
    present = {schema for schema, _ in tables(built.stack, "raw", "staging", "marts", "reports")}
    assert present == {"raw", "staging", "marts", "reports"}


def test_loader_writes_raw_only(built: Built) -> None:
    stack = built.stack
    with connect(stack, "WAREHOUSE_LOADER") as conn:
        conn.execute("create table raw.loader_probe (id int)")
        conn.execute("insert into raw.loader_probe values (1)")
        assert conn.execute("select count(*) from raw.loader_probe").fetchone() == (1,)
        conn.execute("drop table raw.loader_probe")
        for schema, table in tables(stack, "staging", "marts", "reports"):
            assert refused(conn, sql.SQL("select * from {} limit 1").format(qualified(schema, table))), table
        for schema in ("staging", "marts", "reports", "public"):
            assert refused(conn, f"create table {schema}.loader_probe (id int)"), schema
        assert refused(conn, "create schema loader_elsewhere")


def test_transformer_reads_raw_but_never_writes_it(built: Built) -> None:
    stack = built.stack
    with connect(stack, "WAREHOUSE_TRANSFORMER") as conn:
        for schema, table in tables(stack, "raw"):
            name = qualified(schema, table)
            conn.execute(sql.SQL("select * from {} limit 1").format(name))
            assert refused(conn, sql.SQL("insert into {} default values").format(name)), table
            assert refused(conn, sql.SQL("delete from {}").format(name)), table
            assert refused(conn, sql.SQL("truncate {}").format(name)), table
            assert refused(conn, sql.SQL("drop table {}").format(name)), table
        assert refused(conn, "create table raw.transformer_probe (id int)")
        # What it owns, it may rebuild.
        conn.execute("create table staging.transformer_probe (id int)")
        conn.execute("drop table staging.transformer_probe")


def test_reader_sees_marts_and_reports_only_and_no_email(built: Built) -> None:
    stack = built.stack
    visible = tables(stack, "marts", "reports")
    assert visible
    with connect(stack, "WAREHOUSE_READER") as conn:
        for schema, table in visible:
            conn.execute(sql.SQL("select * from {} limit 1").format(qualified(schema, table)))
        for schema, table in tables(stack, "raw", "staging"):
            assert refused(conn, sql.SQL("select * from {} limit 1").format(qualified(schema, table))), table
        for schema in ("raw", "staging", "marts", "reports", "public"):
            assert refused(conn, f"create table {schema}.reader_probe (id int)"), schema
        # No email anywhere it can read: no such column, and no text value that looks like one.
        columns = conn.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_schema in ('marts', 'reports')"
        ).fetchall()
        assert columns
        assert not [c for c in columns if c[2].lower() in ("email", "e_mail", "mail", "email_address")]
        for schema, table, column, data_type in columns:
            if data_type in ("text", "character varying"):
                found = conn.execute(
                    sql.SQL("select count(*) from {} where {} like %s").format(
                        qualified(schema, table), sql.Identifier(column)
                    ),
                    ["%_@_%"],
                ).fetchone()
                assert found == (0,), f"{schema}.{table}.{column} holds email addresses"


def test_extractor_selects_cars_and_nothing_else(built: Built) -> None:
    stack = built.stack
    with stack.operations() as admin:
        admin.execute("create table if not exists public.payroll (id int, salary numeric)")
    with psycopg.connect(stack.conninfo_as("OPS_READER"), autocommit=True) as conn:
        assert conn.execute("select count(*) from public.cars").fetchone() == (10,)
        assert refused(conn, "insert into public.cars values (999, 'x', 'y', 1)")
        assert refused(conn, "update public.cars set price = 0")
        assert refused(conn, "delete from public.cars")
        assert refused(conn, "truncate public.cars")
        assert refused(conn, "select * from public.payroll")
        assert refused(conn, "create table public.extractor_probe (id int)")
        assert refused(conn, "create schema extractor_elsewhere")


def test_passwords_never_appear_in_run_logs(built: Built) -> None:
    env = built.stack.env
    secrets = {name: value for name, value in env.items() if name.endswith("_PASSWORD") and value}
    assert len(secrets) >= 6
    assert built.logs, "the run wrote logs"
    texts = {"command output": built.output}
    texts.update({str(p): p.read_text(errors="replace") for p in built.logs if p.stat().st_size < 50_000_000})
    for where, text in texts.items():
        for name, value in secrets.items():
            assert value not in text, f"{name} appears in {where}"
