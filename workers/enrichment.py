"""The enrichment actor: `enrichment.run(job_id)`, one contact per job.

Limits come from settings and hold across workers when Redis is configured (in-process otherwise): at most
`enrichment_concurrency` jobs at once and `enrichment_jobs_per_minute` started per minute; a job over a limit is
put back with a short delay. 429 (after its Retry-After), 5xx and timeouts retry the job with backoff up to
`enrichment_max_retries` attempts; then, like any permanent error, the job is failed with a readable reason.
No transaction is open while pages load or the model thinks."""

from __future__ import annotations

import logging
import random
import time
from functools import lru_cache
from typing import Any

import dramatiq
from dramatiq.rate_limits import ConcurrentRateLimiter, WindowRateLimiter

from db.session import unit_of_work
from integrations.errors import PermanentError, RetryableError
from integrations.fetcher import Fetcher
from settings import get_settings
from tools.enrichment.jobs import (
    build_extractor,
    build_sources,
    claim_job,
    complete_job,
    fail_job,
    fail_or_retry,
    model_tokens,
    stalled_jobs,
)
from tools.enrichment.pipeline import run_pipeline
from tools.enrichment.sources import SessionCache
from workers import broker as _broker  # noqa: F401
from workers import send_rate
from workers.scheduler import periodic, resend

log = logging.getLogger(__name__)
SWEEP_SECONDS = 300


def run_job(job_id: int, *, fetcher: Fetcher | None = None, model_factory: Any = None) -> str:
    """Run one job to its next state; returns that state (or why nothing was done). Raises RetryableError when
    the job should be tried again later (it is back to pending)."""
    settings = get_settings()
    with unit_of_work() as uow:
        claim = claim_job(uow.session, job_id)
    if isinstance(claim, str):
        log.info("enrichment.run: %s", claim)
        return claim
    throttle = FirecrawlPace(settings.firecrawl_requests_per_minute) if settings.firecrawl_api_key else None
    sources = build_sources(settings, SessionCache(unit_of_work), fetcher, throttle)
    try:
        extractor = build_extractor(settings, model_factory)
        outcome = run_pipeline(claim.subject, sources, extractor)
    except RetryableError as exc:
        return _retry_or_fail(job_id, exc, sources, settings)
    except (PermanentError, ValueError) as exc:
        with unit_of_work() as uow:
            fail_job(uow.session, job_id, f"{exc}", sources.costs, settings)
        return "failed"
    finally:
        sources.close()
    tokens, notes = model_tokens(extractor)
    sources.costs.model_tokens += tokens
    outcome.notes.extend(notes)
    with unit_of_work() as uow:
        return complete_job(uow.session, job_id, outcome, sources.costs, settings)


def _retry_or_fail(job_id: int, exc: RetryableError, sources: Any, settings: Any) -> str:
    with unit_of_work() as uow:
        retrying = fail_or_retry(uow.session, job_id, exc, sources.costs, settings)
    if retrying:
        raise exc  # Dramatiq retries the message after backoff_ms
    return "failed"


def backoff_ms(attempt: int, retry_after: float | None) -> int:
    """Delay before the next attempt: the provider's Retry-After when given, else exponential with jitter."""
    if retry_after:
        return int(retry_after * 1000) + random.randint(0, 500)
    return min(600_000, 5_000 * 2 ** max(0, attempt - 1)) + random.randint(0, 1000)


@lru_cache(maxsize=1)
def _backend() -> Any:
    """Rate-limit state: in Redis when configured (shared by every worker), else in this process."""
    settings = get_settings()
    if settings.redis_url:
        from dramatiq.rate_limits.backends import RedisBackend

        return RedisBackend(url=settings.redis_url)
    from dramatiq.rate_limits.backends import StubBackend

    return StubBackend()


@lru_cache(maxsize=1)
def _limiters() -> tuple[Any, Any]:
    settings = get_settings()
    prefix = settings.queue_namespace
    return (ConcurrentRateLimiter(_backend(), f"{prefix}:enrichment:running", limit=settings.enrichment_concurrency,
                                  ttl=15 * 60 * 1000),
            WindowRateLimiter(_backend(), f"{prefix}:enrichment:started", limit=settings.enrichment_jobs_per_minute,
                              window=60))


class FirecrawlPace:
    """Firecrawl requests on the same schedule as sends (workers/send_rate: one GCRA schedule per provider, shared
    by every worker through Redis), not a second, polling limiter: each HTTP request to Firecrawl (the SDK's own
    retries and resumes too: integrations/firecrawl.py calls this per request) books the next slot of
    MKT_FIRECRAWL_REQUESTS_PER_MINUTE and sleeps until it; when the schedule is full beyond `max_wait` nothing
    is booked and RetryableError says when it frees up (the job goes back to the queue, no thread waits).
    A 429's Retry-After holds every worker back (`hold`)."""

    def __init__(self, per_minute: float, max_wait: float = 20.0, name: str = "firecrawl") -> None:
        self.limiter = send_rate.limiter(name, per_minute / 60.0)
        self.max_wait = max_wait

    def __call__(self) -> None:
        delay, booked = self.limiter.reserve(1, self.max_wait)
        if not booked:
            raise RetryableError("Firecrawl requests per minute used up (MKT_FIRECRAWL_REQUESTS_PER_MINUTE)",
                                 status=429, retry_after=max(delay, 1.0))
        if delay > 0:
            time.sleep(delay)

    def hold(self, seconds: float) -> None:
        self.limiter.hold(seconds)


@dramatiq.actor(actor_name="enrichment.run", queue_name="enrichment", max_retries=1000, min_backoff=1_000,
                max_backoff=600_000, time_limit=10 * 60 * 1000)
def run(job_id: int) -> None:
    """Enrich one contact (job id). Over a limit or after a retryable error the message is retried later;
    the job row says where it stands."""
    concurrent, window = _limiters()
    with window.acquire(raise_on_failure=False) as started:
        if not started:
            raise dramatiq.Retry(message="enrichment rate limit", delay=backoff_ms(1, None))
    with concurrent.acquire(raise_on_failure=False) as running:
        if not running:
            raise dramatiq.Retry(message="enrichment concurrency limit", delay=backoff_ms(1, None))
        try:
            state = run_job(job_id)
        except RetryableError as exc:
            raise dramatiq.Retry(message=str(exc)[:200], delay=backoff_ms(2, exc.retry_after)) from None
    log.info("enrichment job %s: %s", job_id, state)


@periodic(SWEEP_SECONDS)
@dramatiq.actor(actor_name="enrichment.sweep", max_retries=0)
def sweep() -> int:
    """Send again the jobs whose message may be lost (pending too long, or running on a worker that stopped)."""
    return resend(stalled_jobs, run, "stalled enrichment jobs")

