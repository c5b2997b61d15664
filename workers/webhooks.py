"""Actors that process stored webhook events."""

from __future__ import annotations

import logging

import dramatiq

from db.session import unit_of_work
from tools import bookings
from tools.campaigns import deliveries
from tools.inbox import conversations
from tools.webhook_events import Processor, mark_failed, process_event
from workers import broker as _broker  # noqa: F401

log = logging.getLogger(__name__)

# Every provider's processor of stored events, by provider (a new provider adds its line here).
PROCESSORS: dict[str, Processor] = {
    "postmark": deliveries.process_postmark,
    "sentdm": deliveries.process_sentdm,
    "chatwoot": conversations.process_chatwoot,
    "calcom": bookings.process_calcom,
}


def _process_one(event_id: int) -> str:
    """Process one stored event in its own unit of work; on error mark it failed (with the reason) and raise."""
    try:
        with unit_of_work() as uow:
            status = process_event(uow.session, event_id, PROCESSORS)
    except Exception as exc:
        with unit_of_work() as uow:
            mark_failed(uow.session, event_id, exc)
        raise
    log.info("webhook event %s %s", event_id, status)
    return status


@dramatiq.actor(actor_name="webhooks.process", max_retries=5, min_backoff=1_000, max_backoff=60_000)
def process(event_id: int) -> None:
    _process_one(event_id)


@dramatiq.actor(actor_name="webhooks.process_many", max_retries=0)
def process_many(event_ids: list[int]) -> None:
    """Process a batch of stored events (one queue message for a whole intake batch: one Redis round trip).
    Each event runs in its own unit of work; one that fails is handed to `webhooks.process`, which retries it
    with backoff, so a bad event never holds back or repeats the others."""
    for event_id in event_ids:
        try:
            _process_one(event_id)
        except Exception:  # noqa: BLE001 - retried on its own below
            log.exception("webhook event %s failed; retrying it alone", event_id)
            process.send_with_options(args=(event_id,), delay=1_000)


def enqueue(event_ids: list[int]) -> None:
    """Enqueue processing of newly stored events: one message for one event, one message for a batch."""
    if len(event_ids) == 1:
        process.send(event_ids[0])
    elif event_ids:
        process_many.send(list(event_ids))
