"""Number formatting for a European (French) reader: `1 234 567,89 €`, `12,3 %`.

Exact decimal arithmetic (no float) so a rendered number is the SQL value rounded
half-up, and tests can reconcile them string for string.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

NBSP = "\u00a0"  # thousands separator and unit gap: never broken across lines
MINUS = "\u2212"  # typographic minus sign
MISSING = "—"
PARIS = ZoneInfo("Europe/Paris")
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value: object, decimals: int = 0) -> str:
    """`1234567.891` → `1 234 567,89` (decimals=2). None → `—`."""
    if value is None:
        return MISSING
    quantum = Decimal(1).scaleb(-decimals)
    rounded = _decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = MINUS if rounded < 0 else ""
    whole, _, frac = f"{abs(rounded):f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = NBSP.join(groups) or "0"
    return f"{sign}{text},{frac}" if decimals else f"{sign}{text}"


def money(value: object, decimals: int = 2) -> str:
    """`116612345.678` → `116 612 345,68 €`."""
    return MISSING if value is None else f"{number(value, decimals)}{NBSP}€"


def compact_money(value: object) -> str:
    """`116612345.67` → `116,6 M €` (the original dashboard's big-number style)."""
    if value is None:
        return MISSING
    amount = _decimal(value)
    for threshold, suffix in ((Decimal(10) ** 9, "Md"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "k")):
        if abs(amount) >= threshold:
            return f"{number(amount / threshold, 1)}{NBSP}{suffix}{NBSP}€"
    return money(amount, 0)


def pct(fraction: object, decimals: int = 1) -> str:
    """A fraction as a percentage: `0.1234` → `12,3 %`."""
    return MISSING if fraction is None else f"{number(_decimal(fraction) * 100, decimals)}{NBSP}%"


def signed_pct(fraction: object, decimals: int = 1) -> str:
    """A change: `0.1234` → `+12,3 %`, `-0.05` → `-5,0 %` (typographic minus), None (no comparison) → `—`."""
    if fraction is None:
        return MISSING
    text = pct(fraction, decimals)
    return text if text.startswith(MINUS) else f"+{text}"


def month_label(month: date, lang: str = "en") -> str:
    names = MONTHS_FR if lang == "fr" else MONTHS_EN
    return f"{names[month.month - 1]} {month.year}"


def day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def timestamp(value: datetime | None) -> str:
    """A load time shown in the business's time zone: `31/07/2024 14:05 (Europe/Paris)`."""
    if value is None:
        return MISSING
    local = value.astimezone(PARIS) if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC")).astimezone(PARIS)
    return local.strftime("%d/%m/%Y %H:%M")


def age(since: datetime | None, now: datetime) -> str:
    """How old a load is: `3 h`, `2 d 4 h`."""
    if since is None:
        return MISSING
    if since.tzinfo is None:
        since = since.replace(tzinfo=ZoneInfo("UTC"))
    hours = max(0, int((now - since).total_seconds() // 3600))
    days, hours = divmod(hours, 24)
    return f"{days}{NBSP}d {hours}{NBSP}h" if days else f"{hours}{NBSP}h"
