"""Monthly reports on the real pipeline's warehouse: one HTML + PDF per month of the demo data,
every rendered number equal to SQL on the marts, self-contained HTML, PDF layout and text, one
locale per page."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from report_pipeline import Pipeline, need

from infinit_report import fmt, kpis, l10n, monthly, queries
from infinit_report.l10n import t

CHECKED_MONTH = date(2024, 7, 1)  # the last full month of the demo data

# --- expected values, computed on the marts (not on the rpt_* tables the report reads) ---
MONTH_SQL = """
select count(*) as transactions, sum(quantity) as units, sum(turnover) as turnover,
       sum(market_value) as market_value,
       round((sum(market_value) - sum(turnover)) / nullif(sum(market_value), 0), 6) as discount_pct,
       round(sum(turnover) / nullif(count(*), 0), 2) as avg_basket,
       count(distinct client_id) as active_clients,
       (select count(*) from (select client_id, min(sale_month) as first_month
                              from marts.fct_transactions group by client_id) as f
        where first_month = %(month)s) as new_clients
from marts.fct_transactions where sale_month = %(month)s
"""
KPIS = {kpi.key: kpi for kpi in kpis.MONTHLY}


def marts_month(pipeline: Pipeline, month: date) -> dict[str, object]:
    with pipeline.stack.warehouse() as conn:
        conn.row_factory = psycopg.rows.dict_row  # type: ignore[assignment]
        return conn.execute(MONTH_SQL, {"month": month}).fetchone()  # type: ignore[return-value]


def text(value: str) -> str:
    """Rendered text with tags stripped, entities decoded and every kind of space made plain."""
    value = html.unescape(re.sub(r"<[^>]+>", " ", value))
    return re.sub(r"[\s\u00a0\u202f]+", " ", value).strip()


def cards(page: str) -> dict[str, dict[str, str]]:
    found = {}
    for key, body in re.findall(r'<article class="kpi" data-kpi="(\w+)"[^>]*>(.*?)</article>', page, re.S):
        found[key] = {
            "value": text(re.search(r"data-value>(.*?)</p>", body, re.S).group(1)),  # type: ignore[union-attr]
            "mom": text(re.search(r"data-mom>(.*?)</b>", body, re.S).group(1)),  # type: ignore[union-attr]
            "yoy": text(re.search(r"data-yoy>(.*?)</b>", body, re.S).group(1)),  # type: ignore[union-attr]
        }
    return found


def table_rows(page: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table class="rank" id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, f"table {table_id} not found"
    return [
        [text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def change(current: object, previous: object) -> Decimal | None:
    if previous in (None, 0) or current is None:
        return None
    return (Decimal(str(current)) - Decimal(str(previous))) / Decimal(str(previous))


def months_of_data(pipeline: Pipeline) -> list[date]:
    return [r[0] for r in pipeline.query("select distinct sale_month from marts.fct_transactions order by 1")]


def page(pipeline: Pipeline, month: date) -> str:
    return (pipeline.reports / f"sales-{month:%Y-%m}.html").read_text(encoding="utf-8")


# --- tests ---------------------------------------------------------------------------
def test_a_report_for_every_month_of_the_demo_data(pipeline: Pipeline) -> None:
    months = months_of_data(pipeline)
    assert months[0] == date(2023, 1, 1) and len(months) >= 19
    expected = {f"sales-{m:%Y-%m}.html" for m in months}
    assert expected <= {p.name for p in pipeline.reports.glob("*.html")}
    assert {n.replace(".html", ".pdf") for n in expected} <= {p.name for p in pipeline.reports.glob("*.pdf")}


def test_kpis_and_changes_equal_the_marts_for_every_month(pipeline: Pipeline) -> None:
    mismatches = []
    for month in months_of_data(pipeline):
        shown = cards(page(pipeline, month))
        assert set(shown) == set(KPIS), month
        now = marts_month(pipeline, month)
        prev_month = marts_month(pipeline, monthly.previous_month(month))
        prev_year = marts_month(pipeline, month.replace(year=month.year - 1))
        for key, kpi in KPIS.items():
            prev_m = prev_month[key] if prev_month["transactions"] else None
            prev_y = prev_year[key] if prev_year["transactions"] else None
            expected = {
                "value": text(kpi.exact(now[key])),
                "mom": text(kpis.change(kpi, now[key], prev_m).text),  # ratios in points, others in %
                "yoy": text(kpis.change(kpi, now[key], prev_y).text),
            }
            if shown[key] != expected:
                mismatches.append((f"{month:%Y-%m}", key, shown[key], expected))
    assert not mismatches, mismatches[:10]


def test_changes_are_coloured_by_what_is_good_for_the_business(pipeline: Pipeline) -> None:
    report = page(pipeline, CHECKED_MONTH)
    for key, body in re.findall(r'<article class="kpi" data-kpi="(\w+)"[^>]*>(.*?)</article>', report, re.S):
        for tone, shown in re.findall(r'<b class="(\w+)" data-(?:mom|yoy)>(.*?)</b>', body):
            rising = text(shown).startswith("+")
            if tone in ("good", "bad"):
                assert (tone == "good") == (rising == (KPIS[key].good > 0)), (key, tone, shown)
    discount = re.search(r'data-kpi="discount_pct".*?data-mom>(.*?)</b>', report, re.S).group(1)  # type: ignore[union-attr]
    assert text(discount).endswith("pt"), discount  # a ratio moves in points


def test_summary_paragraph_tells_the_month_from_its_numbers(pipeline: Pipeline) -> None:
    report = page(pipeline, CHECKED_MONTH)
    summary = text(re.search(r'<p class="summary" id="summary">(.*?)</p>', report, re.S).group(1))  # type: ignore[union-attr]
    now = marts_month(pipeline, CHECKED_MONTH)
    prev = marts_month(pipeline, date(2024, 6, 1))
    (best,) = pipeline.one(
        """select c.brand from marts.fct_transactions t join marts.dim_cars c using (product_id)
           where t.sale_month = %s group by 1 order by sum(t.turnover) desc limit 1""",
        (CHECKED_MONTH,),
    )
    change = (now["turnover"] - prev["turnover"]) / prev["turnover"]
    for expected in (
        f"En juillet 2024, {now['transactions']} transactions",
        text(fmt.money(now["turnover"])),
        t("up {pct}" if change > 0 else "down {pct}", pct=text(fmt.pct(abs(change)))),
        "juin 2024",
        "juillet 2023",
        f"{best} arrive en tête",
        "Plus forte variation",
    ):
        assert text(expected) in summary, (expected, summary)
    first = text(re.search(r'id="summary">(.*?)</p>', page(pipeline, date(2023, 1, 1)), re.S).group(1))  # type: ignore[union-attr]
    assert t(" (no earlier month to compare with)").strip() in first and "variation" not in first, first


def test_first_month_trend_keeps_thirteen_month_slots(pipeline: Pipeline) -> None:
    """January 2023, the first month, draws one bar in a 13-month axis, not one bar filling it."""
    report = page(pipeline, date(2023, 1, 1))
    trend = re.search(r'id="chart-trend"[^>]*>(.*?)</section>', report, re.S).group(1)  # type: ignore[union-attr]
    labels = [text(label) for label in re.findall(r"<text[^>]*>([^<]*)</text>", trend)]
    months = [fmt.short_month(date(2022 + m // 12, m % 12 + 1, 1)) for m in range(13)]  # Jan 2022 .. Jan 2023
    assert [label for label in labels if label in months] == months, labels


def test_brand_model_and_client_tables_equal_the_marts(pipeline: Pipeline) -> None:
    report = page(pipeline, CHECKED_MONTH)
    total = marts_month(pipeline, CHECKED_MONTH)["turnover"]
    brands = pipeline.query(
        """select c.brand, count(*), sum(t.quantity), sum(t.turnover) from marts.fct_transactions t
           join marts.dim_cars c using (product_id) where t.sale_month = %s group by c.brand
           order by sum(t.turnover) desc""",
        (CHECKED_MONTH,),
    )
    expected_brands = [
        [str(i), b, text(fmt.number(n)), text(fmt.number(u)), text(fmt.money(t)), text(fmt.pct(t / total))]
        for i, (b, n, u, t) in enumerate(brands, 1)
    ]
    assert table_rows(report, "table-brands") == expected_brands

    models = dict(
        ((f"{b} {m}"), t)
        for b, m, t in pipeline.query(
            """select c.brand, c.model, sum(t.turnover) from marts.fct_transactions t
               join marts.dim_cars c using (product_id) where t.sale_month = %s group by 1, 2""",
            (CHECKED_MONTH,),
        )
    )
    shown_models = table_rows(report, "table-models")
    assert len(shown_models) == min(monthly.TOP_N, len(models))
    for row in shown_models:
        assert row[3] == text(fmt.money(models[row[1]])), row
    assert [r[3] for r in shown_models] == [text(fmt.money(t)) for t in sorted(models.values(), reverse=True)[:10]]

    clients = pipeline.query(
        """select d.client_name, sum(t.turnover) from marts.fct_transactions t
           join marts.dim_clients d using (client_id) where t.sale_month = %s group by 1""",
        (CHECKED_MONTH,),
    )
    by_name = dict(clients)
    shown_clients = table_rows(report, "table-clients")
    assert len(shown_clients) == min(monthly.TOP_N, len(clients))
    for row in shown_clients:
        assert row[5] == text(fmt.money(by_name[row[1]])), row
    top = sorted((t for _, t in clients), reverse=True)[: monthly.TOP_N]
    assert [r[5] for r in shown_clients] == [text(fmt.money(t)) for t in top]


def test_data_quality_footer_equals_the_warehouse(pipeline: Pipeline) -> None:
    report = page(pipeline, CHECKED_MONTH)
    (quarantined,) = pipeline.one(
        "select coalesce(sum(quarantined_rows), 0) from reports.rpt_quarantine_monthly where month = %s",
        (CHECKED_MONTH,),
    )
    footer = text(re.search(r'id="quarantine-total">(.*?)</p>', report, re.S).group(1))  # type: ignore[union-attr]
    assert footer.startswith(
        text(t("Rows quarantined for {month}:", month="juillet 2024")) + f" {text(fmt.number(quarantined))}"
    )
    quality = pipeline.query("select source, rows_loaded, rows_current, last_loaded_at from reports.rpt_data_quality")
    shown = {row[0]: row for row in table_rows(report, "table-quality")}
    assert set(shown) == {q[0] for q in quality} >= {"cars", "clients", "transactions"}
    for source, loaded, current, last in quality:
        assert shown[source][1:3] == [text(fmt.number(loaded)), text(fmt.number(current))]
        assert shown[source][4] == fmt.timestamp(last)
    assert shown["transactions"][2] == text(fmt.number(pipeline.one("select count(*) from marts.fct_transactions")[0]))


EXTERNAL = re.compile(
    r"""\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)


