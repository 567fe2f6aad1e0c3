"""Numbers, dates and KPI changes in each locale (pure functions): every number printed in one
locale parses back to the value it shows, with that locale's separators only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infinit_report import fmt, kpis, l10n

S = "\u00a0"


def parse(text: str, loc: l10n.Locale) -> Decimal:
    """A formatted amount back to a Decimal, refusing the other locale's separators."""
    body = text.replace("€", "").replace("%", "").strip(S + " ").replace(fmt.MINUS, "-")
    other = "," if loc.decimal == "." else "."
    assert other not in body.replace(loc.group, "") or loc.group == other, text
    return Decimal(body.replace(loc.group, "").replace(loc.decimal, "."))


def test_numbers_money_and_percentages_in_french() -> None:
    assert fmt.number(4000) == f"4{S}000"
    assert fmt.number(Decimal("1234567.891"), 2) == f"1{S}234{S}567,89"
    assert fmt.number(Decimal("0.005"), 2) == "0,01"  # half-up, not banker's rounding
    assert fmt.number(-1234.5) == f"{fmt.MINUS}1{S}235"
    assert fmt.money(Decimal("5141676.245")) == f"5{S}141{S}676,25{S}€"
    assert fmt.compact_money(Decimal("5160792.45")) == f"5,16{S}M€"
    assert fmt.compact_money(Decimal("24003.69")) == f"24,0{S}k€"
    assert fmt.compact_money(Decimal("116612345.67")) == f"117{S}M€"
    assert fmt.pct(Decimal("0.0453")) == f"4,5{S}%"
    assert fmt.signed_pct(Decimal("0.029")) == f"+2,9{S}%"
    assert fmt.signed_pct(Decimal("-0.018")) == f"{fmt.MINUS}1,8{S}%"
    assert fmt.points(Decimal("0.003")) == f"+0,3{S}pt"
    assert fmt.signed_pct(None) == fmt.number(None) == fmt.money(None) == "—"


def test_numbers_money_and_percentages_in_english() -> None:
    l10n.use("en")
    assert fmt.number(Decimal("1234567.891"), 2) == "1,234,567.89"
    assert fmt.money(Decimal("5141676.245")) == "€5,141,676.25"
    assert fmt.money(Decimal("-12.5")) == f"{fmt.MINUS}€12.50"
    assert fmt.compact_money(Decimal("5160792.45")) == "€5.16M"
    assert fmt.pct(Decimal("0.0453")) == "4.5%"
    assert fmt.points(Decimal("-0.003")) == f"{fmt.MINUS}0.3{S}pt"


def test_dates_in_paris_time() -> None:
    assert fmt.month_label(date(2024, 7, 1)) == "juillet 2024"
    assert fmt.short_month(date(2024, 7, 1)) == "juil. 2024"
    assert fmt.day(date(2024, 7, 1)) == "01/07/2024"
    assert fmt.timestamp(datetime(2024, 1, 31, 23, 30, tzinfo=UTC)) == "01/02/2024 00:30"
    assert fmt.age(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, 5, tzinfo=UTC)) == f"2{S}j 5{S}h"
    l10n.use("en")
    assert fmt.month_label(date(2024, 7, 1)) == "July 2024"
    assert fmt.day(date(2024, 7, 1)) == "01 Jul 2024"
    assert fmt.timestamp(datetime(2024, 1, 31, 23, 30, tzinfo=UTC)) == "01 Feb 2024 00:30"


def test_an_unknown_locale_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="REPORTS_LOCALE='de': expected one of en, fr"):
        l10n.use("de")


def test_every_text_has_a_french_translation_and_no_english_leftover() -> None:
    l10n.use("fr")
    with pytest.raises(KeyError, match="no fr translation"):
        l10n.t("A text nobody translated")
    for kpi in kpis.MONTHLY:
        assert kpi.label() and l10n.t(kpi.formula)


amounts = st.decimals(min_value=Decimal("-1e10"), max_value=Decimal("1e10"), allow_nan=False, places=3)


@settings(max_examples=200, deadline=None)
@given(value=amounts, code=st.sampled_from(sorted(l10n.LOCALES)))
def test_money_parses_back_to_its_rounded_value_in_its_own_locale(value: Decimal, code: str) -> None:
    loc = l10n.use(code)
    text = fmt.money(value)
    assert parse(text, loc) == value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert re.fullmatch(r"[−]?€[\d,]+\.\d\d" if code == "en" else r"[−]?[\d\u00a0]+,\d\d\u00a0€", text), text


@settings(max_examples=200, deadline=None)
@given(value=st.decimals(min_value=Decimal("-1e11"), max_value=Decimal("1e11"), allow_nan=False, places=2))
def test_compact_money_keeps_three_significant_digits_and_fits_a_card(value: Decimal) -> None:
    for code in l10n.LOCALES:
        l10n.use(code)
        text = fmt.compact_money(value)
        assert len(text) <= 9, text  # `−5,16 M€`, `€117bn`: the card's width at 1280 px holds 9
        if abs(value) >= 1000:
            digits = re.sub(r"\D", "", text)
            assert 1 <= len(digits.lstrip("0")) <= 3, text


@settings(max_examples=100, deadline=None)
@given(
    current=st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=4),
    previous=st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=4),
)
def test_a_ratio_changes_in_points_coloured_by_its_good_direction(current: Decimal, previous: Decimal) -> None:
    change = kpis.change(kpis.DISCOUNT, current, previous)
    assert change.text.endswith("pt"), change
    assert change.tone == ("flat" if current == previous else "bad" if current > previous else "good")
    turnover = kpis.change(kpis.TURNOVER, current, previous)
    if previous == 0:
        assert turnover == kpis.Change(fmt.MISSING, "none")
    else:
        assert turnover.tone == ("flat" if current == previous else "good" if current > previous else "bad")
        assert turnover.text.endswith("%")
