"""Ad performance figures: parsing what people type or export (money, counts, days), checking a day's numbers, and
the ratios (CTR, CPC, cost per lead). Money is integer micro-dollars; ratios are floats (fractions, not money)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.wording import money

MICROS = 1_000_000
_DAY_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%b %d, %Y", "%B %d, %Y", "%a, %b %d, %Y", "%Y/%m/%d")


class MetricsError(ValueError):
    """A figure that cannot be used; the message names it."""


@dataclass(frozen=True)
class DayFigures:
    day: date
    spend_micros: int
    impressions: int
    clicks: int
    conversions: int


def parse_money(value: Any, what: str = "spend") -> int:
    """'$1,234.50', '1234.5', 12 -> micro-dollars. Negative or unreadable amounts are refused."""
    if isinstance(value, bool):
        raise MetricsError(f"{what}: {value!r} is not an amount")
    if isinstance(value, int):
        amount = Decimal(value)
    else:
        text = re.sub(r"[\s$€£,]|USD|EUR|GBP", "", str(value or "0"), flags=re.IGNORECASE) or "0"
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MetricsError(f"{what}: {value!r} is not an amount") from None
    if amount < 0:
        raise MetricsError(f"{what}: {value!r} is negative")
    return int((amount * MICROS).to_integral_value())


def parse_count(value: Any, what: str) -> int:
    """'1,234' or 1234 -> 1234; blanks are 0; negatives and fractions are refused."""
    if isinstance(value, bool):
        raise MetricsError(f"{what}: {value!r} is not a count")
    text = str(value if value is not None else "").replace(",", "").strip() or "0"
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise MetricsError(f"{what}: {value!r} is not a whole number") from None
    if number < 0 or number != number.to_integral_value():
        raise MetricsError(f"{what}: {value!r} must be a whole number of at least 0")
    return int(number)


def parse_day(value: Any, today: date | None = None) -> date:
    """A date, datetime or text in a common export format; not after tomorrow (UTC) to allow for time zones."""
    if isinstance(value, datetime):
        day = value.astimezone(UTC).date() if value.tzinfo else value.date()
    elif isinstance(value, date):
        day = value
    else:
        day = _day_from_text(str(value or "").strip())
    limit = (today or datetime.now(UTC).date()) + timedelta(days=1)
    if day > limit:
        raise MetricsError(f"day {day.isoformat()} is in the future")
    return day


def _day_from_text(text: str) -> date:
    for fmt in _DAY_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise MetricsError(f"day: {text!r} is not a date (use YYYY-MM-DD)")


def check_figures(day: Any, spend: Any, impressions: Any, clicks: Any, conversions: Any, *,
                  spend_in_micros: bool = True, today: date | None = None) -> DayFigures:
    """One day's numbers, parsed and checked (clicks cannot exceed impressions when impressions are given). Spend is
    in micro-dollars, unless `spend_in_micros` is False or it is text with a '$' ('$12.50'): then in dollars."""
    in_dollars = not spend_in_micros or (isinstance(spend, str) and "$" in spend)  # "$12.50" is always dollars
    spend_micros = parse_money(spend) if in_dollars else parse_count(spend, "spend_micros")
    figures = DayFigures(parse_day(day, today), spend_micros, parse_count(impressions, "impressions"),
                         parse_count(clicks, "clicks"), parse_count(conversions, "conversions"))
    if figures.impressions and figures.clicks > figures.impressions:
        raise MetricsError(f"clicks ({figures.clicks}) cannot exceed impressions ({figures.impressions})")
    return figures


def ctr(clicks: int, impressions: int) -> float | None:
    """Click-through rate as a fraction (0.025 = 2.5%); None without impressions."""
    return clicks / impressions if impressions else None


def per(spend_micros: int, count: int) -> int | None:
    """Spend per click / per lead in micros, rounded half up; None when the count is 0."""
    return (spend_micros + count // 2) // count if count else None


def money_text(micros: int | None) -> str:
    return money(micros, missing="-")
