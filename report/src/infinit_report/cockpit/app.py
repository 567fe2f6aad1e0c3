"""INFINIT sales cockpit (Streamlit): the "Daily cockpit" and "Monthly analysis" pages of the
original Looker Studio dashboard, on the warehouse's `reports` schema.

Every figure comes from `infinit_report.queries`, the module the monthly reports use, through
the read-only reader role; results are cached (TTL COCKPIT_CACHE_TTL seconds, bounded entries).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

import streamlit as st

from infinit_report import charts, fmt, queries
from infinit_report.cockpit import auth

TTL = int(os.environ.get("COCKPIT_CACHE_TTL", "300"))
PAGES = ("Daily cockpit", "Monthly analysis")


@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def fetch(query: str, *args: Any) -> Any:
    """Run `queries.<query>(conn, *args)`; arguments are hashable (tuples), so they key the cache."""
    with queries.connect() as conn:
        return getattr(queries, query)(conn, *args)


def streamlit_delta(fraction: Any) -> str | None:
    """Streamlit colours a delta red when its text starts with an ASCII minus."""
    return None if fraction is None else fmt.signed_pct(fraction).replace(fmt.MINUS, "-")


def sidebar_header() -> str:
    st.sidebar.markdown("## ∞ INFINIT")
    return str(st.sidebar.radio("Page", PAGES, key="page"))


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


def daily_page() -> None:
    bounds = fetch("daily_bounds")
    if bounds["first_day"] is None:
        st.warning("No sales in the warehouse yet: run the pipeline (see docs/reports.md).")
        return
    first_day, last_day = bounds["first_day"], bounds["last_day"]
    side = st.sidebar
    side.markdown("### Transaction date")
    picked = side.date_input(
        "Transaction date",
        value=default_range(first_day, last_day),
        min_value=first_day,
        max_value=last_day,
        format="DD/MM/YYYY",
        key="date_range",
        label_visibility="collapsed",
    )
    days = tuple(picked) if isinstance(picked, list | tuple) else (picked,)
    start: date = days[0] if days else first_day
    end: date = days[1] if len(days) > 1 else start

    products = fetch("products")
    side.markdown("### Cars")
    brands = side.multiselect("Brand", sorted({p["brand"] for p in products}), key="brand", placeholder="All brands")
    shown = [p for p in products if not brands or p["brand"] in brands]
    labels = {p["product_id"]: f"{p['brand']} {p['model']}" for p in shown}
    models = side.multiselect("Model", list(labels), format_func=labels.get, key="model", placeholder="All models")
    side.markdown("### Clients")
    names = {c["client_id"]: c["client_name"] for c in fetch("clients")}
    client_ids = side.multiselect(
        "Client name", list(names), format_func=names.get, key="client", placeholder="All clients"
    )

    filters = (start, end, tuple(brands) or None, tuple(models) or None, tuple(client_ids) or None)
    kpis = fetch("daily_kpis", *filters)
    st.title("INFINIT · Sales analysis")
    st.caption(f"{fmt.day(start)} to {fmt.day(end)} (Europe/Paris days)")
    cards = st.columns(3)
    cards[0].metric("Transactions", fmt.number(kpis["transactions"]), border=True)
    cards[1].metric("Products sold", fmt.number(kpis["units"]), border=True)
    cards[2].metric("Turnover", fmt.money(kpis["turnover"]), border=True)

    rows = fetch("daily_sales", *filters)
    st.subheader("Daily evolution: brands and models")
    if not rows:
        st.info("No sale matches these filters.")
        return
    brand_domain = sorted({p["brand"] for p in products})
    model_domain = sorted({p["model"] for p in products})
    st.altair_chart(
        charts.daily_stacked(rows, "brand", "turnover", "Turnover by brand", "container", 300, brand_domain),
        width="stretch",
        key="chart_brand",
    )
    st.altair_chart(
        charts.daily_stacked(rows, "model", "turnover", "Turnover by model", "container", 300, model_domain),
        width="stretch",
        key="chart_model",
    )
    with st.expander("Daily figures"):
        st.dataframe(
            [
                {
                    "Day": fmt.day(r["sale_date"]),
                    "Brand": r["brand"],
                    "Model": r["model"],
                    "Transactions": r["transactions"],
                    "Cars": r["units"],
                    "Turnover (€)": float(r["turnover"]),
                }
                for r in rows
            ],
            hide_index=True,
            width="stretch",
        )


# --- Monthly analysis ----------------------------------------------------------------
MONTHLY_KPIS = (
    ("transactions", "Transactions", fmt.number),
    ("units", "Cars sold", fmt.number),
    ("turnover", "Turnover", fmt.money),
    ("market_value", "Market value", fmt.money),
    ("discount_pct", "Average discount", fmt.pct),
    ("avg_basket", "Average basket", fmt.money),
    ("active_clients", "Active clients", fmt.number),
    ("new_clients", "New clients", fmt.number),
)


def ranking_table(rows: list[dict[str, Any]], label: str, columns: tuple[str, ...]) -> None:
    st.dataframe(
        [
            {
                "#": r["turnover_rank"],
                label: r["_label"],
                **{
                    name: fmt.number(r[key])
                    for key, name in (("transactions", "Transactions"), ("units", "Cars"))
                    if key in columns
                },
                "Turnover": fmt.money(r["turnover"]),
                "Share": fmt.pct(r["turnover_share"]),
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
    )


def monthly_page() -> None:
    months = fetch("months")
    if not months:
        st.warning("No sales in the warehouse yet: run the pipeline (see docs/reports.md).")
        return
    options = list(reversed(months))
    # Open on the month the Daily cockpit opens on: the latest one the data covers completely.
    bounds = fetch("daily_bounds")
    opening = default_range(bounds["first_day"], bounds["last_day"])[0].replace(day=1)
    month = st.sidebar.selectbox(
        "Month",
        options,
        index=options.index(opening) if opening in options else 0,
        format_func=fmt.month_label,
        key="month",
    )
    kpis = fetch("monthly_kpis", month)
    st.title(f"Monthly analysis · {fmt.month_label(month)}")
    st.caption("Change vs the previous month; the same month a year before in the help of each card.")
    for offset in (0, 4):
        cols = st.columns(4)
        for col, (key, label, formatter) in zip(cols, MONTHLY_KPIS[offset : offset + 4], strict=True):
            col.metric(
                label,
                formatter(kpis[key]),
                delta=streamlit_delta(kpis[f"{key}_mom_pct"]),
                help=f"Previous month {formatter(kpis[f'{key}_prev_month'])}; "
                f"a year before {formatter(kpis[f'{key}_prev_year'])} ({fmt.signed_pct(kpis[f'{key}_yoy_pct'])})",
                border=True,
            )

    st.subheader("Trends")
    series = fetch("monthly_series", None, None)
    left, right = st.columns(2)
    left.altair_chart(
        charts.monthly_trend(series, "turnover", "Turnover per month", "container", 220, month),
        width="stretch",
        key="trend_turnover",
    )
    right.altair_chart(
        charts.monthly_trend(series, "units", "Cars sold per month", "container", 220, month),
        width="stretch",
        key="trend_units",
    )

    st.subheader("Rankings")
    brands = fetch("brand_ranking", month, None)
    models = fetch("model_ranking", month, None)
    clients = fetch("client_ranking", month, None)
    for r in brands:
        r["_label"] = r["brand"]
    for r in models:
        r["_label"] = f"{r['brand']} {r['model']}"
    for r in clients:
        r["_label"] = r["client_name"]
    tabs = st.tabs(["Brands", "Models", "Clients"])
    with tabs[0]:
        st.altair_chart(
            charts.share_bars(brands, "brand", "Brand share of turnover", "container", [r["brand"] for r in brands]),
            width="stretch",
            key="share_brands",
        )
        ranking_table(brands, "Brand", ("transactions", "units"))
    with tabs[1]:
        ranking_table(models, "Model", ("transactions", "units"))
    with tabs[2]:
        ranking_table(clients, "Client", ("transactions", "units"))


def main() -> None:
    st.set_page_config(page_title="INFINIT sales cockpit", page_icon="∞", layout="wide")
    auth.require_login()  # off-loopback: nothing below runs before a login
    page = sidebar_header()
    if page == PAGES[0]:
        daily_page()
    else:
        monthly_page()


main()
