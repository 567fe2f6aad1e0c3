"""Who may see the cockpit: everybody on 127.0.0.1, a logged-in user anywhere else.

Served on a loopback address (COCKPIT_ADDRESS, default 127.0.0.1), only this machine reaches the
cockpit and it opens as it is. Served anywhere else, it shows nothing before a login:

- Streamlit's own OIDC login (`st.login`) when an identity provider is configured in the
  `[auth]` section of `.streamlit/secrets.toml` (Streamlit's documentation; needs Authlib);
- otherwise a password, checked against COCKPIT_PASSWORD_HASH (a scrypt hash, made by
  `python -m infinit_report.cockpit.auth`) with a constant-time compare, in the pattern of
  Streamlit's "Authentication without SSO" guide. The password is never stored, not even in the
  session.

With neither, the cockpit refuses to start off-loopback (serve.py) and shows nothing (app.py).
In a container the server listens on 0.0.0.0 and COCKPIT_PUBLISHED_ADDRESS names the host
address Docker publishes it on (docker-compose.yml); that address decides.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import ipaddress
import os
import secrets
import sys
from collections.abc import Mapping

import streamlit as st

from infinit_report.l10n import t

# scrypt parameters of new hashes (RFC 7914's interactive setting: slow and memory-hard on purpose);
# a stored hash carries its own.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
AUTHENTICATED = "cockpit_authenticated"
FAILED = "cockpit_login_failed"


# --- policy ----------------------------------------------------------------------------
def served_address(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("COCKPIT_PUBLISHED_ADDRESS") or env.get("COCKPIT_ADDRESS") or "127.0.0.1"


def is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:  # a host name other than localhost: assume it is reachable from outside
        return False


def oidc_configured() -> bool:
    """An identity provider in secrets.toml's [auth] section (what `st.login` reads)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def login_method(env: Mapping[str, str] | None = None) -> str | None:
    """`open` on loopback, else `oidc` or `password`; None when off-loopback with neither configured."""
    env = os.environ if env is None else env
    if is_loopback(served_address(env)):
        return "open"
    if oidc_configured():
        return "oidc"
    if env.get("COCKPIT_PASSWORD_HASH"):
        return "password"
    return None


def refusal(env: Mapping[str, str] | None = None) -> str | None:
    if login_method(env) is not None:
        return None
    return (
        f"The cockpit would be served on {served_address(env)} without a login. Set COCKPIT_PASSWORD_HASH "
        "(`python -m infinit_report.cockpit.auth` makes one) or an identity provider in "
        ".streamlit/secrets.toml [auth], or serve it on 127.0.0.1 (docs/operations.md#security)."
    )


# --- password hashes -------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """`scrypt:n:r:p:<salt>:<key>` (base64): what COCKPIT_PASSWORD_HASH holds. No `$` in it, so
    .env, the shell and Compose take it as it is."""
    salt = secrets.token_bytes(16) if salt is None else salt
    key = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{_b64(salt)}:{_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.strip().split(":")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        given = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt, validate=True), n=int(n), r=int(r), p=int(p),
            maxmem=256 * 1024 * 1024, dklen=len(expected),
        )  # fmt: skip
    except ValueError:  # not a hash this module made: nobody gets in
        return False
    return hmac.compare_digest(given, expected)


# --- the gate --------------------------------------------------------------------------
def _password_entered() -> None:
    password = st.session_state.pop("cockpit_password", "")  # never kept in the session
    admitted = verify_password(password, os.environ.get("COCKPIT_PASSWORD_HASH", ""))
    st.session_state[AUTHENTICATED], st.session_state[FAILED] = admitted, not admitted


def _log_out() -> None:
    st.session_state[AUTHENTICATED] = st.session_state[FAILED] = False


def _password_gate() -> None:
    if st.session_state.get(AUTHENTICATED):
        st.sidebar.button(t("Log out"), on_click=_log_out, key="log_out")
        return
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.markdown("## ∞ " + t("INFINIT sales cockpit"))
        with st.form("login", clear_on_submit=True):
            st.text_input(t("Password"), type="password", key="cockpit_password")
            st.form_submit_button(t("Log in"), on_click=_password_entered, type="primary")
        if st.session_state.get(FAILED):
            st.error(t("Wrong password."))
    st.stop()


def _oidc_gate() -> None:
    if st.user.is_logged_in:
        st.sidebar.button(t("Log out"), on_click=st.logout, key="log_out")
        return
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.markdown("## ∞ " + t("INFINIT sales cockpit"))
        st.button(t("Log in"), on_click=st.login, key="log_in", type="primary")
    st.stop()


def require_login() -> None:
    """Call before the cockpit shows anything: stops the script unless the visitor may see it."""
    method = login_method()
    if method == "open":
        return
    if method == "oidc":
        _oidc_gate()
    elif method == "password":
        _password_gate()
    else:
        st.error(refusal() or "")
        st.stop()


def main() -> int:
    """Print a COCKPIT_PASSWORD_HASH for a password typed twice (never echoed)."""
    password = getpass.getpass("Cockpit password: ")
    if password != getpass.getpass("Again: "):
        print("The two passwords differ.", file=sys.stderr)
        return 1
    if len(password) < 12:
        print("Choose at least 12 characters.", file=sys.stderr)
        return 1
    print(f"COCKPIT_PASSWORD_HASH='{hash_password(password)}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
