"""INFINIT sales cockpit (Streamlit): the "Daily cockpit" and "Monthly analysis" pages of the
original Looker Studio dashboard, on the warehouse's `reports` schema.

Every figure comes from `infinit_report.queries`, the module the monthly reports use, through
the read-only reader role; results are cached (TTL COCKPIT_CACHE_TTL seconds, bounded entries).
The KPIs are those of `infinit_report.kpis`, in the deployment's locale (REPORTS_LOCALE).
The page and its filters live in the URL (st.query_params): a view can be bookmarked and shared.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from infinit_report import charts, fmt, kpis, l10n, queries
from infinit_report.cockpit import auth
from infinit_report.l10n import t

TTL = int(os.environ.get("COCKPIT_CACHE_TTL", "300"))
PAGES = {"daily": "Daily cockpit", "monthly": "Monthly analysis"}
GRAINS = {"day": "Day", "week": "Week", "month": "Month"}
DAILY_BARS_UP_TO = 62  # days: beyond about two months, bars per week or month

CSS = """<style>
.kpi-grid { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: .75rem; margin-bottom: 1rem; }
.kpi-card { border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; padding: .6rem .8rem; min-width: 0; }
.kpi-label { font-size: .85rem; color: rgba(49, 51, 63, .75); white-space: nowrap; overflow: hidden;
             text-overflow: ellipsis; cursor: help; }
.kpi-value { font-size: 1.75rem; font-weight: 600; line-height: 1.25; white-space: nowrap; overflow: hidden;
             text-overflow: ellipsis; cursor: help; }
