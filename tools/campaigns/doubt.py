"""Sends in doubt: a campaign's rows whose request may have reached the provider without a recorded answer.

A row is "unknown" only once its request may have left (`requested_at`, set right before the provider call; rows
never requested go back to the queue by themselves). SMS in doubt are retried with the same Idempotency-Key by the
tick, so they never stay in doubt; an email in doubt is looked up at Postmark by its metadata on every tick
("checking") and, when still not found after Postmark's indexing delay, left for a person ("review"). For those:

- `check_again`: look them up at Postmark again on the next tick (e.g. after the provider's incident is over);
- `resend_anyway` (ASK FOR APPROVAL FIRST, stating the risk): queue them again. If the first request did reach
  Postmark, the recipient gets the message twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign, Contact, MarketingActivity, utcnow
from domain import channels
from domain.roles import Permission, require
from domain.wording import plural
from tools.users import Actor

A = MarketingActivity
RISK = ("if the first request did reach the provider (its answer was lost and its search has not found it), "
        "these people get the message twice")


@dataclass
class InDoubt:
    activity_id: int
    contact_id: int
    channel: str
    to: str | None
    requested_at: datetime | None
    state: str  # "checking": looked up at the provider on each tick; "review": not found, a person decides
    note: str | None


@dataclass
class DoubtAction:
    campaign_id: int
    name: str
    action: str  # "check again" | "resend anyway"
    count: int
    text: str


def _campaign(session: Session, actor: Actor, ref: int | str, what: str) -> Campaign:
    from tools.campaigns.lifecycle import _get

    require(actor.role, Permission.CAMPAIGNS, what)
    return _get(session, ref)


def in_doubt(session: Session, campaign_id: int) -> list[InDoubt]:
    """The campaign's sends in doubt ("unknown"), oldest request first: `state` "review" (not found at the provider
    after its indexing delay: a person decides) or "checking" (looked up again on the next tick)."""
    rows = session.execute(sa.select(A.id, A.contact_id, A.channel, A.to_address, A.requested_at, A.error_code,
                                     A.error_message, Contact.email, Contact.phone)
                           .join(Contact, Contact.id == A.contact_id)
                           .where(A.campaign_id == campaign_id, A.status == "unknown")
                           .order_by(A.requested_at, A.id)).all()
    return [InDoubt(r.id, r.contact_id, r.channel, r.to_address or channels.address_of(r.channel, r),
                    r.requested_at, "review" if r.error_code == "review" else "checking", r.error_message)
            for r in rows]


def list_in_doubt(session: Session, actor: Actor, ref: int | str) -> tuple[Campaign, list[InDoubt]]:
    """`in_doubt` of a campaign given by id or exact name, for someone allowed to see campaigns."""
    campaign = _campaign(session, actor, ref, "see campaigns")
    return campaign, in_doubt(session, campaign.id)


def _review_ids(session: Session, campaign_id: int, activity_ids: list[int] | None) -> list[int]:
    stmt = sa.select(A.id).where(A.campaign_id == campaign_id, A.status == "unknown", A.error_code == "review")
    if activity_ids:
        stmt = stmt.where(A.id.in_(activity_ids))
    return list(session.scalars(stmt.order_by(A.id)))


def check_again(session: Session, actor: Actor, ref: int | str,
                activity_ids: list[int] | None = None) -> DoubtAction:
    """Look the campaign's sends left for review (all, or `activity_ids`) up at the provider again: the next tick
    searches for each by its metadata; found -> sent, still not found -> back to review. Sends nothing."""
    campaign = _campaign(session, actor, ref, "check sends in doubt")
    ids = _review_ids(session, campaign.id, activity_ids)
    if ids:
        session.execute(sa.update(A).where(A.id.in_(ids), A.status == "unknown").values(
            error_code=None, updated_at=utcnow(),
            error_message=f"checked again at the provider by {actor.email}: looked up on the next tick"))
    text = (f"{plural(len(ids), 'send')} of '{campaign.name}' will be looked up at the provider again within seconds."
            if ids else f"'{campaign.name}' has no send left for review.")
    return DoubtAction(campaign.id, campaign.name, "check again", len(ids), text)


def resend_anyway(session: Session, actor: Actor, ref: int | str,
                  activity_ids: list[int] | None = None) -> DoubtAction:
    """Queue the campaign's sends left for review (all, or `activity_ids`) again. ASK FOR APPROVAL FIRST and state
    the RISK: if a first request did reach the provider, that person gets the message twice. A completed campaign
    runs again until they are sent; a paused or cancelled one is refused (resume it first)."""
    campaign = _campaign(session, actor, ref, "resend sends in doubt")
    if campaign.status not in ("running", "completed"):
        raise ValueError(f"campaign {campaign.name!r} is {campaign.status}: resume it before resending")
    ids = _review_ids(session, campaign.id, activity_ids)
    if ids:
        now = utcnow()
        session.execute(sa.update(A).where(A.id.in_(ids), A.status == "unknown").values(
            status="queued", error_code=None, claimed_at=None, requested_at=None, updated_at=now,
            error_message=f"resent anyway by {actor.email} (risk: {RISK})"))
        campaign.status, campaign.completed_at = "running", None
        session.flush()
        from tools.campaigns.lifecycle import enqueue_after_commit

        enqueue_after_commit(session, campaign.id, ids)
    text = (f"{plural(len(ids), 'send')} of '{campaign.name}' queued again; risk: {RISK}." if ids
            else f"'{campaign.name}' has no send left for review.")
    return DoubtAction(campaign.id, campaign.name, "resend anyway", len(ids), text)
