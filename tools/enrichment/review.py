"""Enrichment: queue contacts, review what was found field by field, apply what a person approves.

Queue states: pending -> running -> in_review -> approved / partly_approved / rejected / failed. A job is one
contact. Jobs are rows first; `enrichment.run` is enqueued after commit (db.jobs.enqueue).
Nothing found on the web reaches a contact without a reviewer's approval (or a bulk approval the chat asked
Approve for). Applying writes the contact and one history entry per field with its citation, and sends each field
written as the outbound event enrichment.approved (in the same unit of work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.filters import compile_filter
from db.jobs import enqueue
from db.models import Campaign, Contact, EnrichmentJob, MarketingActivity, utcnow
from domain.enrichment import Suggestion, approved_subset, field_name, is_stale
from domain.filters import parse
from domain.roles import Permission, require
from domain.wording import plural
from settings import get_settings
from tools import outbound
from tools.enrichment.apply import apply_suggestion, current_values
from tools.users import Actor

OPEN_STATES = ("pending", "running", "in_review")
CAMPAIGN_BOOST = 100
MAX_REQUEST = 10_000


class EnrichmentError(ValueError):
    """A request the enrichment tools cannot do; the message says why."""


@dataclass
class ReviewField:
    field: str
    current: str | None
    suggested: str
    source_url: str
    quote: str
    confidence: float
    verified: bool
    conflict: bool
    alternatives: list[dict[str, Any]]
    sources: list[str]
    note: str = ""


@dataclass
class ReviewItem:
    """The next job to review: who, and per field the current value, the suggestion, its source and quote."""

    job_id: int
    contact_id: int
    contact_name: str
    contact_email: str | None
    company: str | None
    fields: list[ReviewField]
    notes: list[str]
    dropped: list[str]
    costs: dict[str, int]
    waiting: int

    def for_model(self) -> str:
        """A summary safe to hand back to the chat model: ids, counts and our own field names only. Values,
        quotes and notes are text from the web: render them to the person (Chainlit), never into a prompt."""
        conflicts = [f.field for f in self.fields if f.conflict]
        return (f"Enrichment job #{self.job_id} (contact #{self.contact_id}) waits for review: "
                f"{plural(len(self.fields), 'suggested field')}: {', '.join(f.field for f in self.fields)}"
                + (f"; conflicting values for {', '.join(conflicts)}" if conflicts else "")
                + f". {plural(self.waiting, 'job')} waiting in all. The fields, sources and quotes are shown to the user.")


@dataclass
class ReviewResult:
    job_id: int
    contact_id: int
    status: str
    applied: list[str] = field(default_factory=list)
    not_applied: dict[str, str] = field(default_factory=dict)


def request_enrichment(session: Session, actor: Actor, *, filter: Any = None, contact_ids: list[int] | None = None,
                       priority: int = 0, force: bool = False) -> int:
    """Queue enrichment for the contacts matching `filter` (the contacts filter language) or listed in
    `contact_ids` (one of the two is needed). Skips contacts already queued, running or waiting for review, and
    contacts enriched within `enrichment_stale_days` unless `force` is True. Contacts about to receive a message
    of a scheduled or running campaign go first. Returns how many jobs were queued (at most 10,000 per request)."""
    require(actor.role, Permission.ENRICHMENT_RUN, "request enrichment")
    if filter is None and not contact_ids:
        raise EnrichmentError("say which contacts to enrich: a filter or a list of contact ids")
    ids = _matching_ids(session, filter, contact_ids)
    if len(ids) > MAX_REQUEST:
        raise EnrichmentError(f"{len(ids)} contacts match; enrich at most {MAX_REQUEST} per request")
    wanted = _eligible(session, ids, force)
    boosted = _in_campaign(session, wanted)
    jobs = [EnrichmentJob(contact_id=cid, status="pending", requested_by=actor.email, suggestions=[], decisions={},
                          priority=priority + (CAMPAIGN_BOOST if cid in boosted else 0)) for cid in wanted]
    session.add_all(jobs)
    if wanted:
        session.execute(sa.update(Contact).where(Contact.id.in_(wanted)).values(enrichment_status="pending"))
    session.flush()
    for job in sorted(jobs, key=lambda j: -j.priority):
        enqueue(session, "enrichment.run", job.id)
    return len(jobs)


def _matching_ids(session: Session, filter: Any, contact_ids: list[int] | None) -> list[int]:
    query = sa.select(Contact.id).where(Contact.is_sample.is_(False)).order_by(Contact.id)
    if contact_ids:
        query = query.where(Contact.id.in_([int(i) for i in contact_ids]))
    if filter is not None:
        query = query.where(compile_filter(parse(filter), default_region=get_settings().default_region))
    return list(session.scalars(query.limit(MAX_REQUEST + 1)))


def _eligible(session: Session, ids: list[int], force: bool) -> list[int]:
    if not ids:
        return []
    busy = set(session.scalars(sa.select(EnrichmentJob.contact_id).where(
        EnrichmentJob.contact_id.in_(ids), EnrichmentJob.status.in_(OPEN_STATES))))
    if force:
        return [i for i in ids if i not in busy]
    last = dict(session.execute(sa.select(EnrichmentJob.contact_id, sa.func.max(EnrichmentJob.finished_at)).where(
        EnrichmentJob.contact_id.in_(ids), EnrichmentJob.status != "failed").group_by(EnrichmentJob.contact_id)).all())
    now, days = utcnow(), get_settings().enrichment_stale_days
    return [i for i in ids if i not in busy and (i not in last or is_stale(_aware(last[i]), now, days))]


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _in_campaign(session: Session, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    query = (sa.select(MarketingActivity.contact_id).join(Campaign, Campaign.id == MarketingActivity.campaign_id)
             .where(MarketingActivity.contact_id.in_(ids), MarketingActivity.status.in_(("queued", "deferred")),
                    Campaign.status.in_(("scheduled", "running"))))
    return set(session.scalars(query))


def next_review_item(session: Session, actor: Actor, *, skip: list[int] | None = None) -> ReviewItem | None:
    """The next enrichment waiting for review (highest priority, oldest first), or None when none is waiting.
    `skip` lists job ids the reviewer passed over in this conversation. Each field shows the current value,
    the suggested value, the source link, the quote and the confidence; conflicting values are all listed."""
    require(actor.role, Permission.ENRICHMENT_REVIEW, "review enrichment")
    query = sa.select(EnrichmentJob).where(EnrichmentJob.status == "in_review")
    if skip:
        query = query.where(EnrichmentJob.id.not_in(skip))
    job = session.scalar(query.order_by(EnrichmentJob.priority.desc(), EnrichmentJob.finished_at, EnrichmentJob.id))
    if job is None:
        return None
    contact = session.get(Contact, job.contact_id)
    waiting = session.scalar(sa.select(sa.func.count()).where(EnrichmentJob.status == "in_review")) or 0
    return _item(job, contact, waiting)


def _item(job: EnrichmentJob, contact: Contact, waiting: int) -> ReviewItem:
    current = current_values(contact)
    fields = []
    for s in (Suggestion.from_dict(d) for d in job.suggestions):
        fields.append(ReviewField(s.field, current.get(s.field), s.value, s.source_url, s.quote, s.confidence,
                                  s.verified, s.conflict, s.alternatives, s.sources, s.note))
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or (contact.email or f"#{contact.id}")
    info = job.decisions or {}
    return ReviewItem(job.id, contact.id, name, contact.email, contact.company, fields, list(info.get("notes", [])),
                      list(info.get("dropped", [])), _costs(job), waiting)


def _costs(job: EnrichmentJob) -> dict[str, int]:
    return {"scrape_credits": job.scrape_credits, "search_credits": job.search_credits,
            "model_tokens": job.model_tokens, "cost_micros": job.cost_micros}


def review_enrichment(session: Session, actor: Actor, job_id: int, *, approve: list[str] | str = (),
                      edits: dict[str, str] | None = None, reject: bool = False) -> ReviewResult:
    """Decide one job. approve="all" or a list of field names; `edits` {field: value} changes a value before
    approving it (an edit approves its field); reject=True turns every field down. Approved fields are written
    to the contact with a history entry carrying the citation, and each goes out as the outbound event
    enrichment.approved. Unapproved fields are not applied. The job ends approved (every field), partly_approved
    (some) or rejected (none)."""
    result, approvals = _decide(session, actor, job_id, approve=approve, edits=edits, reject=reject)
    outbound.emit_many(session, "enrichment.approved", approvals)
    return result


def _decide(session: Session, actor: Actor, job_id: int, *, approve: list[str] | str = (),
            edits: dict[str, str] | None = None, reject: bool = False) -> tuple[ReviewResult, list[dict[str, Any]]]:
    """review_enrichment without the events: the result and one enrichment.approved payload per field written."""
    require(actor.role, Permission.ENRICHMENT_REVIEW, "review enrichment")
    job = _locked_job(session, job_id)
    contact = session.get(Contact, job.contact_id)
    suggestions = [Suggestion.from_dict(d) for d in job.suggestions]
    if reject:
        chosen, unknown = [], []
    else:
        chosen, unknown = approved_subset(suggestions, approve if approve == "all" else list(approve), edits)
    if unknown:
        raise EnrichmentError(f"no such field: {', '.join(unknown)}")
    result = ReviewResult(job.id, contact.id, "rejected")
    approvals, edited, now = [], {field_name(k) for k in edits or {}}, utcnow()
    for s in chosen:
        problem = apply_suggestion(session, contact, s, actor.email, job.id)
        if problem:
            result.not_applied[s.field] = problem
        else:
            result.applied.append(s.field)
            approvals.append({"contact_id": contact.id, "job_id": job.id, "field": s.field,
                              "value": current_values(contact).get(s.field), "source_url": s.source_url or None,
                              "edited": s.field in edited, "reviewed_by": actor.email, "approved_at": now})
    result.status = _final_status(len(result.applied), len(suggestions))
    _close(job, contact, result, actor.email)
    session.flush()
    return result, approvals


def _locked_job(session: Session, job_id: int) -> EnrichmentJob:
    job = session.scalar(sa.select(EnrichmentJob).where(EnrichmentJob.id == int(job_id)).with_for_update())
    if job is None:
        raise EnrichmentError(f"no enrichment job #{job_id}")
    if job.status != "in_review":
        raise EnrichmentError(f"enrichment job #{job_id} is {job.status}, not waiting for review")
    return job


def _final_status(applied: int, total: int) -> str:
    if applied == 0:
        return "rejected"
    return "approved" if applied >= total else "partly_approved"


def _close(job: EnrichmentJob, contact: Contact, result: ReviewResult, reviewer: str) -> None:
    decisions = dict(job.decisions or {})
    decided = {s["field"]: ("approved" if s["field"] in result.applied else "not approved") for s in job.suggestions}
    decided |= {f: "approved (edited)" for f in result.applied if f not in decided}
    decisions["fields"] = decided
    decisions["not_applied"] = result.not_applied
    job.decisions, job.status, job.reviewed_by = decisions, result.status, reviewer
    contact.enrichment_status = {"approved": "enriched", "partly_approved": "enriched"}.get(result.status, "rejected")


def bulk_approve_preview(session: Session, actor: Actor, min_confidence: float) -> int:
    """How many jobs waiting for review have at least one verified, unconflicted field at or above
    `min_confidence` (0..1). Show this number before bulk_approve; bulk approval needs an explicit Approve."""
    require(actor.role, Permission.ENRICHMENT_REVIEW, "bulk-approve enrichment")
    return len(_bulk_candidates(session, _threshold(min_confidence))[0])


def bulk_approve(session: Session, actor: Actor, min_confidence: float) -> int:
    """Approve, in every job waiting for review, the verified fields without conflict whose confidence is at
    least `min_confidence`; other fields of those jobs are not applied (the job ends partly_approved).
    Returns how many jobs were approved. Run only after the chat showed bulk_approve_preview and got Approve.
    Every field written goes out as its own enrichment.approved event."""
    require(actor.role, Permission.ENRICHMENT_REVIEW, "bulk-approve enrichment")
    jobs, fields = _bulk_candidates(session, _threshold(min_confidence))
    approvals: list[dict[str, Any]] = []
    for job in jobs:
        approvals += _decide(session, actor, job.id, approve=fields[job.id])[1]
    outbound.emit_many(session, "enrichment.approved", approvals)
    return len(jobs)


def _threshold(value: float) -> float:
    value = float(value)
    if not 0 <= value <= 1:
        raise EnrichmentError(f"confidence threshold must be between 0 and 1, got {value}")
    return value


def _bulk_candidates(session: Session, threshold: float) -> tuple[list[EnrichmentJob], dict[int, list[str]]]:
    jobs = list(session.scalars(sa.select(EnrichmentJob).where(EnrichmentJob.status == "in_review")
                                .order_by(EnrichmentJob.priority.desc(), EnrichmentJob.id)))
    chosen, fields = [], {}
    for job in jobs:
        good = [s["field"] for s in job.suggestions if s.get("verified") and not s.get("alternatives")
                and float(s.get("confidence", 0)) >= threshold]
        if good:
            chosen.append(job)
            fields[job.id] = good
    return chosen, fields


def enrichment_overview(session: Session, actor: Actor) -> dict[str, int]:
    """How many enrichment jobs are in each state (pending, running, in_review, approved, ...)."""
    require(actor.role, Permission.CONTACTS_READ, "see enrichment progress")
    rows = session.execute(sa.select(EnrichmentJob.status, sa.func.count()).group_by(EnrichmentJob.status)).all()
    return {status: count for status, count in rows}
