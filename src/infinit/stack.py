"""A throwaway copy of the whole stack for tests: two embedded servers on free ports,
temporary data folders, its own Meltano system database and its own file-drop folder.

Tests never touch the demo's servers (5432/5433), state or data, so a running demo and
the test suite do not clash.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from infinit import settings

ROOT = settings.PROJECT_ROOT
VENV_BIN = Path(sys.executable).parent
MELTANO = str(VENV_BIN / "meltano")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PLUGIN_KINDS = ("extractors", "loaders", "utilities", "mappers", "transformers", "orchestrators", "files")


def meltano_sys_dir(home: Path) -> Path:
    """A private `.meltano` for one stack: its own run/ folder (Meltano writes each plugin's
    state.json and catalog there, per plugin, not per run, so two runs in one .meltano clash)
    and its own system database, sharing the installed plugin venvs of the project."""
    sys_dir = home / "meltano-sys"
    sys_dir.mkdir(parents=True, exist_ok=True)
    for kind in PLUGIN_KINDS:
        link, target = sys_dir / kind, ROOT / ".meltano" / kind
        if target.exists() and not link.exists():
            link.symlink_to(target, target_is_directory=True)
    return sys_dir


def base_env(home: Path) -> dict[str, str]:
    """Every setting of .env.example, pointed at throwaway servers under `home`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "OPS_", "MELTANO_"))}
    env.update(settings.DEFAULTS)
    env.update(
        {
            "WAREHOUSE_PORT": str(free_port()),
            "OPS_PORT": str(free_port()),
            "LOCALDB_DIR": str(home / "localdb"),
            "FILE_DROPS_DIR": str(home / "drops"),
            "MELTANO_ENVIRONMENT": "dev",
            "MELTANO_SYS_DIR_ROOT": str(meltano_sys_dir(home)),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(home / "dbt-target"),
            "DBT_LOG_PATH": str(home / "dbt-logs"),
            "PYTHONWARNINGS": "ignore",
        }
    )
    for name in (
        "WAREHOUSE_ADMIN",
        "WAREHOUSE_LOADER",
        "WAREHOUSE_TRANSFORMER",
        "WAREHOUSE_READER",
        "WAREHOUSE_STATE",
        "OPS_ADMIN",
        "OPS_READER",
    ):
        env[f"{name}_PASSWORD"] = "t-" + secrets.token_hex(8)
    return env


def tap_csv_batches(root: Path, encoding: dict[str, str], size: int, prefix: str = "t-") -> dict[str, str]:
    """The environment that points tap-csv's BATCH files at `root`, in `encoding`, `size` rows
    each. Meltano merges this value into the project's `batch_config` key by key, so a key
    left out keeps the project's value: spell out every key that matters."""
    config = {"encoding": encoding, "storage": {"root": f"file://{root}", "prefix": prefix}, "batch_size": size}
    return {"TAP_CSV_BATCH_CONFIG": json.dumps(config)}


@dataclass
class Stack:
    home: Path
    env: dict[str, str]
    runs: list[str] = field(default_factory=list)

    # --- processes -------------------------------------------------------------------
    def run(
        self, *args: str, check: bool = True, timeout: float = 900, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a command in the project root with this stack's environment."""
        result = subprocess.run(
            list(args),
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.runs.append(f"$ {' '.join(args)}\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}")
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {result.returncode}\n--- stdout\n{result.stdout[-4000:]}"
                f"\n--- stderr\n{result.stderr[-12000:]}"
            )
        return result

    def meltano(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        return self.run(MELTANO, *args, check=check, env=env, timeout=timeout)

    def python(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, *args, check=check, env=env)

    # --- isolation -------------------------------------------------------------------
    def fresh(self, name: str) -> Stack:
        """A new warehouse database, drop folder and Meltano state on the same servers."""
        home = self.home / name
        if home.exists():
            shutil.rmtree(home)
        (home / "drops").mkdir(parents=True)
        env = {
            **self.env,
            "WAREHOUSE_DB": f"wh_{name}",
            "FILE_DROPS_DIR": str(home / "drops"),
            "MELTANO_DATABASE_URI": f"sqlite:///{home / 'meltano.db'}",
            "MELTANO_SYS_DIR_ROOT": str(meltano_sys_dir(home)),
            "DBT_TARGET_PATH": str(home / "dbt-target"),
        }
        child = Stack(home, env)
        with psycopg.connect(self.admin_conninfo("warehouse"), autocommit=True) as conn:
            conn.execute(f'drop database if exists "wh_{name}" with (force)')
        child.python("-m", "infinit.localdb", "up")
        return child

    # --- connections -----------------------------------------------------------------
    def admin_conninfo(self, role: str = "warehouse", dbname: str | None = None) -> str:
        db = settings.warehouse(self.env) if role == "warehouse" else settings.operations(self.env)
        conninfo = db.conninfo()
        return conninfo if dbname is None else conninfo.replace(f"dbname={db.name}", f"dbname={dbname}")

    def conninfo_as(self, user_var: str) -> str:
        """Connect as a project role, e.g. conninfo_as("WAREHOUSE_READER")."""
        db = settings.warehouse(self.env) if user_var.startswith("WAREHOUSE") else settings.operations(self.env)
        return db.conninfo(self.env[f"{user_var}_USER"], self.env[f"{user_var}_PASSWORD"])

    @contextmanager
    def warehouse(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.admin_conninfo("warehouse"), autocommit=True) as conn:
            yield conn

    @contextmanager
    def operations(self) -> Iterator[psycopg.Connection]:
        with psycopg.connect(self.admin_conninfo("operations"), autocommit=True) as conn:
            yield conn

    def query(self, sql: str, params: object = None) -> list[tuple]:
        with self.warehouse() as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    @property
    def drops(self) -> Path:
        return Path(self.env["FILE_DROPS_DIR"])


@contextmanager
def start_stack(home: Path) -> Iterator[Stack]:
    home.mkdir(parents=True, exist_ok=True)
    stack = Stack(home, base_env(home))
    stack.env["MELTANO_DATABASE_URI"] = f"sqlite:///{home / 'meltano.db'}"
    stack.drops.mkdir(parents=True, exist_ok=True)
    try:
        stack.python("-m", "infinit.localdb", "up")
        yield stack
    finally:
        stack.python("-m", "infinit.localdb", "down", check=False)
