"""Which campaign earns a reply or a booking, and what a campaign says should stop when one arrives.

Last touch: the most recent campaign activity sent to the contact within `attribution_window_days`
before the event. Campaign send_rules may say `stop_on_reply` / `stop_on_booking`: the contact's queued or
deferred follow-ups in that campaign are then cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign, MarketingActivity
from domain.campaigns import WAITING
from settings import get_settings

_WAITING = sorted(WAITING)  # not claimed yet: a stop rule cancels them


def last_campaign_touch(session: Session, contact_id: int, at: datetime, window_days: int | None = None) -> int | None:
    """The id of the campaign that last sent to this contact in the window before `at`, or None."""
    days = get_settings().attribution_window_days if window_days is None else window_days
    stmt = (sa.select(MarketingActivity.campaign_id)
            .where(MarketingActivity.contact_id == contact_id, MarketingActivity.campaign_id.is_not(None),
                   MarketingActivity.sent_at.is_not(None), MarketingActivity.sent_at <= at,
                   MarketingActivity.sent_at >= at - timedelta(days=days))
            .order_by(MarketingActivity.sent_at.desc(), MarketingActivity.id.desc()).limit(1))
    return session.scalar(stmt)


def campaign_by_reference(session: Session, ref: object) -> int | None:
    """A campaign id from a metadata/UTM value: its id (digits, or 'mkt-<id>') or its exact name."""
    text = str(ref or "").strip()
    if not text:
        return None
    digits = text.removeprefix("mkt-").removeprefix("campaign-")
    if digits.isdigit() and session.get(Campaign, int(digits)) is not None:
        return int(digits)
    return session.scalar(sa.select(Campaign.id).where(Campaign.name == text))


def stop_follow_ups(session: Session, contact_id: int, campaign_id: int | None, rule: str) -> int:
    """Cancel this contact's waiting activities in `campaign_id` when its send_rules[rule] is true
    (rule: stop_on_reply or stop_on_booking). Returns how many were cancelled."""
    if campaign_id is None:
        return 0
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not (campaign.send_rules or {}).get(rule):
        return 0
    result = session.execute(
        sa.update(MarketingActivity)
        .where(MarketingActivity.campaign_id == campaign_id, MarketingActivity.contact_id == contact_id,
               MarketingActivity.status.in_(_WAITING))
        .values(status="cancelled", error_message=f"stopped: {rule.replace('_', ' ')}")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
