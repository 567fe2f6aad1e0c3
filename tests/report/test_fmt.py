"""European number formatting (pure functions)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from infinit_report import fmt

S = "\u00a0"


def test_numbers_money_and_percentages() -> None:
    assert fmt.number(4000) == f"4{S}000"
    assert fmt.number(Decimal("1234567.891"), 2) == f"1{S}234{S}567,89"
    assert fmt.number(Decimal("0.005"), 2) == "0,01"  # half-up, not banker's rounding
    assert fmt.number(-1234.5) == f"{fmt.MINUS}1{S}235"
    assert fmt.number(999) == "999"
    assert fmt.money(Decimal("5141676.245")) == f"5{S}141{S}676,25{S}€"
    assert fmt.compact_money(Decimal("116612345.67")) == f"116,6{S}M{S}€"
    assert fmt.pct(Decimal("0.0453")) == f"4,5{S}%"
    assert fmt.signed_pct(Decimal("0.029")) == f"+2,9{S}%"
    assert fmt.signed_pct(Decimal("-0.018")) == f"{fmt.MINUS}1,8{S}%"
    assert fmt.signed_pct(None) == fmt.number(None) == fmt.money(None) == "—"


def test_dates_in_paris_time() -> None:
    assert fmt.month_label(date(2024, 7, 1)) == "July 2024"
    assert fmt.day(date(2024, 7, 1)) == "01/07/2024"
    assert fmt.timestamp(datetime(2024, 1, 31, 23, 30, tzinfo=UTC)) == "01/02/2024 00:30"
    assert fmt.age(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, 5, tzinfo=UTC)) == f"2{S}d 5{S}h"
