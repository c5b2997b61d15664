"""Daily analytics: numbers per day in the account's time zone, kept current by a periodic refresh, rebuildable
for any period with identical numbers; the period report (totals and per-day rows), the campaign report and a
formula-safe CSV export.

What each number means (every one is counted on the day its event happened, in settings.account_timezone):
new_contacts (contacts created), contacted (distinct contacts sent anything), sms_sent/delivered/failed,
emails_sent/delivered/opened/clicked/bounced (by the activity's status times; test sends left out), responses
(distinct contacts who wrote in, any channel), opt_outs (opt-out events; hard bounces are not opt-outs), bookings
(bookings made), and costs in integer micro-dollars: SMS and email (activity cost, on the send day), enrichment
(enrichment_queue.cost_micros, on the day the job finished), model tokens (tokens of finished enrichments x
settings.model_token_price_micros per 1,000) and ads (ad_metrics spend of that day)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from db import analytics as q
from db.models import AnalyticsCursor, utcnow
from domain import analytics as rules
from domain.csv_safety import safe_row
from domain.roles import Permission, require
from domain.wording import money
from settings import get_settings
from tools.campaigns.report import CampaignReport, VariantFunnel, campaign_report
from tools.users import Actor

__all__ = ["AnalyticsReport", "CampaignReport", "DayRow", "RefreshResult", "VariantFunnel", "analytics_report",
           "campaign_report", "compute_day", "export_analytics", "rebuild_daily", "refresh", "today"]

OVERLAP = timedelta(minutes=10)  # changes committed up to this late are still seen by the next refresh
RECENT_DAYS = 2  # today and yesterday are recomputed on every refresh
SWEEP_SPAN = 33  # plus one older day per refresh, in turn, so days 2..34 back are re-checked every 33 refreshes


@dataclass
class DayRow:
    day: date
    numbers: dict[str, int]

    @property
    def cost_micros(self) -> int:
        return rules.total_cost(self.numbers)


@dataclass
class AnalyticsReport:
    start: date
    end: date
    timezone: str
    days: list[DayRow]
    totals: dict[str, int]
    rates: dict[str, float | None]
    cost_micros: int
    cost_per_response_micros: int | None
    cost_per_booking_micros: int | None
    refreshed_at: datetime | None  # when the numbers were last brought up to date (None: never)

    def summary(self) -> str:
        t = self.totals
        return (f"{self.start} to {self.end} ({self.timezone}): {t['contacted']} contacted, "
                f"{t['sms_sent']} SMS and {t['emails_sent']} emails sent, {t['responses']} responses, "
                f"{t['bookings']} bookings, {t['opt_outs']} opt-outs; cost {money(self.cost_micros)} "
                f"({money(self.cost_per_response_micros)} per response, "
                f"{money(self.cost_per_booking_micros)} per booking).")


@dataclass
class RefreshResult:
    days: list[date] = field(default_factory=list)


def today(now: datetime | None = None) -> date:
    """Today in the account's time zone."""
    return rules.local_day(now or utcnow(), get_settings().account_timezone)


def compute_day(session: Session, day: date) -> dict[str, int]:
    """Every metric of one day, computed from the source tables."""
    settings = get_settings()
    start, end = rules.day_bounds(day, settings.account_timezone)
    numbers = {**q.activity_numbers(session, start, end), **q.other_numbers(session, start, end)}
    tokens = numbers.pop("model_tokens")
    numbers["cost_model_micros"] = tokens * settings.model_token_price_micros // 1000
    numbers["cost_ads_micros"] = q.ad_spend(session, day)
    return numbers


