"""Queries of the daily analytics: one day's numbers from the source tables, the upsert of a daily_analytics row,
and which days changed since the last refresh.

Every count is anchored on the time its event happened (sent_at, delivered_at, opened_at, clicked_at, failed_at,
contacts.created_at, a message's occurred_at, a booking's created_at, an enrichment's finished_at, an ad metric's
day), so recomputing a day later gives the same number as computing it as events arrive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import (
    AdCampaign,
    AdMetric,
    CalendarBooking,
    Contact,
    ContactEvent,
    ConversationMessage,
    DailyAnalytics,
    EnrichmentJob,
    MarketingActivity,
    utcnow,
)
from domain.analytics import METRICS

A = MarketingActivity
_STATUS_TIMES = (A.sent_at, A.delivered_at, A.opened_at, A.clicked_at, A.failed_at)


def _real(contact_id: Any) -> sa.ColumnElement[bool]:
    """Not a sample contact: sample data stays out of the real analytics (the sample campaign has its own report)."""
    sample = sa.select(Contact.id).where(Contact.is_sample.is_(True))
    return sa.or_(contact_id.is_(None), contact_id.not_in(sample))


def _within(column: Any, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(column >= start, column < end)


def _count(condition: sa.ColumnElement[bool]) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _total(condition: sa.ColumnElement[bool], value: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def activity_numbers(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Sends, deliveries, opens, clicks, failures and send costs in [start, end). Test sends are left out."""
    sent, delivered, failed = (_within(A.sent_at, start, end), _within(A.delivered_at, start, end),
                               _within(A.failed_at, start, end))
    sms, email = A.channel == "sms", A.channel == "email"
    columns = {
        "contacted": sa.func.count(sa.distinct(sa.case((sent, A.contact_id)))),
        "sms_sent": _count(sa.and_(sms, sent)),
        "sms_delivered": _count(sa.and_(sms, delivered)),
        "sms_failed": _count(sa.and_(sms, failed, A.status.in_(("failed", "bounced")))),
        "emails_sent": _count(sa.and_(email, sent)),
        "emails_delivered": _count(sa.and_(email, delivered)),
        "emails_opened": _count(sa.and_(email, _within(A.opened_at, start, end))),
        "emails_clicked": _count(sa.and_(email, _within(A.clicked_at, start, end))),
        "emails_bounced": _count(sa.and_(email, failed, A.status == "bounced")),
        "cost_sms_micros": _total(sa.and_(sms, sent), A.cost_micros),
        "cost_email_micros": _total(sa.and_(email, sent), A.cost_micros),
    }
    in_range = sa.or_(*(_within(c, start, end) for c in _STATUS_TIMES))
    stmt = sa.select(*(v.label(k) for k, v in columns.items())).where(A.type != "test", in_range, _real(A.contact_id))
    row = session.execute(stmt).one()
    return {k: int(v or 0) for k, v in row._mapping.items()}


def other_numbers(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """New contacts, responses (distinct contacts who wrote in), opt-outs (hard bounces are not opt-outs),
    bookings made, enrichment cost and model tokens of enrichments finished, in [start, end)."""
    reason = sa.func.coalesce(ContactEvent.data["reason"].as_string(), "")
    queries = {
        "new_contacts": sa.select(sa.func.count()).where(_within(Contact.created_at, start, end),
                                                         Contact.is_sample.is_(False)),
        "responses": sa.select(sa.func.count(sa.distinct(ConversationMessage.contact_id))).where(
            ConversationMessage.direction == "inbound", _within(ConversationMessage.occurred_at, start, end),
            _real(ConversationMessage.contact_id)),
        "opt_outs": sa.select(sa.func.count()).where(
            ContactEvent.kind == "opted_out", _within(ContactEvent.occurred_at, start, end),
            reason != "hard_bounce", _real(ContactEvent.contact_id)),
        "bookings": sa.select(sa.func.count()).where(_within(CalendarBooking.created_at, start, end),
                                                     _real(CalendarBooking.contact_id)),
        "cost_enrichment_micros": sa.select(sa.func.coalesce(sa.func.sum(EnrichmentJob.cost_micros), 0)).where(
            _within(EnrichmentJob.finished_at, start, end)),
        "model_tokens": sa.select(sa.func.coalesce(sa.func.sum(EnrichmentJob.model_tokens), 0)).where(
            _within(EnrichmentJob.finished_at, start, end)),
    }
    return {name: int(session.scalar(stmt) or 0) for name, stmt in queries.items()}


def ad_spend(session: Session, day: date) -> int:
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(AdMetric.spend_micros), 0))
                              .where(AdMetric.day == day, _real_ad())) or 0)


