"""E-mail delivery of the monthly report: the PDF of the latest complete month, once.

    infinit-reports deliver [--month YYYY-MM] [--out DIR]

Sends the month just closed (or --month) with its PDF attached to REPORT_RECIPIENTS through
the SMTP server of SMTP_HOST, SMTP_PORT, SMTP_TLS, SMTP_USER, SMTP_PASSWORD. Without
SMTP_HOST and REPORT_RECIPIENTS it sends nothing and says so. The warehouse table
delivery.report_deliveries (deploy/postgres/warehouse.sql) logs every attempt and its
outcome: a month already sent is never sent again, and a month whose last attempt failed is
sent by the next run, whatever month that run is for. The exit status is 1 when a send failed.

Across a crash the promise is at-least-once: the attempt is logged before the SMTP
conversation and the outcome after it, so a run that died in between leaves an attempt without
outcome, and the next run sends again (with the same Message-ID, which lets mail clients show
the copy once). A month is never lost silently; a rare duplicate is possible.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import psycopg

from infinit_report import fmt, monthly, queries
from infinit_report.l10n import t

log = logging.getLogger("infinit_report.delivery")

TLS_MODES = {"starttls": 587, "ssl": 465, "none": 25}
# Held for the whole run: two runs at once would both find the month unsent.
LOCK_KEY = 0x1F1_DE11  # any constant bigint, unique to this job
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SettingsError(ValueError):
    """Delivery half-configured: named in the message, nothing is sent."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    tls: str
    user: str | None
    password: str | None = None  # never logged, never in repr
    sender: str = ""
    recipients: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Smtp({self.host}:{self.port}, tls={self.tls}, user={self.user}, to={len(self.recipients)})"


def smtp_settings(env: Mapping[str, str] | None = None) -> Smtp | None:
    """The SMTP settings of the environment; None when delivery is off (neither set)."""
    env = os.environ if env is None else env
    host = env.get("SMTP_HOST", "").strip()
    recipients = tuple(r.strip() for r in env.get("REPORT_RECIPIENTS", "").replace(";", ",").split(",") if r.strip())
    if not host and not recipients:
        return None
    if not host or not recipients:
        missing = "SMTP_HOST" if not host else "REPORT_RECIPIENTS"
        raise SettingsError(f"{missing} is not set: set both SMTP_HOST and REPORT_RECIPIENTS, or neither")
    tls = env.get("SMTP_TLS", "").strip().lower() or "starttls"
    if tls not in TLS_MODES:
        raise SettingsError(f"SMTP_TLS must be one of {', '.join(TLS_MODES)}, not {tls!r}")
    port_text = env.get("SMTP_PORT", "").strip() or str(TLS_MODES[tls])
    if not port_text.isdigit():
        raise SettingsError(f"SMTP_PORT must be a port number, not {port_text!r}")
    user = env.get("SMTP_USER", "").strip() or None
    password = env.get("SMTP_PASSWORD") or None
    if user and not password:
        raise SettingsError("SMTP_USER is set but SMTP_PASSWORD is not")
    if user and tls == "none" and host not in LOOPBACK:
        raise SettingsError(f"SMTP_TLS=none would send SMTP_PASSWORD in clear to {host}: use starttls or ssl")
    bad = [r for r in recipients if "@" not in r]
    if bad:
        raise SettingsError(f"REPORT_RECIPIENTS holds something that is not an e-mail address: {bad[0]!r}")
    sender = env.get("REPORT_SENDER", "").strip() or (user if user and "@" in user else "infinit-reports@localhost")
    return Smtp(host, int(port_text), tls, user, password, sender, recipients)


# --- the log -------------------------------------------------------------------------
def pending_months(conn: psycopg.Connection[Any], latest: date | None) -> list[date]:
    """`latest` unless already sent, plus every month attempted and never sent, oldest first."""
    rows = conn.execute(
        """
        select month from delivery.report_deliveries
        group by month having not bool_or(event = 'sent')
        union
        select %(latest)s::date where %(latest)s::date is not null
            and not exists (
                select from delivery.report_deliveries where month = %(latest)s::date and event = 'sent'
            )
        order by month
        """,
        {"latest": latest},
    ).fetchall()
    return [row["month"] for row in rows]


def unfinished(conn: psycopg.Connection[Any], month: date) -> bool:
    """Did the month's latest attempt end without an outcome (a crash mid-send)?"""
    row = conn.execute(
        "select event from delivery.report_deliveries where month = %s order by recorded_at desc limit 1", [month]
    ).fetchone()
    return row is not None and row["event"] == "attempt"


def record(conn: psycopg.Connection[Any], month: date, event: str, smtp: Smtp, detail: str | None = None) -> None:
    """Append one row, committed at once (the session is read-only by default: one write transaction)."""
    conn.read_only = False
    try:
        with conn.transaction():
            conn.execute(
                "insert into delivery.report_deliveries (month, event, recipients, detail) values (%s, %s, %s, %s)",
                [month, event, ", ".join(smtp.recipients), detail],
            )
    finally:
        conn.read_only = True


