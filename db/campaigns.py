"""Campaign queries: the audience, the facts the send rules need (in a few set-based queries), the outbox
insert (ON CONFLICT DO NOTHING) and the claim (queued -> sending) that makes every send happen once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import CalendarBooking, Campaign, Contact, ConversationMessage, MarketingActivity, Suppression
from domain import channels
from domain.send_rules import Recipient

CHUNK = 5000
SENT_STATES = ("sending", "sent", "delivered", "opened", "clicked", "bounced", "complained", "unknown")


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def audience_condition(filter_data: dict[str, Any] | None) -> sa.ColumnElement[bool]:
    """The SQL condition of a campaign's target filter (the contacts filter language)."""
    if not filter_data:
        return sa.true()
    from db.filters import compile_filter
    from domain.filters import parse

    return compile_filter(parse(filter_data))


def audience_ids(session: Session, filter_data: dict[str, Any] | None) -> list[int]:
    stmt = sa.select(Contact.id).where(audience_condition(filter_data), Contact.is_sample.is_(False))
    return list(session.scalars(stmt.order_by(Contact.id)))


def _address(channel: str, contact: Contact) -> tuple[str | None, bool]:
    """The channel's address and whether it is usable. Contacts are normalised on write (domain.contacts), so a
    cheap syntactic check is enough here (full validation of 50k addresses would dominate a launch)."""
    raw = channels.address_of(channel, contact)
    if not raw:
        return None, False
    return raw, channels.usable(channel, raw)


def audience_select(filter_data: dict[str, Any] | None, include_sample: bool = False) -> sa.Select:
    """The ids of a campaign's audience, as a subquery for set-based fact queries (sample contacts only when
    asked: the caller then says why they are left out, or messages them in sandbox mode)."""
    stmt = sa.select(Contact.id).where(audience_condition(filter_data))
    return stmt if include_sample else stmt.where(Contact.is_sample.is_(False))


def recipient_facts(session: Session, campaign: Campaign, contacts: Sequence[Any], now: datetime,
                    scope: sa.Select | None = None, since: datetime | None = None,
                    bounds: tuple[int, int] | None = None) -> list[Recipient]:
    """Everything `domain.send_rules.decide` needs for these contacts. `scope` (a select of contact ids, e.g.
    `audience_select`) lets each fact be one set-based query; without it the ids are sent in chunks. `bounds`:
    the lowest and highest contact id in `scope` (a chunk of an audience), so that each fact reads only that
    range of the per-contact indexes instead of every recent activity."""
    since = since or now - timedelta(days=30)
    out: list[Recipient] = []
    parts = [list(contacts)] if scope is not None else list(chunks(list(contacts)))
    for part in parts:
        ids = scope if scope is not None else [c.id for c in part]
        facts = _facts(session, campaign, _Ids(ids, bounds), now, since)
        for c in part:
            out.append(_recipient(campaign.channel, c, *facts))
    return out


class _Ids:
    """Contact ids (a list or a select), optionally within an id range: `of(column)` is the condition."""

    def __init__(self, ids: Any, bounds: tuple[int, int] | None) -> None:
        self.ids, self.bounds = ids, bounds

    def of(self, column: Any) -> sa.ColumnElement[bool]:
        within = column.in_(self.ids)
        return sa.and_(within, column.between(*self.bounds)) if self.bounds else within


def _facts(session: Session, campaign: Campaign, ids: _Ids, now: datetime, since: datetime) -> tuple[Any, ...]:
    channel = campaign.channel
    column = getattr(Contact, channels.rule(channel).address_field)
    suppressed = set(session.scalars(sa.select(Suppression.address).where(
        Suppression.channel == channel, Suppression.address.in_(sa.select(column).where(ids.of(Contact.id))))))
    in_campaign = set(session.scalars(sa.select(MarketingActivity.contact_id).where(
        MarketingActivity.campaign_id == campaign.id, MarketingActivity.channel == channel,
        ids.of(MarketingActivity.contact_id))))
    recent = _recent_sends(session, channel, ids, campaign.id, now)
    replies = _latest(session, ConversationMessage.contact_id, ConversationMessage.occurred_at, ids,
                      ConversationMessage.direction == "inbound", ConversationMessage.occurred_at >= since)
    bookings = _latest(session, CalendarBooking.contact_id, CalendarBooking.created_at, ids,
                       CalendarBooking.status != "cancelled", CalendarBooking.created_at >= since)
    return suppressed, in_campaign, recent, replies, bookings


