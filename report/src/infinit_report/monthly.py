"""Monthly sales reports: one self-contained HTML file per month (charts inline as SVG, no
URL fetched) and a PDF of it, printed by WeasyPrint (installed with the package) or, as an
option, headless Chromium. Texts, numbers and dates in the deployment's locale (REPORTS_LOCALE).

    infinit-reports monthly [--month YYYY-MM | --all] [--out DIR] [--no-pdf]
    infinit-reports summary [--out DIR]     what is there, and why a PDF is missing (make demo)

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import psycopg

from infinit_report import __version__, charts, fmt, kpis, l10n, preflight, queries
from infinit_report.l10n import t

log = logging.getLogger("infinit_report")

TOP_N = 10
PANGO_FIX = "sudo apt-get install -y libpango-1.0-0 libpangoft2-1.0-0"
CHROMIUM_FIX = "sudo apt-get install -y chromium"


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


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def cards(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The KPI cards of a month: value, and the change vs the previous month and the year before."""
    out = []
    for kpi in kpis.MONTHLY:
        prev_month, prev_year = row[f"{kpi.key}_prev_month"], row[f"{kpi.key}_prev_year"]
        out.append(
            {
                "key": kpi.key,
                "label": kpi.label(),
                "formula": t(kpi.formula),
                "note": t(kpi.note) if kpi.note else "",
                "value": kpi.exact(row[kpi.key]),
                "prev_month": kpi.exact(prev_month),
                "mom": kpis.change(kpi, row[kpi.key], prev_month),
                "prev_year": kpi.exact(prev_year),
                "yoy": kpis.change(kpi, row[kpi.key], prev_year),
            }
        )
    return out


def _movement(change: Decimal | None) -> str:
    if change is None:
        return ""
    if change == 0:
        return t("unchanged")
    return t("up {pct}" if change > 0 else "down {pct}", pct=fmt.pct(abs(change)))


def summary(row: dict[str, Any], brands: list[dict[str, Any]], prev_brands: list[dict[str, Any]]) -> str:
    """The month in words, from its numbers: turnover and its changes, the leading brand, the
    brand that moved most since the previous month, and the average discount's move."""
    month = row["month"]
    text = t(
        "In {month}, {transactions} transactions ({cars} cars) brought a turnover of {turnover}",
        month=fmt.month_label(month),
        transactions=fmt.number(row["transactions"]),
        cars=fmt.number(row["units"]),
        turnover=fmt.money(row["turnover"]),
    )
    mom, yoy = row["turnover_prev_month"], row["turnover_prev_year"]
    if mom:
        change = (row["turnover"] - mom) / mom
        text += t(", {change} on {month}", change=_movement(change), month=fmt.month_label(previous_month(month)))
    if yoy:
        change = (row["turnover"] - yoy) / yoy
        text += t(" and {change} on {month}" if mom else ", {change} on {month}", change=_movement(change),
                  month=fmt.month_label(month.replace(year=month.year - 1)))  # fmt: skip
    if not mom and not yoy:
        text += t(" (no earlier month to compare with)")
    sentences = [text + "."]
    if brands:
        top = brands[0]
        sentences.append(
            t("{brand} leads with {share} of turnover ({amount}).", brand=top["brand"],
              share=fmt.pct(top["turnover_share"]), amount=fmt.money(top["turnover"]))
        )  # fmt: skip
    if prev_brands:
        before = {b["brand"]: b["turnover"] for b in prev_brands}
        moves = [(b["turnover"] - before.get(b["brand"], 0), b["brand"]) for b in brands]
        moves += [(-amount, brand) for brand, amount in before.items() if brand not in {b["brand"] for b in brands}]
        delta, brand = max(moves, key=lambda m: (abs(m[0]), m[1]))
        base = before.get(brand)
        sentences.append(
            t("Biggest move: {brand}, {amount} on {month} ({pct}).", brand=brand, amount=fmt.signed_money(delta),
              month=fmt.month_label(previous_month(month)),
              pct=fmt.signed_pct(delta / base) if base else fmt.MISSING)
        )  # fmt: skip
    discount = kpis.change(kpis.DISCOUNT, row["discount_pct"], row["discount_pct_prev_month"])
    if discount.tone in ("good", "bad"):
        rose = discount.text.startswith("+")
        verb = t("rose by {points}" if rose else "fell by {points}", points=discount.text.lstrip("+" + fmt.MINUS))
        value = fmt.pct(row["discount_pct"])
        sentences.append(t("The average discount {change} to {value}.", change=verb, value=value))
    return " ".join(sentences)


