"""The Meltano loader `target-postgres`: MeltanoLabs' target with the sink of sink.py."""

from __future__ import annotations

from target_postgres.target import TargetPostgres

from infinit_target_postgres import preflight
from infinit_target_postgres.sink import FastCopySink


class TargetPostgresInfinit(TargetPostgres):
    """Same name, settings, tables and SQL as target-postgres 0.8.1; only the per-row Python
    of the bulk load is leaner."""

    default_sink_class = FastCopySink


def main() -> None:
    """`target-postgres-infinit`: the prod start-up check (preflight.py), then the target."""
    preflight.enforce()
    TargetPostgresInfinit.cli()