.kpi-note { font-size: .72rem; color: rgba(49, 51, 63, .65); line-height: 1.2; }
.kpi-delta { font-size: .8rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.kpi-delta .vs { color: rgba(49, 51, 63, .65); cursor: help; }
.kpi-delta .good { color: #1a7f37; font-weight: 600; } .kpi-delta .bad { color: #c0392b; font-weight: 600; }
.kpi-delta .flat, .kpi-delta .none { color: rgba(49, 51, 63, .65); font-weight: 600; }
</style>"""


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def fetch(query: str, *args: Any) -> Any:
    """Run `queries.<query>(conn, *args)`; arguments are hashable (tuples), so they key the cache."""
    with queries.connect() as conn:
        return getattr(queries, query)(conn, *args)


# --- URL state -----------------------------------------------------------------------
def from_url(name: str, parse: Callable[[str], Any], default: Any) -> Any:
    """A query parameter parsed, or `default` when absent or malformed (a hand-edited link)."""
    try:
        return parse(st.query_params[name]) if name in st.query_params else default
    except (ValueError, KeyError):
        return default


def list_from_url(name: str, allowed: Sequence[Any], parse: Callable[[str], Any] = str) -> list[Any]:
    values = []
    for text in st.query_params.get_all(name):
        try:
            value = parse(text)
        except ValueError:
            continue
        if value in allowed and value not in values:
            values.append(value)
    return values


def init(key: str, value: Callable[[], Any]) -> None:
    """A widget's first value from the URL; Streamlit forgets a widget's state while its page is
    not shown, so coming back to a page reads the URL again, which still holds its filters."""
    if key not in st.session_state:
        st.session_state[key] = value()


def to_url(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if value in (None, [], ()):
            st.query_params.pop(name, None)
        elif isinstance(value, list | tuple):
            st.query_params[name] = [str(v) for v in value]
        else:
            st.query_params[name] = str(value)


# --- shared widgets ------------------------------------------------------------------
def kpi_card(kpi: kpis.Kpi, value: Any, previous: Sequence[tuple[str, Any]]) -> str:
    """One card: the short value (exact one on hover), and its change vs each (label, previous value)."""
    lines = [
        f'<div class="kpi-label" title="{html.escape(t(kpi.formula))}">{html.escape(kpi.label())}</div>',
        f'<div class="kpi-value" title="{html.escape(t("Exact value: {value}", value=kpi.exact(value)))}">'
        f"{html.escape(kpi.short(value))}</div>",
    ]
    if kpi.note:
        lines.append(f'<div class="kpi-note">{html.escape(t(kpi.note))}</div>')
    for label, before in previous:
        change = kpis.change(kpi, value, before)
        lines.append(
            f'<div class="kpi-delta"><span class="{change.tone}">{html.escape(change.text)}</span> '
            f'<span class="vs" title="{html.escape(kpi.exact(before))}">{html.escape(label)}</span></div>'
        )
    return f'<div class="kpi-card" data-kpi="{kpi.key}">{"".join(lines)}</div>'


def kpi_cards(cards: Sequence[str]) -> None:
    st.markdown(CSS + f'<div class="kpi-grid">{"".join(cards)}</div>', unsafe_allow_html=True)


def kpi_columns() -> list[tuple[str, str, str]]:
    """A sales table's KPI columns for number_table, their kind the KPI's unit (cars: a short title)."""
    sales = (kpis.TRANSACTIONS, kpis.UNITS, kpis.TURNOVER)
    return [(kpi.key, t("Cars") if kpi is kpis.UNITS else kpi.label(), kpi.unit) for kpi in sales]


def number_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]], key: str) -> None:
    """A table whose number columns stay numbers (sorted as numbers, right-aligned, plain in the
    CSV download), shown in the locale's format. columns: (row key, title, kind), kind one of
    text, day, count, money, ratio."""
    formats = {"count": fmt.number, "money": fmt.money, "ratio": fmt.pct}
    frame = pd.DataFrame(
        [{title: float(r[k]) if isinstance(r[k], Decimal) else r[k] for k, title, _ in columns} for r in rows],
        columns=[title for _, title, _ in columns],
    )
    numeric = {title: formats[kind] for _, title, kind in columns if kind in formats}
    styled = frame.style.format({title: (lambda v, f=f: f(Decimal(str(v)))) for title, f in numeric.items()})
    config: dict[str, Any] = {title: st.column_config.NumberColumn(title, alignment="right") for title in numeric}
    for _, title, kind in columns:
        if kind == "day":
            config[title] = st.column_config.DateColumn(title, format=l10n.current().moment_day)
    st.dataframe(styled, hide_index=True, width="stretch", column_config=config, key=key)


# --- Daily cockpit -------------------------------------------------------------------
def default_range(first_day: date, last_day: date) -> tuple[date, date]:
    """The latest calendar month the data covers completely (as the original dashboard opened on
    July 2024); the month of the last sale when the data spans less than that."""
    month = last_day.replace(day=1)
    if (last_day + timedelta(days=1)).month == last_day.month:  # last month not over yet
        month = (month - timedelta(days=1)).replace(day=1)
    if month < first_day:
        return first_day, last_day
    return month, (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def year_before(day: date) -> date:
    return day.replace(year=day.year - 1) if (day.month, day.day) != (2, 29) else day.replace(year=day.year - 1, day=28)


def grains_for(days: int) -> list[str]:
    """Bars per day up to about two months; beyond, per week or month (daily bars of a long
    range are too thin to read)."""
    return list(GRAINS) if days <= DAILY_BARS_UP_TO else ["week", "month"]


def daily_filters(products: list[dict[str, Any]], first_day: date, last_day: date) -> tuple[Any, ...]:
    side = st.sidebar
    names = {c["client_id"]: c["client_name"] for c in fetch("clients")}
    brands_all = sorted({p["brand"] for p in products})

    def url_range() -> tuple[date, date]:
        start, end = default_range(first_day, last_day)
        start = from_url("from", date.fromisoformat, start)
        end = from_url("to", date.fromisoformat, end)
        start, end = max(first_day, min(start, last_day)), max(first_day, min(end, last_day))
        return (start, end) if start <= end else (end, start)

    init("date_range", url_range)
    init("brand", lambda: list_from_url("brand", brands_all))
    side.markdown(f"### {t('Transaction date')}")
    picked = side.date_input(
        t("Transaction date"),
        min_value=first_day,
        max_value=last_day,
        format="DD/MM/YYYY",
        key="date_range",
        label_visibility="collapsed",
    )
    days = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
    start: date = days[0] if days else first_day
    end: date = days[1] if len(days) > 1 else start

    side.markdown(f"### {t('Cars')}")
    brands = side.multiselect(t("Brand"), brands_all, key="brand", placeholder=t("All brands"))
    shown = [p for p in products if not brands or p["brand"] in brands]
    labels = {p["product_id"]: f"{p['brand']} {p['model']}" for p in shown}
    init("model", lambda: list_from_url("model", list(labels), int))
    st.session_state["model"] = [m for m in st.session_state["model"] if m in labels]
    models = side.multiselect(
        t("Model"), list(labels), format_func=labels.get, key="model", placeholder=t("All models")
    )
    side.markdown(f"### {t('Clients')}")
    init("client", lambda: list_from_url("client", list(names), int))
    client_ids = side.multiselect(
        t("Client name"), list(names), format_func=names.get, key="client", placeholder=t("All clients")
    )
    to_url({"from": start, "to": end, "brand": brands, "model": models, "client": client_ids})
    return start, end, tuple(brands) or None, tuple(models) or None, tuple(client_ids) or None


def daily_page() -> None:
    bounds = fetch("daily_bounds")
    if bounds["first_day"] is None:
        st.warning(t("No sales in the warehouse yet: run the pipeline (see docs/reports.md)."))
        return
    products = fetch("products")
    filters = daily_filters(products, bounds["first_day"], bounds["last_day"])
    start, end, rest = filters[0], filters[1], filters[2:]
    length = (end - start).days + 1
    prev_start, prev_end = start - timedelta(days=length), start - timedelta(days=1)
    year_start, year_end = year_before(start), year_before(end)

    st.title(t("INFINIT · Sales analysis"))
    st.caption(
        t("{start} to {end} (Europe/Paris days), {days} days.", start=fmt.day(start), end=fmt.day(end), days=length)
        + " "
        + t(
            "Compared with {prev_start} to {prev_end} and with {year_start} to {year_end}.",
            prev_start=fmt.day(prev_start),
            prev_end=fmt.day(prev_end),
            year_start=fmt.day(year_start),
            year_end=fmt.day(year_end),
        )
    )
    now, before, year = (
        kpis.derive(fetch("daily_kpis", a, b, *rest))
        for a, b in ((start, end), (prev_start, prev_end), (year_start, year_end))
    )
    kpi_cards(
        [
            kpi_card(
                kpi, now[kpi.key], [(t("vs previous period"), before[kpi.key]), (t("vs a year before"), year[kpi.key])]
            )
            for kpi in kpis.DAILY
        ]
    )

    rows = fetch("daily_sales", *filters)
    st.subheader(t("Evolution: brands and models"))
    if not rows:
        st.info(t("No sale matches these filters."))
        return
    grains = grains_for(length)
    init("grain", lambda: from_url("grain", str, grains[0]))
    if st.session_state["grain"] not in grains:
        st.session_state["grain"] = grains[0]
    grain = st.radio(t("Bars per"), grains, format_func=lambda g: t(GRAINS[g]), key="grain", horizontal=True)
    to_url({"grain": grain})
    for row in rows:  # a model's colour and legend entry name its brand too: `Peugeot 208`
        row["car"] = f"{row['brand']} {row['model']}"
    cars = sorted(f"{p['brand']} {p['model']}" for p in products)
    for colour, title, key, domain in (
        ("brand", "Turnover by brand", "chart_brand", sorted({p["brand"] for p in products})),
        ("car", "Turnover by model", "chart_model", cars),
    ):
        st.altair_chart(
            charts.themed(charts.daily_stacked(rows, colour, "turnover", t(title), "container", 320, domain, grain)),
            width="stretch",
            key=key,
        )
    with st.expander(t("Daily figures")):
        number_table(
            rows,
            (
                ("sale_date", t("Day"), "day"),
                ("brand", t("Brand"), "text"),
                ("model", t("Model"), "text"),
                *kpi_columns(),
            ),
            "daily_table",
        )


# --- Monthly analysis ----------------------------------------------------------------
def monthly_page() -> None:
    months = fetch("months")
    if not months:
        st.warning(t("No sales in the warehouse yet: run the pipeline (see docs/reports.md)."))
        return
    options = list(reversed(months))
    # Open on the month the Daily cockpit opens on: the latest one the data covers completely.
    bounds = fetch("daily_bounds")
    opening = default_range(bounds["first_day"], bounds["last_day"])[0].replace(day=1)
    init("month", lambda: from_url("month", lambda v: date.fromisoformat(v + "-01"), opening))
    if st.session_state["month"] not in options:
        st.session_state["month"] = opening if opening in options else options[0]
    month = st.sidebar.selectbox(t("Month"), options, format_func=fmt.month_label, key="month")
    to_url({"month": f"{month:%Y-%m}"})
    row = fetch("monthly_kpis", month)
    st.title(t("Monthly analysis · {month}", month=fmt.month_label(month)))
    st.caption(t("Compared with the previous month and the same month a year before."))
    prev_label = t("vs {period}", period=fmt.short_month((month - timedelta(days=1)).replace(day=1)))
    year_label = t("vs {period}", period=fmt.short_month(month.replace(year=month.year - 1)))
    kpi_cards(
        [
            kpi_card(
                kpi,
                row[kpi.key],
                [(prev_label, row[f"{kpi.key}_prev_month"]), (year_label, row[f"{kpi.key}_prev_year"])],
            )
            for kpi in kpis.MONTHLY
        ]
    )

    st.subheader(t("Trends"))
    series = fetch("monthly_series", None, None)
    slots = charts.month_slots(months[0], months[-1])
    left, right = st.columns(2)
    for column, value, title in ((left, "turnover", "Turnover per month"), (right, "units", "Cars sold per month")):
        column.altair_chart(
            charts.themed(charts.monthly_trend(series, value, t(title), "container", 280, month, slots)),
            width="stretch",
            key=f"trend_{value}",
        )

    st.subheader(t("Rankings"))
    brands = fetch("brand_ranking", month, None)
    models = fetch("model_ranking", month, None)
    clients = fetch("client_ranking", month, None)
    for r in models:
        r["label"] = f"{r['brand']} {r['model']}"
    figures = (
        *kpi_columns(),
        ("turnover_share", t("Share"), "ratio"),
    )
    tabs = st.tabs([t("Brands"), t("Models"), t("Clients")])
    with tabs[0]:
        st.altair_chart(
            charts.themed(
                charts.share_bars(
                    brands, "brand", t("Brand share of turnover"), "container", [r["brand"] for r in brands]
                )
            ),
            width="stretch",
            key="share_brands",
        )
        number_table(brands, (("turnover_rank", t("Rank"), "count"), ("brand", t("Brand"), "text"), *figures), "brands")
    with tabs[1]:
        number_table(models, (("turnover_rank", t("Rank"), "count"), ("label", t("Model"), "text"), *figures), "models")
    with tabs[2]:
        number_table(
            clients, (("turnover_rank", t("Rank"), "count"), ("client_name", t("Client"), "text"), *figures), "clients"
        )


def main() -> None:
    l10n.use()  # REPORTS_LOCALE: one locale for the whole deployment
    st.set_page_config(page_title=t("INFINIT sales cockpit"), page_icon="∞", layout="wide")
    auth.require_login()  # off-loopback: nothing below runs before a login
    st.sidebar.markdown("## ∞ INFINIT")
    init("page", lambda: from_url("page", lambda v: v if v in PAGES else "daily", "daily"))
    page = st.sidebar.radio(t("Page"), list(PAGES), format_func=lambda p: t(PAGES[p]), key="page")
    to_url({"page": page})
    if page == "daily":
        daily_page()
    else:
        monthly_page()


main()
