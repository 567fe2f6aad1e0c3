"""E-mail delivery of the monthly report (`infinit-reports deliver`, the `deliver` job), against a
real SMTP server on 127.0.0.1 (aiosmtpd) that requires STARTTLS and a login, on the warehouse of
the package's pipeline run. What is checked is what a sales manager and an operator see: the
message, its PDF's bytes, how many copies arrive, the exit status and the delivery log."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypothesis import given
from hypothesis import strategies as st
from infinit.stack import ROOT, free_port
from report_pipeline import Pipeline

from infinit_report import delivery

MONTH = "2024-07"  # the latest complete month of the demo data
USER, PASSWORD = "reports@dealer.example", "s3cret-smtp"
RECIPIENTS = ["manager@dealer.example", "owner@dealer.example"]
CLI = ROOT / ".meltano" / "utilities" / "reports" / "venv" / "bin" / "infinit-reports"


@dataclass
class Inbox:
    """What the server accepted; `hold` keeps the client waiting after the message is received."""

    messages: list[Envelope] = field(default_factory=list)
    hold: bool = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        while self.hold:
            await asyncio.sleep(0.05)
        return "250 Message accepted for delivery"

    def parsed(self, index: int = -1) -> EmailMessage:
        content = self.messages[index].content
        assert isinstance(content, bytes)
        return email.message_from_bytes(content, policy=default_policy)  # type: ignore[return-value]


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login == USER.encode() and data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; the client trusts it through SSL_CERT_FILE."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def smtp_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Inbox, int]]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    controller.start()
    try:
        yield inbox, port
    finally:
        inbox.hold = False
        controller.stop()


def smtp_env(port: int, certificate: tuple[Path, Path], reports: Path) -> dict[str, str]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "starttls",
        "SMTP_USER": USER,
        "SMTP_PASSWORD": PASSWORD,
        "REPORT_RECIPIENTS": ", ".join(RECIPIENTS),
        "SSL_CERT_FILE": str(certificate[0]),
        "REPORTS_DIR": str(reports),
    }


OFF = {name: "" for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "SMTP_USER", "SMTP_PASSWORD", "REPORT_RECIPIENTS")}


def log_rows(pipeline: Pipeline) -> list[tuple[str, str, str | None]]:
    rows = pipeline.query(
        "select to_char(month, 'YYYY-MM'), event, detail from delivery.report_deliveries order by recorded_at"
    )
    return [(r[0], r[1], r[2]) for r in rows]


@pytest.fixture
def empty_log(pipeline: Pipeline) -> Pipeline:
    with pipeline.stack.warehouse() as admin:  # the reader cannot
        admin.execute("truncate delivery.report_deliveries")
    return pipeline


def test_sent_once_with_its_pdf_and_a_failure_retried(
    empty_log: Pipeline, smtp_server: tuple[Inbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    pipeline, (inbox, port) = empty_log, smtp_server
    stack = pipeline.stack
    env = smtp_env(port, certificate, tmp_path)

    # Not configured: nothing sent, said once, success.
    off = stack.meltano("invoke", "reports", "deliver", env={**OFF, "REPORTS_DIR": str(tmp_path)})
    assert (off.stdout + off.stderr).count("delivery off") == 1
    assert inbox.messages == [] and log_rows(pipeline) == []

    # The server is unreachable: a non-zero exit, and the log keeps the attempt and its failure.
    down = stack.meltano("run", "deliver", env={**env, "SMTP_PORT": str(free_port())}, check=False)
    assert down.returncode != 0
    assert "delivery failed for 2024-07" in down.stdout + down.stderr
    assert [(m, e) for m, e, _ in log_rows(pipeline)] == [(MONTH, "attempt"), (MONTH, "failed")]
    assert "ConnectionRefusedError" in (log_rows(pipeline)[1][2] or "")

    # The next run (the Meltano job the schedule runs) sends it, through STARTTLS and a login.
    stack.meltano("run", "deliver", env=env)
    assert len(inbox.messages) == 1
    envelope, msg = inbox.messages[0], inbox.parsed()
    assert sorted(envelope.rcpt_tos) == sorted(RECIPIENTS)
    assert envelope.mail_from == USER
    assert MONTH in msg["Subject"]
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"sales-{MONTH}.pdf"
    sent_pdf = attachment.get_content()
    assert sent_pdf.startswith(b"%PDF-")
    assert sent_pdf == (tmp_path / f"sales-{MONTH}.pdf").read_bytes()
    assert [(m, e) for m, e, _ in log_rows(pipeline)] == [
        (MONTH, "attempt"),
        (MONTH, "failed"),
        (MONTH, "attempt"),
        (MONTH, "sent"),
    ]

    # Any later run: nothing new, success. A month without sales is refused, not logged.
    again = stack.meltano("invoke", "reports", "deliver", env=env)
    assert f"{MONTH} already sent" in again.stdout + again.stderr
    nothing = stack.run(str(CLI), "deliver", "--month", "2031-01", env=env, check=False)
    assert nothing.returncode == 2 and "2031-01 has no sales" in nothing.stderr
    assert len(inbox.messages) == 1
    assert len(log_rows(pipeline)) == 4

    # A month whose send failed is sent by the next run, though that run is for another month.
    june = stack.run(str(CLI), "deliver", "--month", "2024-06", env={**env, "SMTP_PORT": str(free_port())}, check=False)
    assert june.returncode == 1
    stack.run(str(CLI), "deliver", env=env)
    assert len(inbox.messages) == 2 and "2024-06" in inbox.parsed()["Subject"]
    assert [(m, e) for m, e, _ in log_rows(pipeline)][4:] == [
        ("2024-06", "attempt"),
        ("2024-06", "failed"),
        ("2024-06", "attempt"),
        ("2024-06", "sent"),
    ]
    for result in (off, down, again, nothing, june):
        assert PASSWORD not in result.stdout + result.stderr


def test_a_crash_after_the_send_sends_again_with_the_same_message_id(
    empty_log: Pipeline, smtp_server: tuple[Inbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    """At-least-once across a crash: killed once the server has the message, before the log has it."""
    pipeline, (inbox, port) = empty_log, smtp_server
    env = {**pipeline.stack.env, **smtp_env(port, certificate, tmp_path)}
    inbox.hold = True
    process = subprocess.Popen([str(CLI), "deliver"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not inbox.messages and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert inbox.messages, f"the server never got the message: {process.poll()}"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait()
        inbox.hold = False
    assert [(m, e) for m, e, _ in log_rows(pipeline)] == [(MONTH, "attempt")]

    rerun = pipeline.stack.run(str(CLI), "deliver", env=smtp_env(port, certificate, tmp_path))
    assert "sending again" in rerun.stderr
    assert len(inbox.messages) == 2
    first, second = inbox.parsed(0), inbox.parsed(1)
    assert first["Message-ID"] == second["Message-ID"]
    assert [(m, e) for m, e, _ in log_rows(pipeline)] == [(MONTH, "attempt"), (MONTH, "attempt"), (MONTH, "sent")]


def test_a_month_is_not_sent_before_a_load_after_it_closed(
    empty_log: Pipeline, smtp_server: tuple[Inbox, int], certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    """As if the 1st's daily run had failed: the reports were last built from a load one second
    before the month closed in Paris (22:00 UTC in summer). Nothing is sent; the next run sends."""
    pipeline, (inbox, port) = empty_log, smtp_server
    env = smtp_env(port, certificate, tmp_path)
    with pipeline.stack.warehouse() as admin:
        saved = admin.execute("select source, last_loaded_at from reports.rpt_data_quality").fetchall()
        admin.execute("update reports.rpt_data_quality set last_loaded_at = '2024-07-31 21:59:59+00'")
        try:
            stale = pipeline.stack.run(str(CLI), "deliver", env=env, check=False)
        finally:
            for source, loaded_at in saved:
                admin.execute(
                    "update reports.rpt_data_quality set last_loaded_at = %s where source = %s", [loaded_at, source]
                )
    assert stale.returncode == 1
    assert "before 2024-07 closed (2024-08-01 00:00 Europe/Paris)" in stale.stderr
    assert inbox.messages == []
    pipeline.stack.run(str(CLI), "deliver", env=env)
    assert len(inbox.messages) == 1
    assert [(m, e) for m, e, _ in log_rows(pipeline)] == [
        (MONTH, "attempt"),
        (MONTH, "failed"),
        (MONTH, "attempt"),
        (MONTH, "sent"),
    ]


def test_the_reader_may_only_append_to_the_log(empty_log: Pipeline) -> None:
    stack = empty_log.stack
    denied = psycopg.errors.InsufficientPrivilege
    with psycopg.connect(stack.conninfo_as("WAREHOUSE_READER"), autocommit=True) as conn:
        conn.execute(
            "insert into delivery.report_deliveries (month, event, recipients) values ('2024-06-01', 'sent', 'a@b')"
        )
        with pytest.raises(psycopg.errors.UniqueViolation):  # one 'sent' per month, whatever the caller
            conn.execute(
                "insert into delivery.report_deliveries (month, event, recipients) values ('2024-06-01', 'sent', 'a@b')"
            )
        for statement in (
            "update delivery.report_deliveries set event = 'failed'",
            "delete from delivery.report_deliveries",
            "truncate delivery.report_deliveries",
            "create table delivery.reader_probe (id int)",
        ):
            with pytest.raises(denied):
                conn.execute(statement)
    assert [(m, e) for m, e, _ in log_rows(empty_log)] == [("2024-06", "sent")]


@given(
    host=st.sampled_from(["", "smtp.example.com", "127.0.0.1"]),
    recipients=st.sampled_from(["", "a@example.com", "a@example.com; b@example.com", "nobody"]),
    tls=st.sampled_from(["", "starttls", "ssl", "none", "tls1"]),
    port=st.sampled_from(["", "2525", "smtp"]),
    user=st.sampled_from(["", "reports@example.com", "reports"]),
    password=st.sampled_from(["", "pw"]),
)
def test_settings_are_off_complete_or_refused_by_name(
    host: str, recipients: str, tls: str, port: str, user: str, password: str
) -> None:
    env = {
        "SMTP_HOST": host,
        "REPORT_RECIPIENTS": recipients,
        "SMTP_TLS": tls,
        "SMTP_PORT": port,
        "SMTP_USER": user,
        "SMTP_PASSWORD": password,
    }
    try:
        smtp = delivery.smtp_settings(env)
    except delivery.SettingsError as exc:
        assert "SMTP_" in str(exc) or "REPORT_RECIPIENTS" in str(exc)
        assert password == "" or password not in str(exc)
        return
    if smtp is None:
        assert host == "" and recipients == ""
        return
    assert smtp.host == host and smtp.recipients and all("@" in r for r in smtp.recipients)
    assert smtp.tls in delivery.TLS_MODES and smtp.port > 0
    assert not (smtp.user and smtp.tls == "none" and host != "127.0.0.1"), "a password in clear off loopback"
    assert password not in repr(smtp) or password == ""