def context(conn: psycopg.Connection[Any], month: date, now: datetime) -> dict[str, Any]:
    """Everything the template shows for `month`, straight from the query module."""
    row = queries.monthly_kpis(conn, month)
    if row is None:
        raise LookupError(f"no sales in {month:%Y-%m} (reports.rpt_monthly_sales has no such month)")
    last = month_end(month)
    daily = queries.daily_sales(conn, month, last)
    brands = queries.brand_ranking(conn, month)
    prev_brands = queries.brand_ranking(conn, previous_month(month))
    models = queries.model_ranking(conn, month, TOP_N)
    clients = queries.client_ranking(conn, month, TOP_N)
    trend_start = month.replace(year=month.year - 1)
    trend = queries.monthly_series(conn, trend_start, month)
    for model in models:
        model["label"] = f"{model['brand']} {model['model']}"
    brand_domain = [r["brand"] for r in queries.products(conn)]
    svgs = {
        "daily": charts.to_svg(
            charts.daily_stacked(daily, "brand", "turnover", t("Daily turnover by brand"), 600, 200, brand_domain),
            "daily",
        ),
        "brands": charts.to_svg(
            charts.share_bars(brands, "brand", t("Brand share of turnover"), 230, brand_domain), "brands"
        ),
        "models": charts.to_svg(
            charts.ranking_bars(models, "label", t("Top {n} models", n=TOP_N), 230, t("Model")), "models"
        ),
        "trend": charts.to_svg(
            charts.monthly_trend(
                trend,
                "turnover",
                t("Turnover, last 13 months"),
                640,
                130,
                month,
                charts.month_slots(trend_start, month),
            ),
            "trend",
        ),
    }
    quality = queries.data_quality(conn)
    for source in quality:
        source["age"] = fmt.age(source["last_loaded_at"], now)
    quarantine = queries.quarantine(conn, month)
    return {
        "lang": l10n.current().code,
        "month": month,
        "month_label": fmt.month_label(month),
        "first_day": fmt.day(month),
        "last_day": fmt.day(last),
        "generated_at": fmt.timestamp(now),
        "version": __version__,
        "summary": summary(row, brands, prev_brands),
        "cards": cards(row),
        "discount": kpis.GRANTED.exact(row["discount"]),
        "granted": {"label": kpis.GRANTED.label(), "formula": t(kpis.GRANTED.formula)},
        "basket": {"label": kpis.BASKET.label(), "formula": t(kpis.BASKET.formula)},
        "brands": brands,
        "models": models,
        "clients": clients,
        "svgs": svgs,
        "quality": quality,
        "quarantine": quarantine,
        "quarantined_total": sum(int(r["quarantined_rows"]) for r in quarantine),
        "catalog_versions": queries.catalog_versions(conn, month),
    }


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
    env.globals["t"] = t
    return env


def render_html(ctx: dict[str, Any]) -> str:
    env = environment()
    css = env.loader.get_source(env, "report.css")[0]  # type: ignore[union-attr]
    return env.get_template("report.html.j2").render(css=css, **ctx)


# --- PDF engines -----------------------------------------------------------------------
# An engine prints an HTML file to a PDF file; `pdf_engine()` picks one once per run, so a
# machine without any says so once, with the command that fixes it.
Engine = Callable[[Path, Path], None]


