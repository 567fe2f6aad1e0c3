"""Altair charts shared by the monthly report (rendered to SVG offline by vl-convert) and the
cockpit (rendered in the browser by Streamlit's bundled Vega), so both look alike."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import altair as alt
import vl_convert

# The fr-FR d3 locales: `1 234,5` on axes and `juil. 2024` on time axes.
FORMAT_LOCALE = "fr-FR"
TIME_LOCALE = "fr-FR"
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
# Tableau 10: stable colour per brand, whatever subset the filters leave.
PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def plain(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """JSON-ready copies of query rows: Decimal → float, date → ISO string."""
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, Decimal):
                value = float(value)
            elif isinstance(value, date):
                value = value.isoformat()
            clean[key] = value
        out.append(clean)
    return out


def colour_scale(domain: Sequence[str]) -> alt.Scale:
    ordered = sorted(set(domain))
    return alt.Scale(domain=ordered, range=[PALETTE[i % len(PALETTE)] for i in range(len(ordered))])


def _base(rows: Iterable[dict[str, Any]]) -> alt.Chart:
    return alt.Chart(alt.Data(values=plain(rows)))


def daily_stacked(
    rows: Sequence[dict[str, Any]],
    colour: str = "brand",
    value: str = "turnover",
    title: str = "",
    width: int | str = 640,
    height: int = 240,
    domain: Sequence[str] | None = None,
) -> alt.Chart:
    """Daily bars stacked by `colour` (brand or model): the Daily cockpit's main chart."""
    label = {"turnover": "Turnover (€)", "units": "Cars sold", "transactions": "Transactions"}[value]
    return (
        _base(rows)
        .mark_bar()
        .encode(
            x=alt.X(
                "sale_date:T",
                timeUnit="yearmonthdate",
                title=None,
                axis=alt.Axis(format="%d %b", labelAngle=-45, tickCount="day"),
            ),
            y=alt.Y(f"sum({value}):Q", title=label, axis=alt.Axis(format="~s")),
            color=alt.Color(
                f"{colour}:N",
                title=colour.capitalize(),
                scale=colour_scale(domain or [r[colour] for r in rows]),
                legend=alt.Legend(orient="top", columns=6),
            ),
            order=alt.Order(f"{colour}:N"),
            tooltip=[
                alt.Tooltip("sale_date:T", title="Day", format="%d/%m/%Y"),
                alt.Tooltip(f"{colour}:N"),
                alt.Tooltip(f"sum({value}):Q", title=label, format=",.2f"),
            ],
        )
        .properties(title=title, width=width, height=height)
    )


def share_bars(
    rows: Sequence[dict[str, Any]],
    label: str,
    title: str = "",
    width: int | str = 300,
    colour_domain: Sequence[str] | None = None,
) -> alt.Chart:
    """Horizontal bars of turnover share, biggest first, with the share printed at the bar's end."""
    base = _base(rows).encode(
        y=alt.Y(f"{label}:N", sort="-x", title=None),
        x=alt.X("turnover_share:Q", title="Share of turnover", axis=alt.Axis(format=".0%")),
    )
    colour = (
        alt.Color(f"{label}:N", scale=colour_scale(colour_domain), legend=None)
        if colour_domain
        else alt.value(PALETTE[0])
    )
    bars = base.mark_bar().encode(color=colour, tooltip=[f"{label}:N", alt.Tooltip("turnover_share:Q", format=".1%")])
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text=alt.Text("turnover_share:Q", format=".1%"))
    return (bars + text).properties(title=title, width=width, height=alt.Step(18))


def ranking_bars(rows: Sequence[dict[str, Any]], label: str, title: str = "", width: int | str = 300) -> alt.Chart:
    """Horizontal bars of turnover (top models, top clients)."""
    return (
        _base(rows)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X("turnover:Q", title="Turnover (€)", axis=alt.Axis(format="~s")),
            tooltip=[f"{label}:N", alt.Tooltip("turnover:Q", format=",.2f")],
        )
        .properties(title=title, width=width, height=alt.Step(18))
    )


def monthly_trend(
    rows: Sequence[dict[str, Any]],
    value: str = "turnover",
    title: str = "",
    width: int | str = 640,
    height: int = 180,
    highlight: date | None = None,
) -> alt.Chart:
    """Monthly bars of one KPI; the reported month (`highlight`) stands out."""
    label = {
        "turnover": "Turnover (€)",
        "units": "Cars sold",
        "transactions": "Transactions",
        "active_clients": "Active clients",
        "avg_basket": "Average basket (€)",
    }.get(value, value)
    data = plain(rows)
    for row in data:  # a data column, not a datum test: timeUnit renames the field
        row["reported"] = highlight is not None and row["month"] == highlight.isoformat()
    chart = (
        alt.Chart(alt.Data(values=data))
        .mark_bar()
        .encode(
            x=alt.X("month:O", timeUnit="yearmonth", title=None, axis=alt.Axis(format="%b %y", labelAngle=-45)),
            y=alt.Y(f"{value}:Q", title=label, axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("month:T", format="%m/%Y"), alt.Tooltip(f"{value}:Q", format=",.2f")],
        )
    )
    chart = chart.encode(
        color=alt.Color(
            "reported:N", scale=alt.Scale(domain=[False, True], range=[PALETTE[0], PALETTE[1]]), legend=None
        )
    )
    return chart.properties(title=title, width=width, height=height)


def themed(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_view(stroke=None).configure_title(anchor="start", fontSize=13)


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(chart: alt.TopLevelMixin, prefix: str) -> str:
    """Offline SVG (no URL may be fetched); element ids prefixed so several SVGs can share one page."""
    svg = vl_convert.vegalite_to_svg(
        themed(chart).to_dict(),
        format_locale=FORMAT_LOCALE,
        time_format_locale=TIME_LOCALE,
        allowed_base_urls=[],
    )
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    for old in set(_ID.findall(svg)):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"#{old})", f"#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg
