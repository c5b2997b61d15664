"""`webhooks.sweep`: the inbox's safety net. An event stored but never enqueued (the queue was down right after the
commit, or a queue lost its messages) stays `pending`; every minute, events pending for more than
STALE_MINUTES are enqueued again. Processing is idempotent, so a second notice changes nothing."""

from __future__ import annotations

from datetime import timedelta

import dramatiq

from tools import webhook_events
from workers import broker as _broker  # noqa: F401
from workers.scheduler import periodic, resend
from workers.webhooks import process

STALE_MINUTES = 5
LIMIT = 1000


def stale_pending(session, older_than: timedelta = timedelta(minutes=STALE_MINUTES), limit: int = LIMIT) -> list[int]:
    """Ids of events still pending after `older_than`, oldest first (tools.webhook_events.stale_pending)."""
    return webhook_events.stale_pending(session, older_than, limit)


@periodic(60)
@dramatiq.actor(actor_name="webhooks.sweep", max_retries=0)
def sweep() -> int:
    return resend(stale_pending, process, "webhook events left pending")
