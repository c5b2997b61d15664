"""The webhook inbox: store each inbound event once (keyed by provider + event id), process it later.

The HTTP layer verifies authenticity and hands the event to webhooks/inbox.py, which stores it with `store_many`
(group commit) and enqueues `webhooks.process` only when it is new (after commit); `store_event` is the one-event
form inside a unit of work (the sandbox's simulated webhooks). Processing is looked up by provider in the processors the caller passes (the
list lives where `webhooks.process` is wired: workers/webhooks.py), runs in its own unit of work, and must be
idempotent and order-tolerant: a retry or a replay changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import WebhookEvent, utcnow

Processor = Callable[[Session, WebhookEvent], str | None]  # may return 'ignored' to say so


def store_event(session: Session, provider: str, event_id: str, event_type: str, payload: dict[str, Any]) -> int | None:
    """Insert the raw event; return its id, or None when this provider event id was already stored."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(WebhookEvent)
            .values(provider=provider, event_id=str(event_id)[:200], event_type=event_type[:100], payload=payload,
                    status="pending", attempts=0, received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(WebhookEvent.id))
    return session.execute(stmt).scalar_one_or_none()


def store_many(connection: sa.Connection, items: list[tuple[str, str, str, dict[str, Any]]]) -> list[int | None]:
    """Insert many raw events (provider, event id, event type, payload) in one INSERT ... ON CONFLICT DO NOTHING
    RETURNING on `connection` (a Core connection inside the caller's transaction: the hot path of the intake, where
    an ORM session and its bulk path cost about 3x more per event). Returns each item's new row id, or None when
    it was already stored (earlier, or earlier in this same list)."""
    keys = [(p, str(e)[:200]) for p, e, _, _ in items]
    first = {k: i for i, k in reversed(list(enumerate(keys)))}
    now = utcnow()
    rows = [dict(provider=p, event_id=keys[i][1], event_type=t[:100], payload=d, status="pending", attempts=0,
                 received_at=now) for i, (p, _, t, d) in enumerate(items) if first[keys[i]] == i]
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(WebhookEvent).on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(WebhookEvent.provider, WebhookEvent.event_id, WebhookEvent.id))
    stored = {(p, e): i for p, e, i in connection.execute(stmt, rows)}
    return [stored.get(k) if first[k] == i else None for i, k in enumerate(keys)]


def stale_pending(session: Session, older_than: timedelta, limit: int) -> list[int]:
    """Ids of events still pending after `older_than` (stored but perhaps never enqueued), oldest first."""
    stmt = (sa.select(WebhookEvent.id)
            .where(WebhookEvent.status == "pending", WebhookEvent.received_at < utcnow() - older_than)
            .order_by(WebhookEvent.received_at).limit(limit))
    return list(session.scalars(stmt))


def mark_failed(session: Session, event_id: int, error: BaseException) -> None:
    """Record that processing the event raised `error` (status failed, the reason, when): a retry may still
    process it. Nothing happens for an event that is gone."""
    event = session.get(WebhookEvent, event_id)
    if event is not None:
        event.status, event.error, event.processed_at = "failed", f"{type(error).__name__}: {error}"[:2000], utcnow()
        session.flush()


def process_event(session: Session, event_id: int, processors: Mapping[str, Processor]) -> str:
    """Run the provider's processor (from `processors`, by provider) on one stored event. Returns the event's
    final status; an event of a provider with no processor is failed with the reason."""
    event = session.get(WebhookEvent, event_id)
    if event is None:
        return "missing"
    if event.status in ("processed", "ignored"):
        return event.status
    fn = processors.get(event.provider)
    event.attempts += 1
    if fn is None:
        event.status, event.error = "failed", f"no processor for provider {event.provider!r}"
        return event.status
    outcome = fn(session, event)
    event.status = "ignored" if outcome == "ignored" else "processed"
    event.processed_at = utcnow()
    event.error = None
    return event.status
