"""Refuse to start a deployment with a password the operator did not choose.

    python -m infinit.preflight [compose|prod]      (or: python src/infinit/preflight.py ...)

A password is refused when it is empty, still an example value of `.env.example`, or shorter
than MIN_LENGTH characters. The message names the variable, never its value.

- `compose` (default): every password of `.env`. docker-compose.yml's `preflight` service and
  the images' entrypoint (deploy/docker/entrypoint.sh) run it before anything starts.
- `prod`: the passwords of the pipeline's roles (the administrators' and the state role's when
  they are set: a runner does not need them), and TLS settings that can verify the server. The
  `prod` Meltano environment sets INFINIT_PREFLIGHT=prod, and the project's own plugins
  (target-postgres, in every extract-load block; the reports; the cockpit) run it at start-up.

The local `dev` demo on 127.0.0.1 keeps the example values and never runs this.
Standard library only: the plugins run it with their own Python.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

MIN_LENGTH = 16
ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"

# What the pipeline's plugins log in with (target-postgres, dbt, reports and cockpit, tap-postgres).
PIPELINE = (
    "WAREHOUSE_LOADER_PASSWORD",
    "WAREHOUSE_TRANSFORMER_PASSWORD",
    "WAREHOUSE_READER_PASSWORD",
    "OPS_READER_PASSWORD",
)
# Database set-up and Meltano's system database: compose needs them, a prod runner may not have them.
SETUP = ("WAREHOUSE_ADMIN_PASSWORD", "OPS_ADMIN_PASSWORD", "WAREHOUSE_STATE_PASSWORD")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def example_values(path: Path = ENV_EXAMPLE) -> set[str]:
    """Every password value `.env.example` ships (KEY=VALUE lines; the file has no quoting)."""
    values = set()
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip().endswith("_PASSWORD") and value.strip():
            values.add(value.strip())
    return values


def problems(env: Mapping[str, str], required: Iterable[str], optional: Iterable[str] = ()) -> list[str]:
    """One line per refused password, naming the variable only."""
    examples = example_values()
    found = []
    for name in [*required, *(n for n in optional if env.get(n))]:
        value = env.get(name, "")
        if not value:
            found.append(f"{name} is empty")
        elif value in examples:
            found.append(f"{name} is still an example value of .env.example")
        elif len(value) < MIN_LENGTH:
            found.append(f"{name} is shorter than {MIN_LENGTH} characters")
    return found


def tls_problems(env: Mapping[str, str]) -> list[str]:
    """prod's TLS settings (PG_SSLMODE, PG_SSLROOTCERT): a libpq sslmode, and a CA file to verify with."""
    mode = env.get("PG_SSLMODE", "")
    if mode not in SSLMODES:
        return [
            f"PG_SSLMODE is {'not one of ' + ', '.join(SSLMODES) if mode else 'empty'} (verify-full checks the server)"
        ]
    if mode.startswith("verify") and not os.path.isfile(env.get("PG_SSLROOTCERT", "")):
        return [f"PG_SSLROOTCERT names no file: PG_SSLMODE={mode} needs the CA certificate (PEM) to check the server"]
    return []


def refusal(env: Mapping[str, str], mode: str) -> str | None:
    """The message that stops a `compose` or `prod` start, or None when every password is chosen."""
    if mode == "compose":
        found = problems(env, [*PIPELINE, *SETUP])
        where = "docker compose (.env)"
    else:
        found = problems(env, PIPELINE, SETUP) + tls_problems(env)
        where = "the prod environment"
    if not found:
        return None
    return (
        f"infinit: {where} refuses to start:\n"
        + "".join(f"  - {line}\n" for line in found)
        + f"Passwords: a secret of at least {MIN_LENGTH} characters each, e.g. `openssl rand -hex 16`"
        " (docs/operations.md#security)."
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mode = argv[0] if argv else "compose"
    if mode not in ("compose", "prod"):
        print(__doc__, file=sys.stderr)
        return 2
    message = refusal(os.environ, mode)
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
