"""The database side of pacing a campaign's batches (workers/campaigns.py books the rate-limit slots and defers
batches in the queue): which rows of a batch are still waiting, and when a deferred batch's rows are due."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign, MarketingActivity, utcnow

A = MarketingActivity


def still_queued(session: Session, campaign_id: int, activity_ids: list[int]) -> tuple[str, list[int]] | None:
    """The running campaign's channel and which of `activity_ids` are still queued (by id); None when the campaign
    is gone or not running (the claim says why nothing goes)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status != "running":
        return None
    queued = session.scalars(sa.select(A.id).where(A.id.in_(activity_ids), A.status == "queued").order_by(A.id))
    return campaign.channel, list(queued)


def hold(session: Session, activity_ids: list[int], seconds: float) -> None:
    """Mark the rows of a deferred batch that are still queued as due in `seconds` (`scheduled_for`): the
    stalled-campaign check of the tick leaves them alone until then. They stay queued: nothing is in doubt."""
    session.execute(sa.update(A).where(A.id.in_(activity_ids), A.status == "queued").values(
        scheduled_for=utcnow() + timedelta(seconds=seconds)))
    session.flush()