class NoPdfEngine(RuntimeError):
    """No engine can run here: `reason` says why, `fix` is the command that gives one."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(f"{reason}. Fix: {fix}" if fix else reason)
        self.reason, self.fix = reason, fix


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_engine() -> Engine:
    chromium = find_chromium()
    if chromium is None:
        raise NoPdfEngine("no Chromium found (set CHROMIUM_PATH or install it)", CHROMIUM_FIX)

    def pdf_with_chromium(html: Path, pdf: Path) -> None:
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

    return pdf_with_chromium


def weasyprint_engine() -> Engine:
    try:
        import weasyprint  # type: ignore[import-untyped]
    except ImportError:
        raise NoPdfEngine("WeasyPrint is not installed", "make install") from None
    except OSError as exc:  # cffi could not open pango: a machine without the system libraries
        raise NoPdfEngine(f"WeasyPrint cannot load pango ({exc})", PANGO_FIX) from None

    def pdf_with_weasyprint(html: Path, pdf: Path) -> None:
        # No URL resolves (the HTML has none): a fetcher that refuses keeps it so.
        def refuse(url: str, *_: object, **__: object) -> dict[str, Any]:
            raise ValueError(f"the report may not fetch {url}")

        weasyprint.HTML(filename=str(html), url_fetcher=refuse).write_pdf(str(pdf))

    return pdf_with_weasyprint


ENGINES: dict[str, tuple[Callable[[], Engine], ...]] = {
    "auto": (weasyprint_engine, chromium_engine),
    "weasyprint": (weasyprint_engine,),
    "chromium": (chromium_engine,),
}


def pdf_engine(name: str | None = None) -> Engine:
    """The engine of REPORTS_PDF_ENGINE (auto: WeasyPrint, then Chromium); NoPdfEngine if none runs."""
    name = (name or os.environ.get("REPORTS_PDF_ENGINE") or "auto").lower()
    if name == "none":
        raise NoPdfEngine("REPORTS_PDF_ENGINE=none", "")
    if name not in ENGINES:
        raise NoPdfEngine(f"unknown REPORTS_PDF_ENGINE={name!r} (auto, weasyprint, chromium or none)", "")
    failures: list[NoPdfEngine] = []
    for make in ENGINES[name]:
        try:
            return make()
        except NoPdfEngine as exc:
            failures.append(exc)
    raise NoPdfEngine("; ".join(f.reason for f in failures), failures[0].fix)


def write_pdf(engine: Engine, html: Path, pdf: Path) -> Path | None:
    try:
        engine(html, pdf)
    except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
        log.error("PDF not produced for %s: %s", html.name, exc)
        return None
    return pdf


def generate(
    conn: psycopg.Connection[Any],
    month: date,
    out_dir: Path,
    engine: Engine | None = None,
    now: datetime | None = None,
) -> Output:
    now = now or datetime.now(UTC)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / f"sales-{month:%Y-%m}.html"
    html_path.write_text(render_html(context(conn, month, now)), encoding="utf-8")
    pdf_path = write_pdf(engine, html_path, html_path.with_suffix(".pdf")) if engine else None
    return Output(month, html_path, pdf_path)


# --- command line --------------------------------------------------------------------
def reports_dir(value: str | None) -> Path:
    path = Path(value or os.environ.get("REPORTS_DIR") or "output/reports")
    if not path.is_absolute():
        path = Path(os.environ.get("MELTANO_PROJECT_ROOT", ".")) / path
    return path


def print_summary(out_dir: Path) -> int:
    """What `make demo` ends with: the reports that exist, and once, why PDFs are missing."""
    html = sorted(out_dir.glob("sales-*.html"))
    if not html:
        print(f"No report in {out_dir}: the log above says why.")
        return 1
    missing = [p for p in html if not p.with_suffix(".pdf").exists()]
    kind = "HTML + PDF" if not missing else "HTML only" if len(missing) == len(html) else "HTML, some PDF"
    print(f"Reports ({kind}, {len(html)} months, {html[0].stem[6:]} to {html[-1].stem[6:]}) in {out_dir}:")
    for path in html:
        pdf = path.with_suffix(".pdf")
        print(f"  {path.name}" + (f"  {pdf.name}" if pdf.exists() else ""))
    if missing:
        try:
            pdf_engine()
            print(f"No PDF for {len(missing)} month(s): the log above says why.")
        except NoPdfEngine as exc:
            print(f"No PDF: {exc.reason}." + (f"\n  Fix: {exc.fix}, then run `make demo` again." if exc.fix else ""))
    return 0


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
    listing = sub.add_parser("summary", help="list the reports written, and why a PDF is missing")
    listing.add_argument("--out", help="output folder (default: $REPORTS_DIR or output/reports)")
    args = parser.parse_args(argv)
    preflight.enforce()
    logging.basicConfig(
        level=os.environ.get("REPORTS_LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("weasyprint").setLevel(logging.WARNING)  # its INFO is one line per rendering step
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    out_dir = reports_dir(args.out)
    if args.command == "summary":
        return print_summary(out_dir)
    l10n.use()  # REPORTS_LOCALE, checked before any query
    if args.command == "deliver":
        return delivery.run(args)

    engine: Engine | None = None
    if not args.no_pdf:
        try:
            engine = pdf_engine()
        except NoPdfEngine as exc:  # said once for the whole run, not once per month
            log.warning("HTML only, no PDF: %s", exc)
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
                output = generate(conn, month, out_dir, engine)
            except LookupError as exc:
                log.error("%s", exc)
                failed += 1
                continue
            failed += bool(engine and output.pdf is None)
            log.info("report %s: %s%s", f"{month:%Y-%m}", output.html, f" and {output.pdf.name}" if output.pdf else "")
            print(output.html)
            if output.pdf:
                print(output.pdf)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
