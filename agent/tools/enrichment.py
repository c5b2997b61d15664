"""Enrichment tools: request (spends scraping credits: Approve), review one item (fields with source, quote and
confidence; web text is data), decide it, bulk-approve above a confidence (Approve)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agent.tools.common import Args, FilterField, NoArgs, data_text, message, next_steps, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools.contacts import records as contacts
from tools.enrichment import review as enrichment


class EnrichArgs(Args):
    filter: dict[str, Any] | None = FilterField(required=True)
    priority: int = Field(0, description="Higher goes first.")


class NextArgs(Args):
    skip: list[int] | None = Field(None, description="Job ids to pass over.")


class ReviewArgs(Args):
    job_id: int
    approve: list[str] | str = Field("all", description='"all" or a list of field names to approve.')
    edits: dict[str, str] | None = Field(None, description="{field: value} to correct before approving.")
    reject: bool = Field(False, description="True turns every field down.")


class BulkArgs(Args):
    min_confidence: float = Field(ge=0, le=1, description="Approve verified, unconflicted fields at or above this.")


def _enrich(session, actor, a: EnrichArgs) -> ToolOutput:
    n = enrichment.request_enrichment(session, actor, filter=a.filter, priority=a.priority)
    text = (f"Queued enrichment for {n} contacts (already queued, recently enriched and sample contacts are "
            "skipped). Results wait for review.")
    return ToolOutput(text, message(text, next=next_steps(("Review results", "review enrichment")),
                                    follow={"kind": "enrichment"} if n else None))


def _enrich_summary(session, actor, a: EnrichArgs) -> dict[str, Any]:
    n = contacts.count_contacts(session, actor, a.filter)
    sample = contacts.query_contacts(session, actor, a.filter, page=1, page_size=5)
    return {"title": "Enrich contacts from the web", "action": "search and read their company web pages "
            "(spends scraping credits; every field waits for review)", "who": f"up to {n} contacts matching the "
            "filter (already queued, recently enriched and sample contacts are skipped)", "count": n,
            "sample": [{"name": f"{c.first_name or ''} {c.last_name or ''}".strip(), "company": c.company,
                        "website": c.website} for c in sample.items],
            "details": {"cost": "billed per page fetched by the scraper; not estimated in advance"}}


def _review_display(item: Any) -> tuple[str, dict[str, Any]]:
    rows = [{"field": f.field, "current": f.current, "suggested": f.suggested, "confidence": f"{f.confidence:.2f}",
             "verified": "yes" if f.verified else "no", "conflict": "yes" if f.conflict else "",
             "source": f.source_url, "quote": f.quote} for f in item.fields]
    title = (f"Review #{item.job_id}: {item.contact_name} ({item.company or 'no company'}); "
             f"{item.waiting} waiting.")
    steps = next_steps(("Approve all", f"approve enrichment job {item.job_id}"),
                       ("Reject", f"reject enrichment job {item.job_id}"),
                       ("Skip", f"skip enrichment job {item.job_id}"))
    return title, table(title, list(rows[0].keys()) if rows else ["field"], rows, next=steps)


def _next(session, actor, a: NextArgs) -> ToolOutput:
    item = enrichment.next_review_item(session, actor, skip=a.skip)
    if item is None:
        return ToolOutput("Nothing is waiting for review.", message("Nothing is waiting for review."))
    title, display = _review_display(item)
    return ToolOutput(data_text(title, display["rows"]), display)


def _review(session, actor, a: ReviewArgs) -> ToolOutput:
    r = enrichment.review_enrichment(session, actor, a.job_id, approve=a.approve, edits=a.edits, reject=a.reject)
    text = f"Enrichment #{r.job_id} {r.status}: applied {', '.join(r.applied) or 'nothing'}."
    if r.not_applied:
        text += " Not applied: " + "; ".join(f"{k} ({v})" for k, v in r.not_applied.items()) + "."
    return ToolOutput(text, message(text, next=next_steps(("Next review", "review enrichment"))))


def _bulk_summary(session, actor, a: BulkArgs) -> dict[str, Any]:
    n = enrichment.bulk_approve_preview(session, actor, a.min_confidence)
    return {"title": f"Approve enrichment at confidence ≥ {a.min_confidence:.2f}", "count": n,
            "action": "apply the verified, unconflicted fields at or above the threshold; other fields are not "
                      "applied", "who": f"{n} contacts waiting for review"}


def _bulk(session, actor, a: BulkArgs) -> ToolOutput:
    n = enrichment.bulk_approve(session, actor, a.min_confidence)
    who = "contact" if n == 1 else "contacts"
    return ToolOutput(f"Approved enrichment for {n} {who}.", message(f"Approved enrichment for **{n}** {who}."))


def _overview(session, actor, _a: NoArgs) -> ToolOutput:
    counts = enrichment.enrichment_overview(session, actor)
    text = "Enrichment: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing requested yet") + "."
    steps = next_steps(("Review results", "review enrichment")) if counts.get("in_review") else []
    failures = _failures(session) if counts.get("failed") else []
    if failures:
        steps += next_steps(("Retry the failed ones", "retry failed enrichment"))
    why = "".join(f"\n- {name}: {reason}" for name, reason in failures)
    return ToolOutput(text + (" Why they failed: " + "; ".join(f"{n}: {r}" for n, r in failures) if failures else ""),
                      message(text + (f"\n\n**Why they failed** (latest {len(failures)}):{why}" if failures else ""),
                              next=steps, progress=dict(counts)))


def _failures(session, limit: int = 10) -> list[tuple[str, str]]:
    """(contact, reason in words) of the latest failed enrichment jobs."""
    import sqlalchemy as sa

    from agent.core.render import cell
    from db.models import Contact, EnrichmentJob

    rows = session.execute(sa.select(Contact, EnrichmentJob.error).join(Contact, Contact.id == EnrichmentJob.contact_id)
                           .where(EnrichmentJob.status == "failed")
                           .order_by(EnrichmentJob.finished_at.desc().nulls_last(), EnrichmentJob.id.desc())
                           .limit(limit)).all()
    return [(cell(" ".join(p for p in (c.first_name, c.last_name) if p) or c.email or f"#{c.id}", 80)
             + f" (#{c.id})", cell(error or "no reason recorded", 300)) for c, error in rows]


register(ToolSpec("enrichment_progress", "How many enrichment jobs are pending, running, waiting for review, "
                  "approved, failed.", NoArgs, Permission.CONTACTS_READ, _overview, read_only=True))
register(ToolSpec("enrich_contacts", "Find company and role data on the web for the contacts matching a filter. "
                  "Spends scraping credits: waits for Approve. Results wait for review.", EnrichArgs,
                  Permission.ENRICHMENT_RUN, _enrich, summarise=_enrich_summary))
register(ToolSpec("next_review_item", "The next enrichment result waiting for review: per field the current "
                  "value, suggestion, source URL, quote and confidence.", NextArgs,
                  Permission.ENRICHMENT_REVIEW, _next, untrusted_output=True, read_only=True))
register(ToolSpec("review_enrichment", "Decide one enrichment result: approve all or some fields (with "
                  "optional corrections) or reject it.", ReviewArgs, Permission.ENRICHMENT_REVIEW, _review))
register(ToolSpec("bulk_approve_enrichment", "Approve every waiting result's verified fields at or above a "
                  "confidence. Changes many contacts: waits for Approve.", BulkArgs,
                  Permission.ENRICHMENT_REVIEW, _bulk, summarise=_bulk_summary))
