"""The one definition of each KPI (name, formula, unit, good direction), read by the monthly
report, its charts and the cockpit, and tabled in docs/reports.md (a test keeps that table equal
to this module). The SQL that computes them is dbt's (reports.rpt_monthly_sales) and, for any
date range of the Daily cockpit, `derive()` below on the sums of rpt_daily_sales.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from infinit_report import fmt
from infinit_report.l10n import t

Unit = Literal["count", "money", "ratio"]


@dataclass(frozen=True)
class Kpi:
    key: str  # column of rpt_monthly_sales (with _prev_month, _prev_year beside it) or of derive()
    name: str  # English; shown through l10n.t
    formula: str  # English; the card's hover text
    unit: Unit
    good: Literal[1, -1]  # +1: more is better for the business; -1: less is better
    note: str = ""  # shown on the card itself, where the name alone misleads

    def label(self) -> str:
        return t(self.name)

    def title(self) -> str:
        """A chart axis: the name, with the currency of an amount (`Turnover (€)`)."""
        return self.label() + (" (€)" if self.unit == "money" else "")

    def exact(self, value: Any) -> str:
        """The full value: `5 160 792,45 €`."""
        return {"count": fmt.number, "money": fmt.money, "ratio": fmt.pct}[self.unit](value)

    def short(self, value: Any) -> str:
        """The value as it fits a card: `5,16 M€`."""
        return {"count": fmt.compact_number, "money": fmt.compact_money, "ratio": fmt.pct}[self.unit](value)


@dataclass(frozen=True)
class Change:
    text: str  # `+3,2 %`, `+0,3 pt` or `—`
    tone: Literal["good", "bad", "flat", "none"]


def change(kpi: Kpi, current: Any, previous: Any) -> Change:
    """`current` against `previous`: relative for amounts and counts, in points for ratios;
    the tone says whether the move is good for the business (kpi.good), not its sign."""
    if current is None or previous is None or (kpi.unit != "ratio" and previous == 0):
        return Change(fmt.MISSING, "none")
    cur, prev = Decimal(str(current)), Decimal(str(previous))
    if kpi.unit == "ratio":
        delta = cur - prev
        text = fmt.points(delta)
    else:
        delta = (cur - prev) / prev
        text = fmt.signed_pct(delta)
    if delta == 0:
        return Change(text, "flat")
    return Change(text, "good" if (delta > 0) == (kpi.good > 0) else "bad")


TRANSACTIONS = Kpi("transactions", "Transactions", "Number of sales.", "count", 1)
UNITS = Kpi("units", "Cars sold", "Cars sold: the sum of the quantities.", "count", 1)
TURNOVER = Kpi("turnover", "Turnover", "Price paid × quantity.", "money", 1)
MARKET_VALUE = Kpi("market_value", "Market value", "List price × quantity.", "money", 1)
DISCOUNT = Kpi("discount_pct", "Average discount", "(Market value − turnover) ÷ market value.", "ratio", -1)
BASKET = Kpi("avg_basket", "Average basket", "Turnover ÷ transactions.", "money", 1)
ACTIVE = Kpi("active_clients", "Active clients", "Clients who bought in the period.", "count", 1)
NEW = Kpi(
    "new_clients",
    "New clients",
    "Clients whose first purchase ever falls in the period: once every client has bought, it stays at 0.",
    "count",
    1,
    note="first purchase ever in the period",
)

GRANTED = Kpi("discount", "Discount granted", "Market value − turnover.", "money", -1)

MONTHLY = (TRANSACTIONS, UNITS, TURNOVER, MARKET_VALUE, DISCOUNT, BASKET, ACTIVE, NEW)  # report and cockpit cards
DAILY = (TRANSACTIONS, UNITS, TURNOVER, DISCOUNT)  # any date range: from the sums of rpt_daily_sales
ALL = (*MONTHLY, GRANTED)  # GRANTED: a line under the report's cards, no card (no comparison columns)
BY_KEY = {kpi.key: kpi for kpi in ALL}


def derive(sums: dict[str, Any]) -> dict[str, Any]:
    """The ratios of DAILY from summed transactions, units, turnover and market value, as
    rpt_monthly_sales computes them per month."""
    market, turnover, n = sums["market_value"], sums["turnover"], sums["transactions"]
    return {
        **sums,
        "discount_pct": (market - turnover) / market if market else None,
        "avg_basket": turnover / n if n else None,
    }
