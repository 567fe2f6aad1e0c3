"""No deployment starts with a password nobody chose (issue 28, point 2), and `.env` is private.

- the rule itself (src/infinit/preflight.py), on generated environments: refused exactly when a
  password is empty, an example value of .env.example or too short; the message names each such
  variable and never prints a value;
- the images' real entrypoint script (deploy/docker/entrypoint.sh), as Docker runs it;
- real `meltano run`s in the `prod` environment against a server that would accept the example
  password: the loader and the reports refuse to start, the same run in `dev` goes through;
- `make .env` writes a file only its owner can read.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql

from infinit import preflight
from infinit.stack import ROOT, VENV_BIN, Stack

ENV_EXAMPLE = {k: v for k, v in dotenv_values(ROOT / ".env.example").items() if v is not None}
EXAMPLES = sorted(preflight.example_values())
PASSWORDS = (*preflight.PIPELINE, *preflight.SETUP)
# Alphabets that never occur in the messages, so "no value printed" is a plain substring check.
SHORT = st.text(alphabet="αβγδεζηθ", min_size=1, max_size=preflight.MIN_LENGTH - 1)
CHOSEN = st.text(alphabet="ЖЗИЙКЛМН", min_size=preflight.MIN_LENGTH, max_size=40)
VALUE = st.one_of(st.just(""), st.sampled_from(EXAMPLES), SHORT, CHOSEN)


def test_every_password_of_env_example_is_an_example_the_check_knows() -> None:
    shipped = {k: v for k, v in ENV_EXAMPLE.items() if k.endswith("_PASSWORD")}
    assert set(shipped) == set(PASSWORDS)
    # The commented e-mail block's example password (SMTP_PASSWORD) is known too, though unchecked.
    assert set(shipped.values()) <= set(EXAMPLES)
    assert preflight.refusal(ENV_EXAMPLE, "compose") is not None


@settings(max_examples=300, deadline=None)
@given(values=st.fixed_dictionaries({name: VALUE for name in PASSWORDS}), mode=st.sampled_from(["compose", "prod"]))
def test_refused_exactly_when_a_needed_password_is_weak_and_no_value_is_printed(
    values: dict[str, str], mode: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    ca = tmp_path_factory.getbasetemp() / "ca.pem"
    ca.touch()
    env = {**values, "PG_SSLMODE": "verify-full", "PG_SSLROOTCERT": str(ca)}
    message = preflight.refusal(env, mode) or ""

    def weak(value: str) -> bool:
        return not value or value in EXAMPLES or len(value) < preflight.MIN_LENGTH

    # compose needs every password; a prod runner needs the pipeline's and checks the others if set.
    needed = PASSWORDS if mode == "compose" else preflight.PIPELINE
    refused = {n for n in PASSWORDS if weak(values[n]) and (n in needed or values[n])}
    assert {n for n in PASSWORDS if f"- {n} " in message} == refused
    assert bool(message) == bool(refused)
    for value in values.values():
        assert not value or value not in message, "a password value was printed"


@pytest.mark.parametrize(
    ("mode", "ca", "refused"),
    [
        ("verify-full", "right", None),
        ("verify-ca", "right", None),
        ("verify-full", "missing", "PG_SSLROOTCERT names no file"),
        ("verify-full", "", "PG_SSLROOTCERT names no file"),
        ("", "right", "PG_SSLMODE is empty"),
        ("verify_full", "right", "PG_SSLMODE is not one of"),
        ("disable", "", None),  # the operator asked for it
    ],
)
def test_prod_refuses_tls_that_cannot_verify_the_server(
    mode: str, ca: str, refused: str | None, tmp_path: Path
) -> None:
    (tmp_path / "right").write_text("-----BEGIN CERTIFICATE-----\n")
    chosen = {name: "x" * preflight.MIN_LENGTH for name in preflight.PIPELINE}
    env = {**chosen, "PG_SSLMODE": mode, "PG_SSLROOTCERT": str(tmp_path / ca) if ca else ""}
    message = preflight.refusal(env, "prod")
    if refused is None:
        assert message is None
    else:
        assert message is not None and refused in message


# --- the images' entrypoint, run for real ----------------------------------------------------
def run_entrypoint(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(ROOT / "deploy" / "docker" / "entrypoint.sh"), "echo", "the command ran"],
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_image_entrypoint_refuses_the_example_env_and_runs_the_command_with_chosen_passwords() -> None:
    refused = run_entrypoint(ENV_EXAMPLE)
    assert refused.returncode != 0
    assert "the command ran" not in refused.stdout
    for name in PASSWORDS:
        assert f"{name} is still an example value of .env.example" in refused.stderr
    assert not any(value in refused.stderr + refused.stdout for value in EXAMPLES)

    chosen = {**ENV_EXAMPLE, **{name: os.urandom(12).hex() for name in PASSWORDS}}
    started = run_entrypoint(chosen)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "the command ran"

    # A prod container needs the pipeline's passwords only (and TLS that verifies).
    runner = {name: chosen[name] for name in preflight.PIPELINE}
    ca = str(ROOT / ".env.example")  # any existing file: the check only needs one to be named
    prod = run_entrypoint({**runner, "MELTANO_ENVIRONMENT": "prod", "PG_SSLMODE": "verify-full", "PG_SSLROOTCERT": ca})
    assert prod.returncode == 0, prod.stderr
    assert run_entrypoint({**ENV_EXAMPLE, "MELTANO_ENVIRONMENT": "prod"}).returncode != 0


# --- the prod environment, through real meltano runs -----------------------------------------
NO_TLS = {"PG_SSLMODE": "disable", "TAP_POSTGRES_SSL_ENABLE": "false", "TARGET_POSTGRES_SSL_ENABLE": "false"}


def set_password(stack: Stack, role: str, password: str) -> None:
    with stack.warehouse() as conn:
        conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))


@pytest.mark.slow
def test_prod_runs_refuse_an_example_password_the_server_would_accept(demo_stack: Stack) -> None:
    """The servers take `change-me-loader` and `change-me-reporter` here: in `dev` the load
    goes through, in `prod` the loader and the reports stop before connecting, naming the variable."""
    env = demo_stack.env
    example = {"WAREHOUSE_LOADER_PASSWORD": ENV_EXAMPLE["WAREHOUSE_LOADER_PASSWORD"],
               "WAREHOUSE_READER_PASSWORD": ENV_EXAMPLE["WAREHOUSE_READER_PASSWORD"]}  # fmt: skip
    set_password(demo_stack, env["WAREHOUSE_LOADER_USER"], example["WAREHOUSE_LOADER_PASSWORD"])
    set_password(demo_stack, env["WAREHOUSE_READER_USER"], example["WAREHOUSE_READER_PASSWORD"])
    try:
        prod = {**example, **NO_TLS, "MELTANO_ENVIRONMENT": "prod"}
        load = demo_stack.meltano("run", "tap-postgres", "target-postgres", env=prod, check=False)
        output = load.stdout + load.stderr
        assert load.returncode != 0
        assert "WAREHOUSE_LOADER_PASSWORD is still an example value of .env.example" in output
        assert "WAREHOUSE_READER_PASSWORD is still an example value of .env.example" in output
        assert not any(value in output for value in EXAMPLES)
        tables = demo_stack.query("select count(*) from information_schema.tables where table_schema = 'raw'")
        assert tables == [(0,)], "nothing was loaded"

        reports = demo_stack.meltano("run", "reports:all", env=prod, check=False)
        assert reports.returncode != 0
        assert "WAREHOUSE_READER_PASSWORD is still an example value" in reports.stdout + reports.stderr

        # The same run in dev (the local demo keeps the example values): the password works.
        demo_stack.meltano("run", "tap-postgres", "target-postgres", env={**example, "MELTANO_ENVIRONMENT": "dev"})
        assert demo_stack.query("select count(*) from raw.cars")[0][0] > 0
    finally:
        set_password(demo_stack, env["WAREHOUSE_LOADER_USER"], env["WAREHOUSE_LOADER_PASSWORD"])
        set_password(demo_stack, env["WAREHOUSE_READER_USER"], env["WAREHOUSE_READER_PASSWORD"])
    with psycopg.connect(demo_stack.conninfo_as("WAREHOUSE_LOADER")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


# --- .env is private ---------------------------------------------------------------------------
def test_make_writes_env_readable_by_its_owner_only(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
    subprocess.run(
        ["sh", "-c", f"umask 000 && make -s -f {ROOT / 'Makefile'} .env"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    written = tmp_path / ".env"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert written.read_bytes() == (ROOT / ".env.example").read_bytes()
