"""Actors that process stored webhook events."""

from __future__ import annotations

import logging

import dramatiq

from db.models import WebhookEvent, utcnow
from db.session import unit_of_work
from tools.webhook_events import process_event
from workers import broker as _broker  # noqa: F401

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="webhooks.process", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def process(event_id: int) -> None:
    try:
        with unit_of_work() as uow:
            status = process_event(uow.session, event_id)
    except Exception as exc:
        with unit_of_work() as uow:
            event = uow.session.get(WebhookEvent, event_id)
            if event is not None:
                event.status, event.error, event.processed_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], utcnow()
        raise
    log.info("webhook event %s %s", event_id, status)
