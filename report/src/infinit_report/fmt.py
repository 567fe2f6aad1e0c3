"""Numbers and dates in the deployment's locale (l10n.py): `1 234 567,89 €` in French,
`€1,234,567.89` in English.

Exact decimal arithmetic (no float) so a rendered number is the SQL value rounded
half-up, and tests can reconcile them string for string.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, localcontext
from zoneinfo import ZoneInfo

from infinit_report.l10n import NBSP, current

MINUS = "\u2212"  # typographic minus sign
MISSING = "—"
PARIS = ZoneInfo("Europe/Paris")


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value: object, decimals: int = 0) -> str:
    """`1234567.891` → `1 234 567,89` (fr, decimals=2) or `1,234,567.89` (en). None → `—`."""
    if value is None:
        return MISSING
    loc = current()
    quantum = Decimal(1).scaleb(-decimals)
    rounded = _decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = MINUS if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = loc.group.join(groups) or "0"
    return f"{sign}{text}{loc.decimal}{frac}" if decimals else f"{sign}{text}"


def _unsigned(text: str) -> tuple[str, str]:
    return (MINUS, text[1:]) if text.startswith(MINUS) else ("", text)


def money(value: object, decimals: int = 2) -> str:
    """`116612345.678` → `116 612 345,68 €` (fr) or `€116,612,345.68` (en)."""
    if value is None:
        return MISSING
    sign, digits = _unsigned(number(value, decimals))
    return sign + current().money.format(digits)


_SCALES = ((Decimal(10) ** 9, {"fr": "Md", "en": "bn"}), (Decimal(10) ** 6, {"fr": "M", "en": "M"}),
           (Decimal(10) ** 3, {"fr": "k", "en": "k"}))  # fmt: skip


def _compact(amount: Decimal) -> tuple[str, str]:
    """Three significant digits and a suffix: (`5,16`, `M`); below 1 000: the whole number."""
    with localcontext() as context:  # round first: 999 950 is `1,00 M`, not `1 000 k`
        context.prec, context.rounding = 3, ROUND_HALF_UP
        amount = +amount
    for threshold, suffix in _SCALES:
        if abs(amount) >= threshold:
            scaled = amount / threshold
            decimals = 2 if abs(scaled) < 10 else 1 if abs(scaled) < 100 else 0
            return number(scaled, decimals), suffix[current().code]
    return number(amount, 0), ""


def compact_money(value: object) -> str:
    """`5160792.45` → `5,16 M€` (fr) or `€5.16M` (en): a KPI card's value, exact one on hover."""
    if value is None:
        return MISSING
    digits, suffix = _compact(_decimal(value))
    if current().code == "fr":
        return f"{digits}{NBSP}{suffix}€" if suffix else money(value, 0)
    sign, digits = _unsigned(digits)
    return f"{sign}€{digits}{suffix}"


def compact_number(value: object) -> str:
    """Counts stay exact up to 99 999; above, `123 k`, `1,23 M`."""
    if value is None:
        return MISSING
    amount = _decimal(value)
    if abs(amount) < 100_000:
        return number(amount)
    digits, suffix = _compact(amount)
    return f"{digits}{NBSP}{suffix}" if current().code == "fr" else f"{digits}{suffix}"


def pct(fraction: object, decimals: int = 1) -> str:
    """A fraction as a percentage: `0.1234` → `12,3 %` (fr) or `12.3%` (en)."""
    if fraction is None:
        return MISSING
    sign, digits = _unsigned(number(_decimal(fraction) * 100, decimals))
    return sign + current().percent.format(digits)


def _signed(text: str) -> str:
    return text if text.startswith(MINUS) or text == MISSING else f"+{text}"


def signed_pct(fraction: object, decimals: int = 1) -> str:
    """A change: `0.1234` → `+12,3 %`, `-0.05` → `−5,0 %` (typographic minus), None (no comparison) → `—`."""
    return _signed(pct(fraction, decimals))


def signed_money(value: object) -> str:
    return _signed(money(value, 0))


def points(fraction_change: object, decimals: int = 1) -> str:
    """A change of a ratio, in percentage points: `0.003` → `+0,3 pt`."""
    if fraction_change is None:
        return MISSING
    return _signed(f"{number(_decimal(fraction_change) * 100, decimals)}{NBSP}pt")


def month_label(month: date) -> str:
    """`juillet 2024` / `July 2024`."""
    return f"{current().months[month.month - 1]} {month.year}"


def short_month(month: date) -> str:
    """`juil. 2024` / `Jul 2024`."""
    return f"{current().short_months[month.month - 1]} {month.year}"


def day(value: date) -> str:
    """`31/07/2024` (fr) or `31 Jul 2024` (en)."""
    loc = current()
    pattern = loc.day_format.replace("%b", loc.short_months[value.month - 1])
    return value.strftime(pattern)


def timestamp(value: datetime | None) -> str:
    """A load time shown in the business's time zone: `31/07/2024 14:05`."""
    if value is None:
        return MISSING
    local = value.astimezone(PARIS) if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)
    return f"{day(local.date())} {local:%H:%M}"


def age(since: datetime | None, now: datetime) -> str:
    """How old a load is: `3 h`, `2 d 4 h` (`2 j 4 h` in French)."""
    if since is None:
        return MISSING
    if since.tzinfo is None:
        since = since.replace(tzinfo=ZoneInfo("UTC"))
    hours = max(0, int((now - since).total_seconds() // 3600))
    days, hours = divmod(hours, 24)
    unit = "j" if current().code == "fr" else "d"
    return f"{days}{NBSP}{unit} {hours}{NBSP}h" if days else f"{hours}{NBSP}h"
