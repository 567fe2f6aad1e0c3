"""A throwaway Meltano runner: a system folder (MELTANO_SYS_DIR_ROOT) holding the project's
installed plugins, as a container image would, and nothing else (no system db, no logs); and
the system database URI a stateless runner keeps its state in."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL

from infinit.stack import ROOT, Stack


def new_runner(path: Path) -> Path:
    path.mkdir(parents=True)
    for kind in ("extractors", "loaders", "utilities"):
        (path / kind).symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    return path


def warehouse_uri(stack: Stack, **query: str) -> str:
    """What docker-compose.yml sets: the warehouse, schema `meltano`, via psycopg 3; `query`
    adds libpq parameters (prod's sslmode and sslrootcert)."""
    env = stack.env
    return URL.create(
        "postgresql+psycopg",
        username=env["WAREHOUSE_STATE_USER"],
        password=env["WAREHOUSE_STATE_PASSWORD"],
        host=env["WAREHOUSE_HOST"],
        port=int(env["WAREHOUSE_PORT"]),
        database=env["WAREHOUSE_DB"],
        query={"options": "-csearch_path=meltano", **query},
    ).render_as_string(hide_password=False)
