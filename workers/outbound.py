"""Actors that deliver outbound events (tools/outbound.py): `outbound.deliver` posts one delivery and schedules
its own retry with backoff; `outbound.sweep` re-enqueues due pending deliveries (after a lost queue), every minute under the scheduler's lease."""

from __future__ import annotations

import logging

import dramatiq

from db.session import unit_of_work
from tools import outbound
from workers import broker as _broker  # noqa: F401
from workers.scheduler import periodic

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="outbound.deliver", max_retries=0, time_limit=60_000)
def deliver(delivery_id: int) -> str:
    """Post one delivery; the HTTP call happens outside any transaction."""
    with unit_of_work() as uow:
        prepared = outbound.prepare_delivery(uow.session, delivery_id)
    if isinstance(prepared, str):
        log.info("outbound: %s", prepared)
        return "skipped"
    status, error = outbound.post(prepared)
    with unit_of_work() as uow:
        delay = outbound.record_attempt(uow.session, delivery_id, status, error)
    if delay is not None:
        deliver.send_with_options(args=(delivery_id,), delay=int(delay * 1000))
        log.warning("outbound delivery %s failed (%s); retry in %s s", delivery_id, error, delay)
        return "retry"
    return "delivered" if error is None else "failed"


@periodic(60)
@dramatiq.actor(actor_name="outbound.sweep", max_retries=0)
def sweep() -> int:
    """Enqueue every pending delivery whose next attempt is due. Safe to run often: a delivery that is
    already queued just finds itself done or re-posts (receivers dedupe by X-Mkt-Delivery)."""
    with unit_of_work() as uow:
        ids = outbound.due_deliveries(uow.session)
    for delivery_id in ids:
        deliver.send(delivery_id)
    return len(ids)