def _real_ad() -> sa.ColumnElement[bool]:
    return AdMetric.ad_campaign_id.not_in(sa.select(AdCampaign.id).where(AdCampaign.is_sample.is_(True)))


def ad_spend_by_day(session: Session) -> dict[date, int]:
    """Ad spend of every day that has ad metrics (a small table: campaigns x days)."""
    rows = session.execute(sa.select(AdMetric.day, sa.func.sum(AdMetric.spend_micros)).where(_real_ad())
                           .group_by(AdMetric.day))
    return {day: int(total or 0) for day, total in rows}


def stored_ad_costs(session: Session) -> dict[date, int]:
    rows = session.execute(sa.select(DailyAnalytics.day, DailyAnalytics.cost_ads_micros)
                           .where(DailyAnalytics.cost_ads_micros != 0))
    return {day: int(cost) for day, cost in rows}


def upsert_day(session: Session, day: date, numbers: dict[str, int]) -> None:
    """Write one day's numbers (every metric), replacing what was there."""
    values = {name: int(numbers.get(name, 0)) for name in METRICS}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(DailyAnalytics).values(day=day, updated_at=utcnow(), **values)
    stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={**values, "updated_at": stmt.excluded.updated_at})
    session.execute(stmt)


def stored_days(session: Session, start: date, end: date) -> list[DailyAnalytics]:
    return list(session.scalars(sa.select(DailyAnalytics).where(DailyAnalytics.day >= start, DailyAnalytics.day <= end)
                                .order_by(DailyAnalytics.day)))


def last_refreshed(session: Session) -> datetime | None:
    return session.scalar(sa.select(sa.func.max(DailyAnalytics.updated_at)))


def changed_moments(session: Session, since: datetime) -> list[datetime]:
    """The event times (to the minute, deduplicated) of rows changed since `since` (by updated_at): activities'
    status times, enrichments' finish times, bookings' creation times."""
    found: set[datetime] = set()
    changed = A.updated_at >= since
    for column in _STATUS_TIMES:
        found |= _distinct_minutes(session, column, A, changed)
    found |= _distinct_minutes(session, EnrichmentJob.finished_at, EnrichmentJob, EnrichmentJob.updated_at >= since)
    found |= _distinct_minutes(session, CalendarBooking.created_at, CalendarBooking,
                               CalendarBooking.updated_at >= since)
    return sorted(found)


def new_row_moments(session: Session, cursors: dict[str, int]) -> tuple[list[datetime], dict[str, int]]:
    """The times of rows inserted after the id cursors (contacts, messages, contact events), to the minute,
    and the highest id of each table now."""
    sources = {"contacts": (Contact, Contact.created_at), "messages": (ConversationMessage,
               ConversationMessage.occurred_at), "contact_events": (ContactEvent, ContactEvent.occurred_at)}
    found: set[datetime] = set()
    highest: dict[str, int] = {}
    for name, (model, column) in sources.items():
        after = model.id > cursors.get(name, 0)
        found |= _distinct_minutes(session, column, model, after)
        highest[name] = int(session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) or 0)
    return sorted(found), highest


def _distinct_minutes(session: Session, column: Any, model: Any, where: sa.ColumnElement[bool]) -> set[datetime]:
    """Distinct values of `column`, truncated to the minute, among `model` rows matching `where`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        bucket = sa.func.date_trunc("minute", column)
        rows = session.scalars(sa.select(bucket).select_from(model).where(where, column.is_not(None)).distinct())
        return {r for r in rows if r is not None}
    bucket = sa.func.strftime("%Y-%m-%d %H:%M", column)
    rows = session.scalars(sa.select(bucket).select_from(model).where(where, column.is_not(None)).distinct())
    return {datetime.fromisoformat(r + ":00+00:00") for r in rows if r}
