"""Monthly sales reports: one self-contained HTML file per month (charts inline as SVG, no
URL fetched) and a PDF of it printed by headless Chromium (WeasyPrint as a fallback).

    infinit-reports monthly [--month YYYY-MM | --all] [--out DIR] [--no-pdf]

Without --month/--all: the latest complete month (the newest month with sales that ended
before today, Europe/Paris). Outputs: $REPORTS_DIR/sales-YYYY-MM.html and .pdf.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import psycopg

from infinit_report import __version__, charts, fmt, queries

log = logging.getLogger("infinit_report")

TOP_N = 10
# The KPI cards, in order: (column of rpt_monthly_sales, label, formatter).
KPIS: tuple[tuple[str, str, str], ...] = (
    ("transactions", "Transactions", "number"),
    ("units", "Cars sold", "number"),
    ("turnover", "Turnover", "money"),
    ("market_value", "Market value", "money"),
    ("discount_pct", "Average discount", "pct"),
    ("avg_basket", "Average basket", "money"),
    ("active_clients", "Active clients", "number"),
    ("new_clients", "New clients", "number"),
)
FORMATTERS = {"number": fmt.number, "money": fmt.money, "pct": fmt.pct}


@dataclass(frozen=True)
class Output:
    month: date
    html: Path
    pdf: Path | None


# --- data ----------------------------------------------------------------------------
def parse_month(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"month must look like 2024-07, not {text!r}") from exc


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def context(conn: psycopg.Connection[Any], month: date, now: datetime) -> dict[str, Any]:
    """Everything the template shows for `month`, straight from the query module."""
    kpis = queries.monthly_kpis(conn, month)
    if kpis is None:
        raise LookupError(f"no sales in {month:%Y-%m} (reports.rpt_monthly_sales has no such month)")
    last = month_end(month)
    daily = queries.daily_sales(conn, month, last)
    brands = queries.brand_ranking(conn, month)
    models = queries.model_ranking(conn, month, TOP_N)
    clients = queries.client_ranking(conn, month, TOP_N)
    trend_start = month.replace(year=month.year - 1)
    trend = queries.monthly_series(conn, trend_start, month)
    for row in models:
        row["label"] = f"{row['brand']} {row['model']}"
    brand_domain = [r["brand"] for r in queries.products(conn)]
    svgs = {
        "daily": charts.to_svg(
            charts.daily_stacked(daily, "brand", "turnover", "Daily turnover by brand", 640, 230, brand_domain),
            "daily",
        ),
        "brands": charts.to_svg(
            charts.share_bars(brands, "brand", "Brand share of turnover", 230, brand_domain), "brands"
        ),
        "models": charts.to_svg(charts.ranking_bars(models, "label", f"Top {TOP_N} models", 230), "models"),
        "trend": charts.to_svg(
            charts.monthly_trend(trend, "turnover", "Turnover, last 13 months", 640, 150, month), "trend"
        ),
    }
    cards = []
    for column, label, kind in KPIS:
        formatter = FORMATTERS[kind]
        cards.append(
            {
                "key": column,
                "label": label,
                "value": formatter(kpis[column]),
                "prev_month": formatter(kpis[f"{column}_prev_month"]),
                "mom": fmt.signed_pct(kpis[f"{column}_mom_pct"]),
                "mom_sign": _sign(kpis[f"{column}_mom_pct"]),
                "prev_year": formatter(kpis[f"{column}_prev_year"]),
                "yoy": fmt.signed_pct(kpis[f"{column}_yoy_pct"]),
                "yoy_sign": _sign(kpis[f"{column}_yoy_pct"]),
            }
        )
    quality = queries.data_quality(conn)
    for row in quality:
        row["age"] = fmt.age(row["last_loaded_at"], now)
    quarantine = queries.quarantine(conn, month)
    return {
        "month": month,
        "month_label": fmt.month_label(month),
        "first_day": fmt.day(month),
        "last_day": fmt.day(last),
        "generated_at": fmt.timestamp(now),
        "version": __version__,
        "kpis": kpis,
        "cards": cards,
        "discount": fmt.money(kpis["discount"]),
        "brands": brands,
        "models": models,
        "clients": clients,
        "svgs": svgs,
        "quality": quality,
        "quarantine": quarantine,
        "quarantined_total": sum(int(r["quarantined_rows"]) for r in quarantine),
        "catalog_versions": queries.catalog_versions(conn, month),
    }


def _sign(value: Any) -> str:
    if value is None or value == 0:
        return "flat"
    return "up" if value > 0 else "down"


# --- rendering -----------------------------------------------------------------------
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("infinit_report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        number=fmt.number, money=fmt.money, pct=fmt.pct, signed_pct=fmt.signed_pct, timestamp=fmt.timestamp
    )
    return env


def render_html(ctx: dict[str, Any]) -> str:
    env = environment()
    css = env.loader.get_source(env, "report.css")[0]  # type: ignore[union-attr]
    return env.get_template("report.html.j2").render(css=css, **ctx)


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pdf_with_chromium(chromium: str, html: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="infinit-chromium-") as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--print-to-pdf={pdf}",
            html.resolve().as_uri(),
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"chromium exited {result.returncode}: {result.stderr.strip()[-500:]}")


def write_pdf(html: Path, pdf: Path) -> Path | None:
    """Print `html` to `pdf` with the first renderer available; None (and a log line saying why) if none."""
    engine = os.environ.get("REPORTS_PDF_ENGINE", "auto").lower()
    if engine == "none":
        log.warning("PDF not produced for %s: REPORTS_PDF_ENGINE=none", html.name)
        return None
    reasons = []
    if engine in ("auto", "chromium"):
        chromium = find_chromium()
        if chromium is None:
            reasons.append("no Chromium found (install the Debian package `chromium` or set CHROMIUM_PATH)")
        else:
            try:
                pdf_with_chromium(chromium, html, pdf)
                return pdf
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
                reasons.append(f"Chromium failed: {exc}")
    if engine in ("auto", "weasyprint"):
        try:
            import weasyprint  # type: ignore[import-not-found]
        except ImportError:
            reasons.append("WeasyPrint not installed (pip install 'infinit-report[weasyprint]')")
        else:
            weasyprint.HTML(filename=str(html)).write_pdf(str(pdf))
            return pdf
    log.warning("PDF not produced for %s: %s", html.name, "; ".join(reasons) or f"unknown engine {engine!r}")
    return None


def generate(
    conn: psycopg.Connection[Any], month: date, out_dir: Path, pdf: bool = True, now: datetime | None = None
) -> Output:
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"sales-{month:%Y-%m}.html"
    html_path.write_text(render_html(context(conn, month, now)), encoding="utf-8")
    pdf_path = write_pdf(html_path, html_path.with_suffix(".pdf")) if pdf else None
    return Output(month, html_path, pdf_path)


# --- command line --------------------------------------------------------------------
def reports_dir(value: str | None) -> Path:
    path = Path(value or os.environ.get("REPORTS_DIR") or "output/reports")
    if not path.is_absolute():
        path = Path(os.environ.get("MELTANO_PROJECT_ROOT", ".")) / path
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="infinit-reports", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    monthly = sub.add_parser("monthly", help="generate monthly sales reports (HTML + PDF)")
    which = monthly.add_mutually_exclusive_group()
    which.add_argument("--month", type=parse_month, action="append", help="YYYY-MM (repeatable)")
    which.add_argument("--all", action="store_true", help="every month that has sales")
    monthly.add_argument("--out", help="output folder (default: $REPORTS_DIR or output/reports)")
    monthly.add_argument("--no-pdf", action="store_true", help="HTML only")
    from infinit_report import delivery  # imported here: delivery builds on this module

    delivery.add_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("REPORTS_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "deliver":
        return delivery.run(args)

    out_dir = reports_dir(args.out)
    with queries.connect() as conn:
        if args.all:
            months = queries.months(conn)
        elif args.month:
            months = args.month
        else:
            today = datetime.now(fmt.PARIS).date()
            latest = queries.latest_complete_month(conn, today)
            months = [latest] if latest else []
        if not months:
            log.error("no month to report: reports.rpt_monthly_sales has no complete month")
            return 1
        failed = 0
        for month in months:
            try:
                output = generate(conn, month, out_dir, pdf=not args.no_pdf)
            except LookupError as exc:
                log.error("%s", exc)
                failed += 1
                continue
            log.info("report %s: %s%s", f"{month:%Y-%m}", output.html, f" and {output.pdf.name}" if output.pdf else "")
            print(output.html)
            if output.pdf:
                print(output.pdf)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