# --- the message ---------------------------------------------------------------------
def message(smtp: Smtp, month: date, pdf: Path) -> EmailMessage:
    label = f"{month:%Y-%m}"
    msg = EmailMessage()
    msg["Subject"] = f"{t('Sales report')} {label}"  # in REPORTS_LOCALE, as the PDF
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(smtp.recipients)
    msg["Date"] = formatdate(localtime=False)
    # The same for every attempt of this month and list: a duplicate after a crash is recognisable.
    digest = hashlib.sha256(f"{label}|{msg['To']}".encode()).hexdigest()[:16]
    msg["Message-ID"] = f"<sales-{label}.{digest}@{smtp.sender.rpartition('@')[2] or 'localhost'}>"
    msg.set_content(
        t("The monthly sales report for {month} is attached ({file}).", month=label, file=pdf.name)
        + "\n\n"
        + t("Figures in EUR, months in Europe/Paris time. Sent by the infinit pipeline once per month.")
        + "\n"
    )
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    return msg


def send(smtp: Smtp, msg: EmailMessage, timeout: float = 60) -> dict[str, tuple[int, bytes]]:
    """One SMTP conversation; returns the recipients the server refused (all refused raises)."""
    context = ssl.create_default_context()  # verifies the certificate and the host name
    client: smtplib.SMTP
    if smtp.tls == "ssl":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=context)
        if smtp.user and smtp.password:
            client.login(smtp.user, smtp.password)
        return client.send_message(msg)


# --- one run -------------------------------------------------------------------------
def require_load_after(conn: psycopg.Connection[Any], month: date) -> None:
    """Refuse a month the warehouse may not hold whole: no load (and build) since it closed, e.g.
    the morning's daily run failed. A mail cannot be taken back; a retry costs nothing."""
    closed = datetime.combine(monthly.month_end(month) + timedelta(days=1), time(), fmt.PARIS)
    loads = [row["last_loaded_at"] for row in queries.data_quality(conn) if row["last_loaded_at"]]
    if not loads or max(loads) < closed:
        last = f"{max(loads):%Y-%m-%d %H:%M %Z}" if loads else "never"
        raise RuntimeError(
            f"the reports were last built from a load of {last}, before {month:%Y-%m} closed"
            f" ({closed:%Y-%m-%d %H:%M} Europe/Paris): run the pipeline (meltano run elt) first"
        )


def deliver_month(conn: psycopg.Connection[Any], smtp: Smtp, month: date, out_dir: Path) -> bool:
    """Generate the month's PDF (the monthly report's own code), mail it, log it. True if sent."""
    if unfinished(conn, month):
        log.warning("%s: an earlier run stopped during its send; sending again (at-least-once)", f"{month:%Y-%m}")
    record(conn, month, "attempt", smtp)
    try:
        require_load_after(conn, month)
        output = monthly.generate(conn, month, out_dir, monthly.pdf_engine())
        if output.pdf is None:
            raise RuntimeError("no PDF could be produced (see the warning above), so nothing to attach")
        refused = send(smtp, message(smtp, month, output.pdf))
    except (smtplib.SMTPException, OSError, RuntimeError, LookupError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        record(conn, month, "failed", smtp, reason[:1000])
        to = ", ".join(smtp.recipients)
        log.error("%s: not sent to %s via %s:%s: %s", f"{month:%Y-%m}", to, smtp.host, smtp.port, reason)
        return False
    record(conn, month, "sent", smtp, f"refused: {sorted(refused)}" if refused else None)
    size = output.pdf.stat().st_size
    log.info("%s: sent %s (%d bytes) to %s", f"{month:%Y-%m}", output.pdf.name, size, ", ".join(smtp.recipients))
    if refused:
        log.error("%s: the server refused %s (not sent again: the others have it)", f"{month:%Y-%m}", sorted(refused))
        return False
    return True


def run(args: argparse.Namespace) -> int:
    try:
        smtp = smtp_settings()
    except SettingsError as exc:
        log.error("delivery not configured correctly: %s", exc)
        return 2
    if smtp is None:
        log.warning("delivery off: SMTP_HOST and REPORT_RECIPIENTS are not set, nothing is sent")
        return 0
    out_dir = monthly.reports_dir(args.out)
    with queries.connect() as conn:
        conn.execute("select pg_advisory_lock(%s)", [LOCK_KEY])
        if args.month and queries.monthly_kpis(conn, args.month) is None:
            log.error("%s has no sales in reports.rpt_monthly_sales: nothing to deliver", f"{args.month:%Y-%m}")
            return 2
        latest = args.month or queries.latest_complete_month(conn, datetime.now(fmt.PARIS).date())
        months = pending_months(conn, latest)
        if not months:
            log.info("nothing to deliver: %s", f"{latest:%Y-%m} already sent" if latest else "no complete month")
            return 0
        failed = [month for month in months if not deliver_month(conn, smtp, month, out_dir)]
    if failed:
        log.error("delivery failed for %s: the next run tries again", ", ".join(f"{m:%Y-%m}" for m in failed))
        return 1
    return 0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("deliver", help="e-mail the latest complete month's PDF, once per month")
    parser.add_argument("--month", type=monthly.parse_month, help="YYYY-MM (default: the latest complete month)")
    parser.add_argument("--out", help="output folder (default: $REPORTS_DIR or output/reports)")
