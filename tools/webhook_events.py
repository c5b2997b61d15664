"""The webhook inbox: store each inbound event once (keyed by provider + event id), process it later.

The HTTP layer verifies authenticity, calls `store_event`, and enqueues `webhooks.process` only when the
event is new (after commit). Processing is looked up by provider in the processors the caller passes (the
list lives where `webhooks.process` is wired: workers/webhooks.py), runs in its own unit of work, and must be
idempotent and order-tolerant: a retry or a replay changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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
