"""The in-process worker of the embedded default (no Redis): started with the app, stopped with it."""

from __future__ import annotations

import logging
import threading

import dramatiq

from settings import get_settings

log = logging.getLogger(__name__)
_worker: dramatiq.Worker | None = None
_scheduler = None
_lock = threading.Lock()


def start() -> dramatiq.Worker | None:
    """Start the in-process worker once, unless a Redis broker means separate `mkt worker` processes."""
    global _worker, _scheduler
    settings = get_settings()
    if settings.redis_url:
        return None
    import workers.actors  # noqa: F401  (declare the actors)
    from workers.broker import broker

    with _lock:
        if _worker is None:
            _worker = dramatiq.Worker(broker, worker_threads=settings.worker_threads, worker_timeout=100)
            _worker.start()
            from workers.scheduler import Scheduler

            _scheduler = Scheduler()
            _scheduler.start()
            log.info("in-process worker started with %d threads", settings.worker_threads)
    return _worker


def stop() -> None:
    global _worker, _scheduler
    with _lock:
        if _scheduler is not None:
            _scheduler.stop()
            _scheduler = None
        if _worker is not None:
            _worker.stop(timeout=10_000)
            _worker = None
