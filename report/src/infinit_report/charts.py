"""Altair charts shared by the monthly report (rendered to SVG offline by vl-convert) and the
cockpit (rendered in the browser by Streamlit's bundled Vega), so both look alike.

Axes and tooltips follow the deployment's locale: every chart carries `config.locale` (the d3
number and time locales of l10n.py), and period and month labels are formatted by fmt.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

import altair as alt
import vl_convert

from infinit_report import fmt, kpis, l10n
from infinit_report.l10n import t

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
Grain = Literal["day", "week", "month"]
STEP = 20  # px per horizontal bar: room for one label each (a theme's bigger font must not hide any)
MONEY = "$,.2f"  # tooltips: `1 215 989,89 €` / `€1,215,989.89`, as fmt.money
COUNT = ",d"
COLOUR_TITLES = {"brand": "Brand", "model": "Model", "car": "Model"}


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


# --- periods -------------------------------------------------------------------------
def period_start(day: date, grain: Grain) -> date:
    if grain == "week":  # ISO weeks: Monday first
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def period_end(start: date, grain: Grain) -> date:
    """The first day after the period."""
    if grain == "week":
        return start + timedelta(days=7)
    if grain == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def period_label(start: date, grain: Grain) -> str:
    if grain == "month":
        return fmt.month_label(start)
    if grain == "week":
        return t("{start} to {end}", start=fmt.day(start), end=fmt.day(period_end(start, grain) - timedelta(days=1)))
    return fmt.day(start)


def by_period(rows: Sequence[dict[str, Any]], grain: Grain, colour: str, value: str) -> list[dict[str, Any]]:
    """Daily rows summed per period (day, ISO week or month) and `colour` value."""
    sums: dict[tuple[date, str], Decimal] = {}
    for row in rows:
        key = (period_start(row["sale_date"], grain), row[colour])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(str(row[value]))
    return [
        {"start": s, "end": period_end(s, grain), "period": period_label(s, grain), colour: c, value: v}
        for (s, c), v in sorted(sums.items())
    ]


# --- charts --------------------------------------------------------------------------
def daily_stacked(
    rows: Sequence[dict[str, Any]],
    colour: str = "brand",
    value: str = "turnover",
    title: str = "",
    width: int | str = 640,
    height: int = 240,
    domain: Sequence[str] | None = None,
    grain: Grain = "day",
) -> alt.Chart:
    """Bars per day, week or month, stacked by `colour` (brand or model); each bar spans its
    period on a time axis that shows the year."""
    label = kpis.BY_KEY[value].title()
    periods = by_period(rows, grain, colour, value)
    # Ticks on days for daily bars, on months beyond (d3's weeks start on Sunday, ours on Monday).
    axis_format, ticks = ("%d %b %Y", "day") if grain == "day" else ("%b %Y", "month")
    return (
        _base(periods)
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X(
                "start:T",
                title=None,
                scale=alt.Scale(type="utc"),
                axis=alt.Axis(format=axis_format, tickCount=ticks, labelAngle=0, labelOverlap=True),
            ),
            x2="end:T",
            y=alt.Y(f"sum({value}):Q", title=label, axis=alt.Axis(format="~s")),
            color=alt.Color(
                f"{colour}:N",
                title=t(COLOUR_TITLES[colour]),
                scale=colour_scale(domain or [r[colour] for r in rows]),
                legend=alt.Legend(orient="right", labelFontSize=11, rowPadding=1, symbolSize=70),
            ),
            order=alt.Order(f"{colour}:N"),
            tooltip=[
                alt.Tooltip("period:N", title=t({"day": "Day", "week": "Week", "month": "Month"}[grain])),
                alt.Tooltip(f"{colour}:N", title=t(COLOUR_TITLES[colour])),
                alt.Tooltip(f"sum({value}):Q", title=label, format=MONEY if value == "turnover" else COUNT),
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
    """Horizontal bars of turnover share, biggest first (the rows' order: by rank), with the
    share printed at the bar's end. The order is an explicit list: a `-x` sort is lost when
    the text layer joins the bars."""
    order = [r[label] for r in sorted(rows, key=lambda r: (-r["turnover_share"], r[label]))]
    base = _base(rows).encode(
        y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
        x=alt.X(
            "turnover_share:Q",
            title=t("Share of turnover"),
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domain=[0, max([float(r["turnover_share"]) for r in rows] + [0.01]) * 1.15]),
        ),
    )
    colour = (
        alt.Color(f"{label}:N", scale=colour_scale(colour_domain), legend=None)
        if colour_domain
        else alt.value(PALETTE[0])
    )
    tooltip = [
        alt.Tooltip(f"{label}:N", title=t(label.capitalize())),
        alt.Tooltip("turnover_share:Q", title=t("Share"), format=".1%"),
        alt.Tooltip("turnover:Q", title=t("Turnover"), format=MONEY),
    ]
    bars = base.mark_bar().encode(color=colour, tooltip=tooltip)
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text=alt.Text("turnover_share:Q", format=".1%"))
    return (bars + text).properties(title=title, width=width, height=alt.Step(STEP))


def ranking_bars(
    rows: Sequence[dict[str, Any]], label: str, title: str = "", width: int | str = 300, label_title: str = ""
) -> alt.Chart:
    """Horizontal bars of turnover (top models, top clients), biggest first."""
    order = [r[label] for r in sorted(rows, key=lambda r: (-r["turnover"], r[label]))]
    return (
        _base(rows)
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y(f"{label}:N", sort=order, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False)),
            x=alt.X("turnover:Q", title=kpis.TURNOVER.title(), axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip(f"{label}:N", title=label_title or None),
                     alt.Tooltip("turnover:Q", title=t("Turnover"), format=MONEY)],
        )
        .properties(title=title, width=width, height=alt.Step(STEP))
    )  # fmt: skip


def month_slots(first: date, last: date) -> list[date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = period_end(month, "month")
    return months


def monthly_trend(
    rows: Sequence[dict[str, Any]],
    value: str = "turnover",
    title: str = "",
    width: int | str = 640,
    height: int = 180,
    highlight: date | None = None,
    slots: Sequence[date] | None = None,
) -> alt.Chart:
    """Monthly bars of one KPI on a fixed axis of month slots (by default the rows' months):
    the report's 13-month trend keeps 13 slots from its first month on, empty ones included.
    The reported month (`highlight`) stands out."""
    by_month = {r["month"]: r[value] for r in rows}
    months = list(slots) if slots is not None else sorted(by_month)
    labels = [fmt.short_month(m) for m in months]
    data = [
        {"label": fmt.short_month(m), "month": fmt.month_label(m), "value": by_month.get(m), "reported": m == highlight}
        for m in months
    ]
    kpi_title = kpis.BY_KEY[value].title()
    return (
        _base(data)
        .mark_bar()
        .encode(
            x=alt.X("label:O", sort=labels, scale=alt.Scale(domain=labels), title=None,
                    axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("value:Q", title=kpi_title, axis=alt.Axis(format="~s")),
            color=alt.Color("reported:N", scale=alt.Scale(domain=[False, True], range=[PALETTE[0], PALETTE[1]]),
                            legend=None),
            tooltip=[alt.Tooltip("month:N", title=t("Month")),
                     alt.Tooltip("value:Q", title=kpi_title, format=MONEY if value == "turnover" else COUNT)],
        )
        .properties(title=title, width=width, height=height)
    )  # fmt: skip


def themed(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """System font, no frame, and the locale's number and time formats (config.locale)."""
    return (
        chart.configure(font=FONT, locale=l10n.current().vega())
        .configure_view(stroke=None)
        .configure_title(anchor="start", fontSize=13)
    )


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(chart: alt.TopLevelMixin, prefix: str) -> str:
    """Offline SVG (no URL may be fetched); element ids prefixed so several SVGs can share one page."""
    svg = vl_convert.vegalite_to_svg(themed(chart).to_dict(), allowed_base_urls=[])
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    for old in set(_ID.findall(svg)):
        new = f"{prefix}-{old}"
        svg = svg.replace(f'id="{old}"', f'id="{new}"').replace(f"#{old})", f"#{new})")
        svg = svg.replace(f'href="#{old}"', f'href="#{new}"')
    return svg
