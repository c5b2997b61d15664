"""Every actor of the platform, imported by `mkt worker` and by the in-process worker.
Actors take ids, open their own unit of work, and say plainly when a row is gone. Names are `area.verb`."""

from __future__ import annotations

import logging

import dramatiq

import workers.inbox  # noqa: F401  (webhooks.sweep: re-enqueues stored events left pending)
import workers.outbound  # noqa: F401  (outbound.deliver, outbound.sweep)
from workers import (
    analytics,  # noqa: F401,E402  (analytics.refresh, periodic)
    campaigns,  # noqa: F401,E402  (campaigns.send_batch, send_test, send_help, tick)
    enrichment,  # noqa: F401,E402  (enrichment.run)
    imports,  # noqa: F401,E402  (imports.run, imports.sweep: CSV imports as jobs)
    sequences,  # noqa: F401,E402  (sequences.tick, periodic)
    webhooks,  # noqa: F401,E402  (webhooks.process, process_many; every provider's processor in PROCESSORS)
)
from workers import broker as _broker  # noqa: F401  (sets the broker before the actors bind to it)

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="system.ping", max_retries=0)
def system_ping(token: str) -> str:
    """Round-trip check used by `mkt doctor` and the tests: proves a worker consumes the queue."""
    log.info("system.ping %s", token)
    return token
