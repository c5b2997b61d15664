"""Single messages outside a campaign's batches, made ready to send: a campaign's test send to one address and the
answer to an SMS HELP. Each is a `sending.Batch` of one message whose activity is already "sending" (claimed); the
caller (workers/campaigns.py) sends it after commit through the same path as a campaign's batches."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.campaigns import claim
from db.models import Campaign, Contact, MarketingActivity, utcnow
from domain.sms import price_per_segment, segments
from settings import get_settings
from tools.campaigns import sending
from tools.campaigns.messages import render_message
from tools.sender import apply_stored


def prepare_test(session: Session, campaign_id: int, contact_id: int, address: str) -> sending.Batch | None:
    """A test send of the campaign, rendered for the contact, to `address`: records its activity (type "test",
    outside the campaign) and returns the batch of one, or None when the campaign or the contact is gone."""
    campaign = session.get(Campaign, campaign_id)
    contact = session.get(Contact, contact_id)
    if campaign is None or contact is None:
        return None
    activity = MarketingActivity(campaign_id=None, contact_id=contact_id, channel=campaign.channel, type="test",
                                 status="sending", to_address=address, claimed_at=utcnow(), attempts=1)
    session.add(activity)
    session.flush()
    apply_stored(session)  # the sender and brand set in the chat, as a campaign's batches use them
    out = render_message(campaign, contact, activity_id=activity.id, to=address)
    out.activity_id = activity.id
    return sending.Batch(None, campaign.channel, [out])


def queued_helps(session: Session) -> list[int]:
    """Ids of the SMS HELP answers waiting to be sent (queued activities of type "help")."""
    return list(session.scalars(sa.select(MarketingActivity.id).where(
        MarketingActivity.type == "help", MarketingActivity.status == "queued")))


def prepare_help(session: Session, activity_id: int) -> sending.Batch | None:
    """Claim a queued HELP answer and return it as a batch of one SMS carrying the configured help text (segments,
    price and idempotency key set), or None when it was already handled."""
    s = get_settings()
    if not claim(session, [activity_id], utcnow()):
        return None
    activity = session.get(MarketingActivity, activity_id)
    count = segments(s.sms_help_text)
    cost = count * price_per_segment(activity.to_address, s.sms_prices_by_country, s.sms_price_micros)
    activity.idempotency_key = sending.idempotency_key("sms", activity_id)
    session.flush()
    return sending.Batch(None, "sms", [sending.Outgoing(activity_id, activity.contact_id, activity.to_address or "",
                                                        text=s.sms_help_text, segments=count, cost_micros=cost)])
