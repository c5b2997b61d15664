"""Dramatiq middleware: each job runs with its job id in the logs, and its outcome is counted for /metrics.

Counts live in Redis when the queue does (so /metrics on the app sees what every worker process did) and in this
process otherwise (the embedded worker). A metrics failure never fails a job. A successful `system.ping` leaves a
"pong" that `mkt doctor` waits for: the proof that a worker consumes the queue."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from ops.logging import job_id_var

log = logging.getLogger("mkt.jobs")
PONG_TTL_SECONDS = 300
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def bucket_of(seconds: float) -> str:
    """The histogram bucket (upper bound, as Prometheus writes it) a job's duration falls in."""
    for bound in DURATION_BUCKETS:
        if seconds <= bound:
            return str(bound)
    return "+Inf"


class JobStats:
    """Counters of finished jobs by actor and outcome, shared through Redis when there is one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local_counts: dict[str, int] = {}
        self._local_seconds: dict[str, float] = {}
        self._local_buckets: dict[str, int] = {}
        self._local_pongs: set[str] = set()
        self._client: Any = None

    def _redis(self) -> Any:
        from settings import get_settings

        settings = get_settings()
        if not settings.redis_url:
            return None
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=2)
        return self._client

    def _key(self, name: str) -> str:
        from settings import get_settings

        return f"{get_settings().queue_namespace}:mkt:{name}"

    def record(self, actor: str, outcome: str, seconds: float) -> None:
        client = self._redis()
        if client is None:
            with self._lock:
                key = f"{actor}|{outcome}"
                self._local_counts[key] = self._local_counts.get(key, 0) + 1
                self._local_seconds[actor] = self._local_seconds.get(actor, 0.0) + seconds
                slot = f"{actor}|{bucket_of(seconds)}"
                self._local_buckets[slot] = self._local_buckets.get(slot, 0) + 1
            return
        pipe = client.pipeline(transaction=False)
        pipe.hincrby(self._key("jobs"), f"{actor}|{outcome}", 1)
        pipe.hincrbyfloat(self._key("job_seconds"), actor, seconds)
        pipe.hincrby(self._key("job_buckets"), f"{actor}|{bucket_of(seconds)}", 1)
        pipe.execute()

    def durations(self) -> dict[str, dict[str, int]]:
        """actor -> {bucket upper bound: jobs whose duration fell in it (not cumulative)}."""
        client = self._redis()
        if client is None:
            with self._lock:
                raw = dict(self._local_buckets)
        else:
            raw = {k.decode(): int(v) for k, v in client.hgetall(self._key("job_buckets")).items()}
        out: dict[str, dict[str, int]] = {}
        for slot, n in raw.items():
            actor, _, bound = slot.rpartition("|")
            out.setdefault(actor, {})[bound] = n
        return out

    def counts(self) -> tuple[dict[tuple[str, str], int], dict[str, float]]:
        client = self._redis()
        if client is None:
            with self._lock:
                raw_counts, raw_seconds = dict(self._local_counts), dict(self._local_seconds)
        else:
            raw_counts = {k.decode(): int(v) for k, v in client.hgetall(self._key("jobs")).items()}
            raw_seconds = {k.decode(): float(v) for k, v in client.hgetall(self._key("job_seconds")).items()}
        counts = {tuple(k.split("|", 1)): v for k, v in raw_counts.items() if "|" in k}
        return counts, raw_seconds  # type: ignore[return-value]

    def pong(self, token: str) -> None:
        client = self._redis()
        if client is None:
            with self._lock:
                self._local_pongs.add(token)
            return
        client.set(self._key(f"pong:{token}"), "1", ex=PONG_TTL_SECONDS)

    def has_pong(self, token: str) -> bool:
        client = self._redis()
        if client is None:
            with self._lock:
                return token in self._local_pongs
        return bool(client.exists(self._key(f"pong:{token}")))


stats = JobStats()


def _is_periodic(actor_name: str) -> bool:
    try:
        from workers.scheduler import PERIODIC
    except ImportError:  # pragma: no cover
        return False
    return actor_name in PERIODIC


class JobContext(Middleware):
    """Set the job id for the logs of a job, log its end (no arguments, no payloads), and count it."""

    def __init__(self) -> None:
        self._local = threading.local()

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._local.token = job_id_var.set(message.message_id)
        self._local.started = time.monotonic()
        self._local.span = _start_span(message)

    def after_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message, *,
                              result: Any = None, exception: BaseException | None = None) -> None:
        outcome = "ok" if exception is None else ("retry" if isinstance(exception, dramatiq.Retry) else "failed")
        self._finish(message, outcome, exception)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._finish(message, "skipped", None)

    def _finish(self, message: dramatiq.Message, outcome: str, exception: BaseException | None) -> None:
        seconds = time.monotonic() - getattr(self._local, "started", time.monotonic())
        level = logging.WARNING if outcome == "failed" else logging.INFO
        if outcome == "ok" and _is_periodic(message.actor_name):
            level = logging.DEBUG  # a tick every few seconds would drown the log
        log.log(level, "job %s", outcome, extra={"actor": message.actor_name, "outcome": outcome,
                                                  "duration_ms": round(seconds * 1000, 1),
                                                  "retries": message.options.get("retries", 0),
                                                  "error": type(exception).__name__ if exception else None})
        try:
            stats.record(message.actor_name, outcome, seconds)
            if message.actor_name == "system.ping" and outcome == "ok" and message.args:
                stats.pong(str(message.args[0]))
        except Exception as exc:  # noqa: BLE001 - metrics must never fail a job
            log.debug("job stats not recorded: %s", type(exc).__name__)
        _end_span(getattr(self._local, "span", None), outcome, message, exception)
        self._local.span = None
        token = getattr(self._local, "token", None)
        if token is not None:
            job_id_var.reset(token)
            self._local.token = None


def _start_span(message: dramatiq.Message) -> Any:
    """A trace span for the job (a no-op unless OpenTelemetry is configured: ops/observability.py)."""
    try:
        from ops.observability import tracer

        return tracer().start_span(f"job {message.actor_name}", attributes={
            "mkt.actor": message.actor_name, "mkt.queue": message.queue_name, "mkt.job_id": message.message_id})
    except Exception as exc:  # noqa: BLE001 - tracing must never fail a job
        log.debug("job span not started: %s", type(exc).__name__)
        return None


def _end_span(span: Any, outcome: str, message: dramatiq.Message, exception: BaseException | None) -> None:
    if span is None:
        return
    try:
        from opentelemetry.trace import Status, StatusCode

        span.set_attribute("mkt.outcome", outcome)
        span.set_attribute("mkt.retries", int(message.options.get("retries", 0)))
        if outcome == "failed" and exception is not None:
            span.set_status(Status(StatusCode.ERROR, f"{type(exception).__name__}: {exception}"[:500]))
        span.end()
    except Exception as exc:  # noqa: BLE001 - tracing must never fail a job
        log.debug("job span not ended: %s", type(exc).__name__)
