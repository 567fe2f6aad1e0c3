"""Connection settings, read from the environment (and `.env`, as Meltano does).

One place names every variable, so the local servers, the demo generator, the tests
and the docs agree with meltano.yml and transform/profiles/profiles.yml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Defaults of .env.example: they describe the embedded local servers.
DEFAULTS: dict[str, str] = {
    "WAREHOUSE_HOST": "127.0.0.1",
    "WAREHOUSE_PORT": "5432",
    "WAREHOUSE_DB": "warehouse",
    "WAREHOUSE_ADMIN_USER": "postgres",
    "WAREHOUSE_LOADER_USER": "loader",
    "WAREHOUSE_TRANSFORMER_USER": "transformer",
    "WAREHOUSE_READER_USER": "reporter",
    "WAREHOUSE_STATE_USER": "meltano_state",
    "OPS_HOST": "127.0.0.1",
    "OPS_PORT": "5433",
    "OPS_DB": "operations",
    "OPS_ADMIN_USER": "postgres",
    "OPS_READER_USER": "extractor",
    "FILE_DROPS_DIR": "data/drops",
    "LOCALDB_DIR": "data/localdb",
}


def load_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """Defaults < `.env` of the project < the process environment."""
    merged = dict(DEFAULTS)
    env_file = PROJECT_ROOT / ".env"
    if env_file.exists():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def project_path(value: str) -> Path:
    """A path setting: relative paths are relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


@dataclass(frozen=True)
class Database:
    """One PostgreSQL database and the administrator that manages it."""

    role: str  # "warehouse" or "operations": also the env var prefix's meaning
    prefix: str  # "WAREHOUSE" or "OPS"
    host: str
    port: int
    name: str
    admin_user: str
    admin_password: str

    def conninfo(self, user: str | None = None, password: str | None = None) -> str:
        """A libpq key/value string. Never logged: it carries a password."""
        return (
            f"host={self.host} port={self.port} dbname={self.name} "
            f"user={user or self.admin_user} password={password or self.admin_password} "
            "connect_timeout=10"
        )


def require(env: dict[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise SystemExit(f"{name} is not set: copy .env.example to .env or export it.")
    return value


def warehouse(env: dict[str, str]) -> Database:
    return Database(
        role="warehouse",
        prefix="WAREHOUSE",
        host=env["WAREHOUSE_HOST"],
        port=int(env["WAREHOUSE_PORT"]),
        name=env["WAREHOUSE_DB"],
        admin_user=env["WAREHOUSE_ADMIN_USER"],
        admin_password=require(env, "WAREHOUSE_ADMIN_PASSWORD"),
    )


def operations(env: dict[str, str]) -> Database:
    return Database(
        role="operations",
        prefix="OPS",
        host=env["OPS_HOST"],
        port=int(env["OPS_PORT"]),
        name=env["OPS_DB"],
        admin_user=env["OPS_ADMIN_USER"],
        admin_password=require(env, "OPS_ADMIN_PASSWORD"),
    )