def rebuild_daily(session: Session, start: date, end: date,
                  progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute and store every day from `start` to `end` (both included). Returns the number of days written.
    `progress(days done, days in all)` after each day. Used by `mkt analytics rebuild` and the refresh; flushes,
    never commits."""
    days = rules.days_in(start, end)
    for done, day in enumerate(days, 1):
        q.upsert_day(session, day, compute_day(session, day))
        if progress is not None:
            progress(done, len(days))
    session.flush()
    return len(days)


def _cursor(session: Session, name: str) -> AnalyticsCursor:
    row = session.get(AnalyticsCursor, name)
    if row is None:
        row = AnalyticsCursor(name=name, last_id=0, last_time=None)
        session.add(row)
    return row


def _dirty_days(session: Session, now: datetime) -> set[date]:
    """The days touched by what changed since the last refresh; moves the cursors forward."""
    tz = get_settings().account_timezone
    changes = _cursor(session, "changes")
    since = (changes.last_time - OVERLAP) if changes.last_time else datetime(1970, 1, 1, tzinfo=now.tzinfo)
    moments = q.changed_moments(session, since)
    changes.last_time = now
    # id cursors lag one refresh: a row whose id was taken before the last refresh but committed after it is seen
    read_from = {n: _cursor(session, n).last_id for n in ("contacts", "messages", "contact_events")}
    inserted, highest = q.new_row_moments(session, read_from)
    for name, top in highest.items():
        seen = _cursor(session, f"{name}:seen")
        _cursor(session, name).last_id, seen.last_id = seen.last_id, top
    days = {rules.local_day(m, tz) for m in [*moments, *inserted]}
    spend, stored = q.ad_spend_by_day(session), q.stored_ad_costs(session)
    days |= {d for d in set(spend) | set(stored) if spend.get(d, 0) != stored.get(d, 0)}
    return days


def _sweep_step(session: Session) -> int:
    """Which older day this refresh re-checks (0..SWEEP_SPAN-1), moving the sweep on by one."""
    sweep = _cursor(session, "sweep")
    step = int(sweep.last_id or 0) % SWEEP_SPAN
    sweep.last_id = step + 1
    return step


def refresh(session: Session, now: datetime | None = None) -> RefreshResult:
    """Bring daily_analytics up to date: recompute today, yesterday, every day that a change since the last
    refresh touched (activity status times, new contacts, messages, opt-outs, bookings, enrichments, ad metrics),
    and one older day in turn (a sweep over days 2..34 back, which repairs a day that lost a row because a status
    time was moved or cleared, a change the cursors cannot see). Run by the periodic `analytics.refresh` job;
    flushes, never commits."""
    now = now or utcnow()
    current = today(now)
    days = _dirty_days(session, now) | {current - timedelta(days=i) for i in range(RECENT_DAYS)}
    days.add(current - timedelta(days=RECENT_DAYS + _sweep_step(session)))
    days = {d for d in days if d <= current}
    for day in sorted(days):
        q.upsert_day(session, day, compute_day(session, day))
    session.flush()
    return RefreshResult(days=sorted(days))


def analytics_report(session: Session, actor: Actor, start: date, end: date) -> AnalyticsReport:
    """Daily numbers and totals for the period from `start` to `end` (both included, days in the account's time
    zone): per-day rows (days without activity show zeros), totals, delivery/open/click/response rates, total cost,
    cost per response and per booking (integer micro-dollars; None when there were none). Totals are sums of the
    days: `contacted` and `responses` count distinct people per day, so someone reached on two days counts twice.
    Reads the stored daily numbers, which the periodic refresh keeps current (see `refreshed_at`). Needs the
    analytics permission; periods longer than 3,660 days are refused."""
    require(actor.role, Permission.ANALYTICS, "see analytics")
    rules.check_period(start, end)
    stored = {row.day: row for row in q.stored_days(session, start, end)}
    days = [DayRow(d, {m: int(getattr(stored[d], m)) if d in stored else 0 for m in rules.METRICS})
            for d in rules.days_in(start, end)]
    totals = rules.add_rows([d.numbers for d in days])
    cost = rules.total_cost(totals)
    return AnalyticsReport(start=start, end=end, timezone=get_settings().account_timezone, days=days, totals=totals,
                           rates=rules.rates(totals), cost_micros=cost,
                           cost_per_response_micros=rules.cost_per(cost, totals["responses"]),
                           cost_per_booking_micros=rules.cost_per(cost, totals["bookings"]),
                           refreshed_at=q.last_refreshed(session))


EXPORT_COLUMNS = ("day", *rules.METRICS, "cost_total_micros")


def export_analytics(session: Session, actor: Actor, start: date, end: date, path: str | Path) -> int:
    """Write the period's daily numbers to a CSV file at `path` (one row per day, money in micro-dollars, cells
    made formula-safe). Returns the number of day rows written. Needs the analytics permission."""
    report = analytics_report(session, actor, start, end)
    target = Path(path)
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(safe_row(list(EXPORT_COLUMNS)))
        for row in report.days:
            writer.writerow(safe_row([row.day.isoformat(), *(row.numbers[m] for m in rules.METRICS),
                                      row.cost_micros]))
    return len(report.days)
