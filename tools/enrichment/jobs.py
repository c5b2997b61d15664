"""One enrichment job's life in the worker: claim it (pending -> running), run the pipeline with no transaction
open, then record the outcome (-> in_review, or failed with a reason a reviewer can read) and its costs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Contact, EnrichmentJob, utcnow
from domain.wording import plural
from integrations.fetcher import Fetcher
from settings import Settings, get_settings
from tools.enrichment.apply import current_values
from tools.enrichment.pipeline import Combined, Extractor, Outcome, RuleExtractor, Subject
from tools.enrichment.sources import Costs, PageCache, Sources


@dataclass
class Claim:
    job_id: int
    subject: Subject


def claim_job(session: Session, job_id: int) -> Claim | str:
    """Mark a pending job running and snapshot its contact. Returns a Claim, or a plain reason to do nothing
    (gone, or not pending: a duplicate message)."""
    job = session.get(EnrichmentJob, job_id, with_for_update=True)
    if job is None:
        return f"enrichment job #{job_id} is gone"
    if job.status != "pending":
        return f"enrichment job #{job_id} is already {job.status}"
    contact = session.get(Contact, job.contact_id)
    if contact is None:
        return f"the contact of enrichment job #{job_id} is gone"
    job.status, job.started_at, job.attempts = "running", utcnow(), job.attempts + 1
    contact.enrichment_status = "running"
    subject = Subject(contact.id, contact.first_name, contact.last_name, contact.email, contact.company,
                      contact.website, contact.domain, current_values(contact))
    return Claim(job.id, subject)


def complete_job(session: Session, job_id: int, outcome: Outcome, costs: Costs, settings: Settings) -> str:
    """Store what the run found and move the job to in_review (or failed when nothing usable came out)."""
    job = session.get(EnrichmentJob, job_id)
    if job is None:
        return "gone"
    contact = session.get(Contact, job.contact_id)
    _record_costs(job, costs, settings)
    job.suggestions = [s.to_dict() for s in outcome.suggestions]
    job.decisions = {"notes": outcome.notes[:50], "dropped": outcome.dropped[:50], "pages": outcome.pages[:50]}
    job.finished_at = utcnow()
    if outcome.suggestions:
        job.status, job.error = "in_review", None
    else:
        job.status = "failed"
        job.error = _nothing_found(outcome)
    if contact is not None:
        contact.enrichment_status = "in_review" if job.status == "in_review" else "failed"
    return job.status


def fail_job(session: Session, job_id: int, reason: str, costs: Costs | None = None,
             settings: Settings | None = None, *, retrying: bool = False) -> None:
    """Record a failure. retrying=True puts the job back to pending (the worker will try again)."""
    job = session.get(EnrichmentJob, job_id)
    if job is None:
        return
    if costs is not None:
        _record_costs(job, costs, settings or get_settings())
    job.error = reason[:2000]
    job.status = "pending" if retrying else "failed"
    job.finished_at = None if retrying else utcnow()
    contact = session.get(Contact, job.contact_id)
    if contact is not None:
        contact.enrichment_status = "pending" if retrying else "failed"


def fail_or_retry(session: Session, job_id: int, error: Exception, costs: Costs | None = None,
                  settings: Settings | None = None) -> bool:
    """A passing failure (the provider busy, a timeout): the job goes back to pending while it has attempts left
    (MKT_ENRICHMENT_MAX_RETRIES retries after the first), else it fails for good ("gave up after retries").
    Returns True when the caller should try again."""
    settings = settings or get_settings()
    job = session.get(EnrichmentJob, job_id)
    retrying = job is not None and job.attempts < settings.enrichment_max_retries + 1
    reason = f"{error} (attempt {job.attempts if job else '?'})" if retrying else f"gave up after retries: {error}"
    fail_job(session, job_id, reason, costs, settings, retrying=retrying)
    return retrying


def stalled_jobs(session: Session, *, pending_minutes: int = 10, running_minutes: int = 20) -> list[int]:
    """Jobs whose queue message may be lost: running for longer than `running_minutes` (a killed worker; put back
    to pending) and pending untouched for `pending_minutes`. Returns their ids, to be sent again."""
    now = utcnow()
    stuck = list(session.scalars(sa.select(EnrichmentJob).where(
        EnrichmentJob.status == "running", EnrichmentJob.started_at < now - timedelta(minutes=running_minutes))))
    for job in stuck:
        job.status, job.error = "pending", "the worker stopped while running this job; queued again"
    lost = list(session.scalars(sa.select(EnrichmentJob.id).where(
        EnrichmentJob.status == "pending", EnrichmentJob.updated_at < now - timedelta(minutes=pending_minutes))
        .order_by(EnrichmentJob.priority.desc(), EnrichmentJob.id).limit(1000)))
    session.flush()
    return [j.id for j in stuck] + [i for i in lost if i not in {j.id for j in stuck}]


def _record_costs(job: EnrichmentJob, costs: Costs, settings: Settings) -> None:
    job.scrape_credits += costs.scrape_credits
    job.search_credits += costs.search_credits
    job.model_tokens += costs.model_tokens
    # cost_micros is the Firecrawl spend; analytics prices model_tokens itself (settings.model_token_price_micros)
    job.cost_micros += (costs.scrape_credits + costs.search_credits) * settings.firecrawl_credit_micros


def _nothing_found(outcome: Outcome) -> str:
    why = "; ".join(outcome.notes[:3]) or "the pages read held nothing new"
    if outcome.dropped:
        why += f"; {plural(len(outcome.dropped), 'finding')} failed verification"
    return f"nothing to suggest: {why}"[:2000]


def build_sources(settings: Settings, cache: PageCache | None, fetcher: Fetcher | None = None,
                  throttle: Callable[[], None] | None = None) -> Sources:
    """Firecrawl when FIRECRAWL_API_KEY (or a self-hosted FIRECRAWL_API_URL with a key) is set, else the fetcher.
    `throttle` runs before each Firecrawl request (the per-minute limit)."""
    firecrawl = None
    if settings.firecrawl_api_key:
        from integrations.firecrawl import FirecrawlClient

        firecrawl = FirecrawlClient(api_key=settings.firecrawl_api_key, api_url=settings.firecrawl_api_url,
                                    throttle=throttle)
    if firecrawl is None and fetcher is None:
        fetcher = Fetcher(allow_loopback=settings.fetch_allow_loopback, timeout=settings.fetch_timeout_seconds,
                          max_bytes=settings.fetch_max_bytes, max_redirects=settings.fetch_max_redirects)
    return Sources(fetcher=fetcher, firecrawl=firecrawl, cache=cache,
                   ttl_seconds=settings.enrichment_cache_ttl_hours * 3600, max_pages=settings.enrichment_max_pages,
                   allow_loopback=settings.fetch_allow_loopback)


def build_extractor(settings: Settings, model_factory: Callable[[], Any] | None = None) -> Extractor:
    """Rules offline; rules plus the language model when OPENAI_API_KEY is set."""
    if settings.offline_model and model_factory is None:
        return RuleExtractor()
    from tools.enrichment.llm import LlmExtractor

    if model_factory is None:
        from integrations.llm import chat_model

        def model_factory() -> Any:
            return chat_model(api_key=settings.openai_api_key, model=settings.openai_model,
                              base_url=settings.openai_base_url, timeout=60)

    return Combined(RuleExtractor(), LlmExtractor(model_factory(), page_chars=settings.enrichment_llm_page_chars))


def model_tokens(extractor: Extractor) -> tuple[int, list[str]]:
    """Tokens spent and notes of the model part of an extractor (0 and none offline)."""
    parts = getattr(extractor, "extractors", (extractor,))
    tokens = sum(getattr(p, "tokens", 0) for p in parts)
    notes = [n for p in parts for n in getattr(p, "notes", [])]
    return tokens, notes
