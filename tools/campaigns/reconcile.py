"""Reconciliation of email sends in doubt: a request that may have reached Postmark without a recorded answer
("unknown") is looked up at Postmark by the activity id in its Metadata, never resent blindly.

Three steps, so that the provider calls happen outside any transaction (workers/campaigns.py runs them):
`unknown_emails` (the rows to look up), `look_up` (the provider search, no database), `record` (the outcome).
Found -> sent (with its MessageID). Not found although requested more than INDEXING_SECONDS ago -> left "unknown"
with error_code "review" for a person to decide (tools/campaigns/doubt.py: check again, or resend anyway); not
found sooner -> looked up again on the next tick."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import MarketingActivity, utcnow
from integrations.errors import ProviderError
from settings import get_settings

log = logging.getLogger(__name__)
A = MarketingActivity
INDEXING_SECONDS = 30.0  # Postmark's outbound search may lag a send by this much: absence before it proves nothing


def unknown_emails(session: Session, limit: int = 100) -> list[tuple[int, datetime | None]]:
    """Email sends in doubt still to look up (not left for review): (activity id, requested_at), oldest id first."""
    rows = session.execute(sa.select(A.id, A.requested_at).where(
        A.status == "unknown", A.channel == "email", sa.or_(A.error_code.is_(None), A.error_code != "review"))
        .order_by(A.id).limit(limit)).all()
    return [(r.id, r.requested_at) for r in rows]


def look_up(find: Callable[[int], str | None], rows: list[tuple[int, datetime | None]],
            now: datetime) -> dict[int, str | None]:
    """Search the provider (`find`: activity id -> its MessageID or None) for each row. Returns the settled ones:
    activity id -> MessageID (found) or None (not found although requested more than INDEXING_SECONDS before
    `now`). Rows not found sooner are left out (looked up again next time); a provider error stops the search."""
    settled_before = now - timedelta(seconds=INDEXING_SECONDS)
    found: dict[int, str | None] = {}
    for activity_id, requested_at in rows:
        try:
            message_id = find(activity_id)
        except ProviderError as exc:
            log.warning("reconciliation stopped: %s", exc)
            break
        if message_id or requested_at is None or _aware(requested_at) <= settled_before:
            found[activity_id] = message_id
    return found


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def record(session: Session, found: dict[int, str | None]) -> dict[str, int]:
    """Write `look_up`'s outcome: found -> sent (MessageID, time, the email price); not found -> left for review.
    Only rows still "unknown" change (a webhook or a person may have settled them meanwhile). Returns the counts
    {"sent": n, "review": m}."""
    now, price = utcnow(), get_settings().email_price_micros
    counts = {"sent": 0, "review": 0}
    for activity_id, message_id in found.items():
        values = ({"status": "sent", "provider_message_id": message_id, "sent_at": now, "cost_micros": price,
                   "error_message": "reconciled: found at Postmark by its metadata"} if message_id else
                  {"error_code": "review", "error_message": "not found at Postmark: check before resending"})
        session.execute(sa.update(A).where(A.id == activity_id, A.status == "unknown").values(**values))
        counts["sent" if message_id else "review"] += 1
    session.flush()
    return counts
