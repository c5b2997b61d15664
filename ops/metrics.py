"""Prometheus metrics of the platform: HTTP requests (this process), jobs (every worker, through ops.jobs: counts
by outcome and a duration histogram), the process itself (CPU, memory, open files, GC: prometheus_client's standard
collectors),
sends by channel and status and the webhook inbox (from the database), queue depth (from the broker).

Database and broker figures are read at scrape time and cached for a few seconds, so a scrape every 15 s costs
two small GROUP BY queries and a few Redis calls. A source that fails is reported by `mkt_scrape_error{source}`
instead of failing the whole scrape."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
CACHE_SECONDS = 5.0
disable_created_metrics()  # no *_created series: they double the output and nobody graphs them

registry = CollectorRegistry(auto_describe=True)
for _standard in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):  # process_*, python_info, python_gc_*
    registry.register(_standard)
http_requests = Counter("mkt_http_requests", "HTTP requests served, by method, route template and status.",
                        ["method", "route", "status"], registry=registry)
http_seconds = Histogram("mkt_http_request_duration_seconds", "Time to answer HTTP requests.", ["method", "route"],
                         buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=registry)


def _sends_and_inbox() -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    import sqlalchemy as sa

    from db.models import MarketingActivity, WebhookEvent
    from db.session import get_engine

    with get_engine().connect() as conn:
        sends = conn.execute(sa.select(MarketingActivity.channel, MarketingActivity.status, sa.func.count())
                             .group_by(MarketingActivity.channel, MarketingActivity.status)).all()
        inbox = conn.execute(sa.select(WebhookEvent.provider, WebhookEvent.status, sa.func.count())
                             .group_by(WebhookEvent.provider, WebhookEvent.status)).all()
    return [tuple(r) for r in sends], [tuple(r) for r in inbox]  # type: ignore[misc]


def queue_depths() -> dict[str, int]:
    """Messages held per queue (waiting, delayed or being worked on); dead letters under `<queue>.XQ`."""
    from settings import get_settings

    settings = get_settings()
    if not settings.redis_url:
        from workers.broker import broker

        depths = {name: q.qsize() for name, q in getattr(broker, "queues", {}).items()}
        for name, dead in getattr(broker, "dead_letters_by_queue", {}).items():
            depths[f"{name}.XQ"] = len(dead)
        return depths
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
    prefix = f"{settings.queue_namespace}:"
    depths = {}
    for key in client.scan_iter(match=f"{prefix}*.msgs", count=500):
        name = key.decode()[len(prefix):-len(".msgs")]
        if name.startswith("__") or ":" in name:
            continue
        depths[name] = int(client.hlen(key))
    return depths


class PlatformCollector(Collector):
    """Reads the database, the broker and the job counters at scrape time (cached CACHE_SECONDS)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached_at = 0.0
        self._cached: list[Any] = []

    def describe(self) -> list[Any]:
        """Nothing up front: without this the registry would call collect(), and read the database, at import."""
        return []

    def invalidate(self) -> None:
        """Read the sources again at the next scrape."""
        with self._lock:
            self._cached_at = 0.0

    def collect(self) -> Iterator[Any]:
        with self._lock:
            if time.monotonic() - self._cached_at > CACHE_SECONDS:
                self._cached = list(self._build())
                self._cached_at = time.monotonic()
            yield from self._cached

    def _build(self) -> Iterator[Any]:
        errors = GaugeMetricFamily("mkt_scrape_error", "1 when a source of these metrics could not be read.",
                                   labels=["source"])
        for source, build in (("database", self._database), ("broker", self._broker), ("jobs", self._jobs)):
            try:
                yield from build()
                errors.add_metric([source], 0)
            except Exception as exc:  # noqa: BLE001 - a scrape reports a failing source, it does not fail
                log.warning("metrics source %s unreadable: %s", source, type(exc).__name__)
                errors.add_metric([source], 1)
        yield errors

    def _database(self) -> Iterator[Any]:
        sends, inbox = _sends_and_inbox()
        g = GaugeMetricFamily("mkt_sends", "Marketing activities (sends) by channel and current status.",
                              labels=["channel", "status"])
        for channel, status, count in sends:
            g.add_metric([str(channel), str(status)], count)
        yield g
        w = GaugeMetricFamily("mkt_webhook_events", "Webhook inbox rows by provider and status.",
                              labels=["provider", "status"])
        for provider, status, count in inbox:
            w.add_metric([str(provider), str(status)], count)
        yield w

    def _broker(self) -> Iterator[Any]:
        g = GaugeMetricFamily("mkt_queue_depth", "Messages held by each queue (waiting, delayed or in progress).",
                              labels=["queue"])
        for name, depth in sorted(queue_depths().items()):
            g.add_metric([name], depth)
        yield g

    def _jobs(self) -> Iterator[Any]:
        from ops.jobs import stats

        counts, seconds = stats.counts()
        c = CounterMetricFamily("mkt_jobs", "Jobs finished by actor and outcome (ok, failed, retry, skipped).",
                                labels=["actor", "outcome"])
        for (actor, outcome), n in sorted(counts.items()):
            c.add_metric([actor, outcome], n)
        yield c
        s = CounterMetricFamily("mkt_job_seconds", "Time spent in jobs, by actor.", labels=["actor"])
        for actor, total in sorted(seconds.items()):
            s.add_metric([actor], total)
        yield s
        yield _duration_histogram(stats.durations(), seconds)


def _duration_histogram(durations: dict[str, dict[str, int]], seconds: dict[str, float]) -> HistogramMetricFamily:
    """mkt_job_duration_seconds{actor}: cumulative buckets from the per-bucket counts every worker records."""
    from ops.jobs import DURATION_BUCKETS

    h = HistogramMetricFamily("mkt_job_duration_seconds", "How long jobs took, by actor (every outcome).",
                              labels=["actor"])
    for actor, found in sorted(durations.items()):
        running, buckets = 0, []
        for bound in [*(str(b) for b in DURATION_BUCKETS), "+Inf"]:
            running += found.get(bound, 0)
            buckets.append((bound, running))
        h.add_metric([actor], buckets, sum_value=seconds.get(actor, 0.0))
    return h


collector = PlatformCollector()
registry.register(collector)


def render() -> bytes:
    """The metrics in the Prometheus text format."""
    return generate_latest(registry)