def test_html_is_self_contained(pipeline: Pipeline) -> None:
    for path in sorted(pipeline.reports.glob("*.html")):
        content = path.read_text(encoding="utf-8")
        assert not EXTERNAL.search(content), f"{path.name}: {EXTERNAL.search(content)}"
        assert "<script" not in content and "<link" not in content, path.name
        assert content.count("<svg") == 4, path.name  # daily, brands, models, trend: inline


def pdf_text(path: Path, *args: str) -> str:
    return subprocess.run([need("pdftotext"), *args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_a_pdf_for_every_month_by_weasyprint(pipeline: Pipeline) -> None:
    """The default engine comes with the package: no browser needed for the PDFs."""
    pdfinfo = need("pdfinfo")
    months = months_of_data(pipeline)
    assert {f"sales-{m:%Y-%m}.pdf" for m in months} <= {p.name for p in pipeline.reports.glob("*.pdf")}
    info = subprocess.run([pdfinfo, str(pipeline.reports / "sales-2024-07.pdf")], capture_output=True, text=True)
    assert "WeasyPrint" in info.stdout, info.stdout


def test_pdf_pages_and_text(pipeline: Pipeline) -> None:
    pdfinfo = need("pdfinfo")
    pdf = pipeline.reports / f"sales-{CHECKED_MONTH:%Y-%m}.pdf"
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert pages == 2, info
    assert "A4" in info or "595" in info, info
    content = text(pdf_text(pdf, "-layout"))
    now = marts_month(pipeline, CHECKED_MONTH)
    for expected in (
        "juillet 2024",
        t("Sales from {first} to {last} (Europe/Paris) · generated {generated}", first="01/07/2024",
          last="31/07/2024", generated="").rsplit("·", 1)[0].strip(),
        text(fmt.money(now["turnover"])),
        text(fmt.number(now["transactions"])),
        text(fmt.money(now["avg_basket"])),
        t("Daily turnover by brand"),
        t("Top clients"),
        t("Data quality"),
        text(t("Rows quarantined for {month}:", month="juillet 2024")),
    ):  # fmt: skip
        assert text(expected) in content, expected
    top_client = pipeline.one(
        """select d.client_name from marts.fct_transactions t join marts.dim_clients d using (client_id)
           where t.sale_month = %s group by 1 order by sum(t.turnover) desc limit 1""",
        (CHECKED_MONTH,),
    )[0]
    assert top_client in content
    # every month's PDF has the month's name on its first page
    for path in sorted(pipeline.reports.glob("*.pdf")):
        month = date.fromisoformat(path.stem.removeprefix("sales-") + "-01")
        assert fmt.month_label(month) in pdf_text(path, "-l", "1"), path.name


def test_no_pdf_page_is_near_empty(pipeline: Pipeline) -> None:
    """Every page's content reaches at least half its height (page 3 once held one small table)."""
    for month in (date(2023, 1, 1), CHECKED_MONTH):
        boxes = pdf_text(pipeline.reports / f"sales-{month:%Y-%m}.pdf", "-bbox")
        for number, body in enumerate(re.findall(r"<page (.*?)</page>", boxes, re.S), 1):
            height = float(re.search(r'height="([\d.]+)"', body).group(1))  # type: ignore[union-attr]
            lowest = max(float(y) for y in re.findall(r'yMax="([\d.]+)"', body))
            assert lowest / height > 0.5, f"{month:%Y-%m} page {number} ends at {lowest / height:.0%} of its height"


def test_no_page_mixes_two_locales(pipeline: Pipeline, reader_environ: dict[str, str], tmp_path: Path) -> None:
    """The same month rendered in English and in French: each page holds its own locale's numbers,
    months and words only, chart axes and tooltips included."""
    french_number = re.compile(r"\d \d{3}(?: \d{3})*,\d\d")  # text() made the no-break spaces plain
    english_number = re.compile(r"\d,\d{3}(?:,\d{3})*\.\d\d")
    pages = {}
    for code in ("en", "fr"):
        l10n.use(code)
        with queries.connect() as conn:
            html_path = monthly.generate(conn, CHECKED_MONTH, tmp_path / code).html
        pages[code] = text(html_path.read_text(encoding="utf-8"))  # what a reader sees: no SVG path data
    l10n.use("fr")
    en, fr = pages["en"], pages["fr"]
    assert english_number.search(en) and not french_number.search(en)
    assert french_number.search(fr) and not english_number.search(fr)
    assert "July 2024" in en and "juillet" not in en and "juil." not in en
    assert "juillet 2024" in fr and "July" not in fr and re.search(r">Jul \d{4}<", fr) is None
    assert (
        'lang="en"' in (tmp_path / "en" / "sales-2024-07.html").read_text()
        and 'lang="fr"' in (tmp_path / "fr" / "sales-2024-07.html").read_text()
    )
    for english_word in ("Turnover", "Top clients", "Data quality", "Daily turnover by brand", "Sales report"):
        assert english_word in en and english_word not in fr, english_word
    # chart axes: the 13-month trend's labels are short months of the page's locale
    assert "juil. 2024" in fr and "Jul 2024" in en


def test_default_month_is_the_latest_complete_one(pipeline: Pipeline, tmp_path: Path) -> None:
    (expected,) = pipeline.one(
        """select max(sale_month) from marts.fct_transactions
           where sale_month < date_trunc('month', now() at time zone 'Europe/Paris')"""
    )
    result = pipeline.stack.meltano("invoke", "reports", "monthly", "--no-pdf", env={"REPORTS_DIR": str(tmp_path)})
    assert [p.name for p in tmp_path.iterdir()] == [f"sales-{expected:%Y-%m}.html"]
    assert str(tmp_path / f"sales-{expected:%Y-%m}.html") in result.stdout


def test_without_a_pdf_engine_the_run_and_the_summary_say_so_once(pipeline: Pipeline, tmp_path: Path) -> None:
    """A machine where no engine runs (here: Chromium asked for and absent) gets every HTML, one
    warning for the whole run, and a closing summary that lists only the files there, with the fix."""
    env = {
        "REPORTS_DIR": str(tmp_path),
        "REPORTS_PDF_ENGINE": "chromium",
        "CHROMIUM_PATH": str(tmp_path / "no-chromium"),
    }
    result = pipeline.stack.meltano("run", "reports:all", env=env)
    log = result.stdout + result.stderr
    assert log.count("no Chromium found") == 1, log
    assert monthly.CHROMIUM_FIX in log
    months = months_of_data(pipeline)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"sales-{m:%Y-%m}.html" for m in months)
    summary = pipeline.stack.python("-m", "infinit_report.monthly", "summary", env=env).stdout
    assert summary.startswith(f"Reports (HTML only, {len(months)} months, 2023-01 to "), summary
    assert ".pdf" not in summary and summary.count("No PDF") == 1, summary
    assert f"Fix: {monthly.CHROMIUM_FIX}" in summary, summary


def test_reader_session_is_read_only(pipeline: Pipeline, reader_environ: dict[str, str]) -> None:
    (raw_table,) = pipeline.one("select table_name from information_schema.tables where table_schema = 'raw' limit 1")
    with queries.connect() as conn:
        assert conn.execute("show default_transaction_read_only").fetchone()["default_transaction_read_only"] == "on"
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("create table reports.must_not_exist (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'select 1 from raw."{raw_table}" limit 1')
