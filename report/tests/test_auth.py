"""The cockpit's login policy and password hashes (report/src/infinit_report/cockpit/auth.py).
The browser test (test_browser.py) drives the gate itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from infinit.stack import MELTANO, ROOT

from infinit_report.cockpit import auth


@settings(max_examples=15, deadline=None)  # each hash is a deliberately slow scrypt
@given(password=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_a_hash_admits_its_password_only(password: str, other: str) -> None:
    stored = auth.hash_password(password)
    assert "$" not in stored and password not in stored.split(":")  # .env- and Compose-safe, no plain text
    assert auth.verify_password(password, stored)
    assert auth.verify_password(other, stored) == (other == password)
    assert auth.hash_password(password) != stored  # salted


@pytest.mark.parametrize("stored", ["", "secret", "scrypt:1:2", "pbkdf2:1:8:1:AAAA:AAAA", "scrypt:x:8:1:AA:AA"])
def test_anything_but_a_hash_admits_nobody(stored: str) -> None:
    assert not auth.verify_password("secret", stored)
    assert not auth.verify_password("", stored)


@pytest.mark.parametrize(
    ("env", "method"),
    [
        ({}, "open"),
        ({"COCKPIT_ADDRESS": "127.0.0.1"}, "open"),
        ({"COCKPIT_ADDRESS": "127.0.0.2"}, "open"),
        ({"COCKPIT_ADDRESS": "::1"}, "open"),
        ({"COCKPIT_ADDRESS": "localhost"}, "open"),
        ({"COCKPIT_ADDRESS": "0.0.0.0"}, None),
        ({"COCKPIT_ADDRESS": "::"}, None),
        ({"COCKPIT_ADDRESS": "10.1.2.3", "COCKPIT_PASSWORD_HASH": "scrypt:..."}, "password"),
        ({"COCKPIT_ADDRESS": "cockpit.example.org"}, None),
        # docker compose: 0.0.0.0 in the container, the published host address decides
        ({"COCKPIT_ADDRESS": "0.0.0.0", "COCKPIT_PUBLISHED_ADDRESS": "127.0.0.1"}, "open"),
        ({"COCKPIT_ADDRESS": "0.0.0.0", "COCKPIT_PUBLISHED_ADDRESS": "0.0.0.0"}, None),
    ],
)
def test_loopback_is_open_anything_else_needs_a_login(env: dict[str, str], method: str | None) -> None:
    assert auth.login_method(env) == method
    assert (auth.refusal(env) is None) == (method is not None)


def test_cockpit_refuses_to_start_off_loopback_without_a_login(tmp_path) -> None:
    """`meltano invoke cockpit` on 0.0.0.0 with neither a password hash nor an identity provider:
    it exits before Streamlit starts, saying what to set."""
    result = subprocess.run(
        [MELTANO, "invoke", "cockpit"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "COCKPIT_ADDRESS": "0.0.0.0",
            "COCKPIT_PORT": "1",
            "COCKPIT_PASSWORD_HASH": "",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "without a login. Set COCKPIT_PASSWORD_HASH" in result.stdout + result.stderr


def test_an_identity_provider_in_secrets_toml_selects_streamlits_oidc_login(tmp_path) -> None:
    """The [auth] section Streamlit's st.login reads (.streamlit/secrets.toml of the working
    folder) switches the gate to OIDC. No identity provider runs here: the login itself is Streamlit's."""
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "https://cockpit.example.org/oauth2callback"\ncookie_secret = "x"\n'
        'client_id = "cockpit"\nclient_secret = "y"\n'
        'server_metadata_url = "https://id.example.org/.well-known/openid-configuration"\n'
    )
    probe = "from infinit_report.cockpit import auth; print(auth.login_method(), auth.refusal())"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "COCKPIT_ADDRESS": "0.0.0.0", "COCKPIT_PASSWORD_HASH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["oidc", "None"]