def _recipient(channel: str, c: Any, suppressed: set[str], in_campaign: set[int],
               recent: dict[int, list[datetime]], replies: dict[int, datetime],
               bookings: dict[int, datetime]) -> Recipient:
    address, valid = _address(channel, c)
    return Recipient(
        contact_id=c.id, channel=channel, address=address, address_valid=valid,
        opted_out=channels.opted_out(channel, c),
        suppressed=address in suppressed, email_status=c.email_status or "ok", timezone=c.timezone,
        phone=c.phone, already_in_campaign=c.id in in_campaign, recent_sends=tuple(recent.get(c.id, ())),
        last_reply_at=replies.get(c.id), last_booking_at=bookings.get(c.id))


def _recent_sends(session: Session, channel: str, ids: _Ids | Any, campaign_id: int,
                  now: datetime) -> dict[int, list[datetime]]:
    ids = ids if isinstance(ids, _Ids) else _Ids(ids, None)
    A = MarketingActivity
    week = now - timedelta(days=7)
    when = sa.func.coalesce(A.sent_at, A.claimed_at)
    rows = session.execute(sa.select(A.contact_id, when).where(
        ids.of(A.contact_id), A.channel == channel, A.status.in_(SENT_STATES), A.type == "campaign",
        sa.or_(A.campaign_id.is_(None), A.campaign_id != campaign_id),
        sa.or_(A.sent_at > week, sa.and_(A.sent_at.is_(None), A.claimed_at > week))))
    found: dict[int, list[datetime]] = defaultdict(list)
    for contact_id, at in rows:
        if at is not None:
            found[contact_id].append(_aware(at))
    return found


def _latest(session: Session, key: Any, when: Any, ids: _Ids, *where: Any) -> dict[int, datetime]:
    rows = session.execute(sa.select(key, sa.func.max(when)).where(ids.of(key), *where).group_by(key))
    return {k: _aware(v) for k, v in rows if v is not None}


def _aware(value: Any) -> datetime:
    """Aggregates (max, coalesce) bypass the column type on SQLite: read naive values as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def insert_activities(session: Session, rows: list[dict[str, Any]]) -> None:
    """The outbox: one row per campaign+contact+channel; a second insert of the same triple does nothing."""
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(MarketingActivity.__table__).on_conflict_do_nothing(
        index_elements=["campaign_id", "contact_id", "channel"])
    connection = session.connection()
    keys = sorted({k for row in rows for k in row})
    for part in chunks(rows, 5000):  # executemany: SQLAlchemy batches it into multi-row INSERTs
        connection.execute(stmt, [{k: row.get(k) for k in keys} for row in part])


def claim(session: Session, ids: Iterable[int], now: datetime) -> list[int]:
    """queued -> sending, for the ids still queued (another worker may have taken some). Returns those taken."""
    ids = list(ids)
    if not ids:
        return []
    stmt = (sa.update(MarketingActivity)
            .where(MarketingActivity.id.in_(ids), MarketingActivity.status == "queued")
            .values(status="sending", claimed_at=now, attempts=MarketingActivity.attempts + 1)
            .returning(MarketingActivity.id))
    return list(session.scalars(stmt))


def status_counts(session: Session, campaign_id: int) -> dict[str, int]:
    rows = session.execute(sa.select(MarketingActivity.status, sa.func.count()).where(
        MarketingActivity.campaign_id == campaign_id).group_by(MarketingActivity.status))
    return {status: count for status, count in rows}


def variant_counts(session: Session, campaign_id: int) -> dict[str, dict[str, int]]:
    rows = session.execute(sa.select(MarketingActivity.variant, MarketingActivity.status, sa.func.count()).where(
        MarketingActivity.campaign_id == campaign_id).group_by(MarketingActivity.variant, MarketingActivity.status))
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for variant, status, count in rows:
        out[variant or "-"][status] = count
    return dict(out)


def cost_so_far(session: Session, campaign_id: int) -> int:
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(MarketingActivity.cost_micros), 0)).where(
        MarketingActivity.campaign_id == campaign_id)) or 0)


def queued_ids(session: Session, campaign_id: int, *, older_than: datetime | None = None) -> list[int]:
    stmt = sa.select(MarketingActivity.id).where(MarketingActivity.campaign_id == campaign_id,
                                                 MarketingActivity.status == "queued")
    if older_than is not None:
        stmt = stmt.where(MarketingActivity.updated_at < older_than)
    return list(session.scalars(stmt.order_by(MarketingActivity.id)))
