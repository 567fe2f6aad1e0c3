"""The local-database command: idempotent up/down, a clear error on a taken port, root-safe,
loopback only."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psutil
import psycopg
import pytest

from infinit.stack import Stack, base_env


@pytest.fixture
def own_servers(tmp_path: Path) -> Stack:
    """A second pair of servers, so up/down can be exercised without disturbing `stack`."""
    return Stack(tmp_path, base_env(tmp_path))


def test_up_is_idempotent_and_down_twice_is_fine(own_servers: Stack) -> None:
    first = own_servers.python("-m", "infinit.localdb", "up")
    assert "warehouse: started" in first.stdout and "operations: started" in first.stdout
    try:
        second = own_servers.python("-m", "infinit.localdb", "up")
        assert "warehouse: already running" in second.stdout
        assert "operations: already running" in second.stdout
        running = own_servers.python("-m", "infinit.localdb", "status")
        port = own_servers.env["WAREHOUSE_PORT"]
        assert f"warehouse: running on 127.0.0.1:{port}" in running.stdout
        assert "operations: running on" in running.stdout
        # the roles and schemas of deploy/postgres/*.sql exist after each up
        with psycopg.connect(own_servers.conninfo_as("WAREHOUSE_LOADER")) as conn:
            owner = conn.execute("select nspowner::regrole::text from pg_namespace where nspname = 'raw'")
            assert owner.fetchone() == (own_servers.env["WAREHOUSE_LOADER_USER"],)
        with psycopg.connect(own_servers.conninfo_as("OPS_READER")) as conn:
            assert conn.execute("select current_user").fetchone() == (own_servers.env["OPS_READER_USER"],)
    finally:
        own_servers.python("-m", "infinit.localdb", "down")
    again = own_servers.python("-m", "infinit.localdb", "down")
    assert "warehouse: not running" in again.stdout
    stopped = own_servers.python("-m", "infinit.localdb", "status")  # exit 0: a report, not a failure
    assert f"warehouse: stopped; port {port} on 127.0.0.1 is free" in stopped.stdout
    assert "operations: stopped;" in stopped.stdout


def test_a_taken_port_names_the_variable_to_change(own_servers: Stack) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        result = own_servers.python("-m", "infinit.localdb", "up", env={"WAREHOUSE_PORT": str(taken)}, check=False)
        # `status` says so too, exits 0, and needs no password (e.g. before the first `make up`)
        status = own_servers.python(
            "-m", "infinit.localdb", "status", env={"WAREHOUSE_PORT": str(taken), "WAREHOUSE_ADMIN_PASSWORD": ""}
        )
    own_servers.python("-m", "infinit.localdb", "down", check=False)
    assert result.returncode != 0
    assert f"port {taken}" in result.stderr and "WAREHOUSE_PORT" in result.stderr
    assert f"warehouse: stopped; port {taken} on 127.0.0.1 is taken by another program" in status.stdout
    assert "set WAREHOUSE_PORT" in status.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the suite runs as root (as CI does)")
def test_under_root_the_servers_run_as_an_unprivileged_user(stack: Stack) -> None:
    pid_file = Path(stack.env["LOCALDB_DIR"]) / "warehouse" / "pgdata" / "postmaster.pid"
    postmaster = psutil.Process(int(pid_file.read_text().splitlines()[0]))
    assert postmaster.username() == "embedded_postgres"
    assert postmaster.uids().real != 0


def test_servers_listen_on_loopback_only(stack: Stack, own_servers: Stack) -> None:
    for role in ("warehouse", "operations"):
        with psycopg.connect(stack.admin_conninfo(role), autocommit=True) as conn:
            assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)
    for address in ("0.0.0.0", "::", "192.0.2.10"):
        result = own_servers.python("-m", "infinit.localdb", "up", env={"OPS_HOST": address}, check=False)
        own_servers.python("-m", "infinit.localdb", "down", check=False)
        assert result.returncode != 0
        assert "operations: the local servers listen on loopback only, and OPS_HOST" in result.stderr
