"""`analytics.refresh`: every minute, bring daily_analytics up to date (tools.analytics.refresh).

The scheduler enqueues it at most once a minute across all processes; a second lease held while it runs keeps two
refreshes from overlapping when one takes longer than the interval."""

from __future__ import annotations

import logging
import os
import socket
import threading

import dramatiq

from db.locks import release, try_lease
from db.session import unit_of_work
from tools import analytics
from workers import broker as _broker  # noqa: F401
from workers.scheduler import periodic

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 60
RUN_LEASE = "analytics.refresh:running"
RUN_LEASE_SECONDS = 1_800


def refresh_now(owner: str) -> list[str] | None:
    """One refresh under the run lease: the days recomputed (ISO dates), or None when another refresh runs."""
    with unit_of_work() as uow:
        if not try_lease(uow.session, RUN_LEASE, owner, RUN_LEASE_SECONDS, renew=False):
            return None
    try:
        with unit_of_work() as uow:
            result = analytics.refresh(uow.session)
        return [d.isoformat() for d in result.days]
    finally:
        with unit_of_work() as uow:
            release(uow.session, RUN_LEASE, owner)


@periodic(INTERVAL_SECONDS)
@dramatiq.actor(actor_name="analytics.refresh", max_retries=0, time_limit=RUN_LEASE_SECONDS * 1000)
def refresh() -> int:
    """Recompute today, yesterday and the days changed since the last refresh. Returns how many days."""
    days = refresh_now(_owner())
    if days is None:
        log.info("analytics.refresh: another refresh is running; skipped")
        return 0
    log.info("analytics.refresh: days recomputed: %d", len(days))
    return len(days)


def _owner() -> str:
    """This process and thread: one refresh holder."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
