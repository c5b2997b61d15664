"""Pure rules of the analytics: days in the account's time zone, ratios, costs per outcome, funnel math.

A day is a calendar day in the account time zone (settings.account_timezone): it starts at local midnight and
lasts 23, 24 or 25 hours around daylight-saving changes. Money is integer micro-dollars; ratios are floats
between 0 and 1, or None when the denominator is zero (never a made-up 0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MAX_RANGE_DAYS = 3660
COUNTS = ("new_contacts", "contacted", "sms_sent", "sms_delivered", "sms_failed", "emails_sent", "emails_delivered",
          "emails_opened", "emails_clicked", "emails_bounced", "responses", "opt_outs", "bookings")
COSTS = ("cost_sms_micros", "cost_email_micros", "cost_enrichment_micros", "cost_model_micros", "cost_ads_micros")
METRICS = COUNTS + COSTS
COST_LABELS = {"cost_sms_micros": "SMS", "cost_email_micros": "Email", "cost_enrichment_micros": "Enrichment",
               "cost_model_micros": "Model tokens", "cost_ads_micros": "Ads"}


class AnalyticsInputError(ValueError):
    """A period or time zone that cannot be used; the message says why."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise AnalyticsInputError(f"unknown time zone {name!r}: use an IANA name such as Europe/Paris") from None


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of `day` in time zone `tz`, as UTC datetimes."""
    z = zone(tz)
    start = datetime.combine(day, time.min, tzinfo=z)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=z)
    return start.astimezone(UTC), end.astimezone(UTC)


def range_bounds(start: date, end: date, tz: str) -> tuple[datetime, datetime]:
    """[start of `start`, end of `end`) in `tz`, as UTC datetimes."""
    return day_bounds(start, tz)[0], day_bounds(end, tz)[1]


def local_day(moment: datetime, tz: str) -> date:
    """The calendar day in `tz` on which the aware datetime `moment` falls."""
    if moment.tzinfo is None:
        raise AnalyticsInputError("naive datetime: analytics need timezone-aware times")
    return moment.astimezone(zone(tz)).date()


def check_period(start: date, end: date) -> None:
    """Raise AnalyticsInputError unless start <= end and the period is at most MAX_RANGE_DAYS long."""
    if end < start:
        raise AnalyticsInputError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise AnalyticsInputError(f"the period is longer than {MAX_RANGE_DAYS} days: choose a shorter one")


def days_in(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    check_period(start, end)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def last_n_days(today: date, n: int) -> tuple[date, date]:
    """The n days ending today (today included)."""
    if n < 1:
        raise AnalyticsInputError("the number of days must be at least 1")
    return today - timedelta(days=n - 1), today


def month_to_date(today: date) -> tuple[date, date]:
    return today.replace(day=1), today


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0."""
    return None if not whole else part / whole


def cost_per(cost_micros: int, outcomes: int) -> int | None:
    """Cost of one outcome in micros, rounded half up; None when there was no outcome."""
    if outcomes <= 0:
        return None
    return (2 * cost_micros + outcomes) // (2 * outcomes)


def total_cost(row: dict[str, int]) -> int:
    return sum(int(row.get(name, 0)) for name in COSTS)


def add_rows(rows: list[dict[str, int]]) -> dict[str, int]:
    """Sum every metric over the rows (missing metrics count as 0)."""
    return {name: sum(int(r.get(name, 0)) for r in rows) for name in METRICS}


def rates(totals: dict[str, int]) -> dict[str, float | None]:
    """Delivery, open, click, bounce, failure and response rates, and opt-outs per contact reached."""
    contacted = totals.get("contacted", 0)
    return {
        "sms_delivery_rate": ratio(totals.get("sms_delivered", 0), totals.get("sms_sent", 0)),
        "sms_failure_rate": ratio(totals.get("sms_failed", 0), totals.get("sms_sent", 0)),
        "email_delivery_rate": ratio(totals.get("emails_delivered", 0), totals.get("emails_sent", 0)),
        "email_open_rate": ratio(totals.get("emails_opened", 0), totals.get("emails_delivered", 0)),
        "email_click_rate": ratio(totals.get("emails_clicked", 0), totals.get("emails_delivered", 0)),
        "email_bounce_rate": ratio(totals.get("emails_bounced", 0), totals.get("emails_sent", 0)),
        "response_rate": ratio(totals.get("responses", 0), contacted),
        "opt_out_rate": ratio(totals.get("opt_outs", 0), contacted),
    }


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    count: int
    of_previous: float | None  # share of the stage before
    of_audience: float | None  # share of the audience


def funnel(stages: list[tuple[str, int]]) -> list[FunnelStep]:
    """Each stage with its share of the previous stage and of the first stage (the audience)."""
    steps: list[FunnelStep] = []
    audience = stages[0][1] if stages else 0
    previous: int | None = None
    for stage, count in stages:
        steps.append(FunnelStep(stage, count, None if previous is None else ratio(count, previous),
                                ratio(count, audience)))
        previous = count
    return steps




def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"
