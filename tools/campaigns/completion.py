"""campaign.completed: the outbound event (tools/outbound.py) that says a campaign's sending ended, written in the
unit of work that marks the campaign completed (tools/campaigns/ticks.complete_finished).

Once per campaign: the announcement is recorded in the campaign's stats (`completed_event_at`), so a campaign that
runs again and completes again (sends in doubt resent anyway, a re-check) is not announced twice. The step
campaigns of a sequence are not announced: they complete and run again as the sequence enrols people."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from db.models import Campaign
from tools import outbound
from tools.campaigns.report import outcome_counts

ANNOUNCED = "completed_event_at"


def announce_completed(session: Session, campaign: Campaign, now: datetime) -> bool:
    """Emit campaign.completed for `campaign` (just marked completed at `now`) unless it was announced before or
    is a sequence's step. Returns whether it was announced."""
    stats = dict(campaign.stats or {})
    if stats.get(ANNOUNCED) or stats.get("sequence_id") is not None:
        return False
    campaign.stats = stats | {ANNOUNCED: now.isoformat()}
    counts, skipped = outcome_counts(session, campaign)
    outbound.emit(session, "campaign.completed", {
        "campaign_id": campaign.id, "name": campaign.name, "channel": campaign.channel, "counts": counts,
        "skipped_by_reason": skipped, "launched_at": campaign.launched_at, "completed_at": now})
    return True
