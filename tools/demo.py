"""Sample data for a first look: realistic contacts, a past SMS campaign with its sends, replies and a booking,
and a running Facebook ad campaign with a week of metrics. Every row is marked (contacts: is_sample, source
"sample" and tag "sample"; campaigns and ads: is_sample; bookings: calcom_uid "sample-...") and removable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import (
    AdCampaign,
    AdMetric,
    CalendarBooking,
    Campaign,
    Contact,
    ConversationMessage,
    MarketingActivity,
    utcnow,
)
from domain.roles import Permission, require
from tools.users import Actor

SAMPLE_CAMPAIGN = "Spring roof check (sample)"
SAMPLE_AD = "Storm season roofers (sample)"
SAMPLE_FILTER = {"field": "tags", "op": "has", "value": "roofer"}
_BROKEN_FILTER = {"field": "tags", "op": "contains", "value": "roofer"}  # what earlier versions stored (invalid)
_PEOPLE = [
    ("Jane", "Doe", "Acme Roofing", "Owner", "Austin", "TX", "roofer"),
    ("Carlos", "Rivera", "Rivera Roof & Gutter", "Owner", "Austin", "TX", "roofer"),
    ("Priya", "Shah", "Lone Star Roofing", "Office Manager", "Dallas", "TX", "roofer"),
    ("Tom", "Becker", "Becker Exteriors", "Estimator", "Houston", "TX", "roofer"),
    ("Amy", "Nguyen", "Hill Country Roofs", "Owner", "San Antonio", "TX", "roofer"),
    ("Luis", "Garcia", "Garcia Plumbing", "Owner", "Austin", "TX", "plumber"),
    ("Beth", "Miller", "Miller Pipe Works", "Dispatcher", "Dallas", "TX", "plumber"),
    ("Sam", "Okafor", "Okafor HVAC", "Owner", "Houston", "TX", "hvac"),
    ("Nina", "Kowalski", "Cool Air Co", "Service Manager", "Phoenix", "AZ", "hvac"),
    ("Raj", "Patel", "Desert Roofing", "Owner", "Phoenix", "AZ", "roofer"),
    ("Olivia", "Brown", "Peak Roofing", "Sales Lead", "Denver", "CO", "roofer"),
    ("Mark", "Davis", "Davis Electric", "Owner", "Denver", "CO", "electrician"),
    ("Grace", "Lee", "Bright Spark Electric", "Office Manager", "Austin", "TX", "electrician"),
    ("Ken", "Wright", "Wright Way Roofing", "Owner", "Tulsa", "OK", "roofer"),
    ("Sara", "Cohen", "Cohen Landscaping", "Owner", "Austin", "TX", "landscaper"),
    ("Diego", "Morales", "Morales Lawn & Garden", "Crew Lead", "San Antonio", "TX", "landscaper"),
]


@dataclass
class SampleResult:
    contacts: int
    campaigns: int
    activities: int
    replies: int
    already_loaded: bool = False
    bookings: int = 0
    ad_campaigns: int = 0


@dataclass
class SampleRemoval:
    contacts: int
    campaigns: int
    ad_campaigns: int
    messages: int
    bookings: int = 0


def _contact(i: int, first: str, last: str, company: str, title: str, city: str, region: str, tag: str) -> Contact:
    """One sample contact; a few lack an email or a phone, as real lists do (addresses on .example domains and
    555-01xx numbers, which reach nobody)."""
    domain = company.lower().replace("&", "and").replace(" ", "") + ".example"
    has_email, has_phone = i % 7 != 3, i % 5 != 4
    return Contact(first_name=first, last_name=last, company=company, job_title=title, city=city, region=region,
                   country="US", email=f"{first.lower()}@{domain}" if has_email else None,
                   phone=f"+1512555{100 + i:04d}" if has_phone else None, website=f"https://{domain}",
                   domain=domain, timezone="America/Chicago" if region in ("TX", "OK") else "America/Denver",
                   tags=[tag, "sample"], attributes={}, source="sample", is_sample=True)


def _booking(session: Session, contact: Contact, campaign_id: int) -> None:
    """A Cal.com-like booking in three days, linked to the sample campaign."""
    start = (utcnow() + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    session.add(CalendarBooking(contact_id=contact.id, campaign_id=campaign_id, calcom_uid=f"sample-{contact.id}",
                                title="Roof check flyer call (sample)", attendee_email=contact.email, start_at=start,
                                end_at=start + timedelta(minutes=30), status="accepted", last_event_at=utcnow(),
                                data={"sample": True}))


def _ad(session: Session, actor: Actor) -> int:
    """A running Facebook ad campaign with the last seven days of results."""
    ad = AdCampaign(name=SAMPLE_AD, platform="facebook", status="active", brief="Free roof checks before storm season",
                    target_filter={"field": "tags", "op": "has", "value": "roofer"}, targeting={"region": "TX"},
                    variants=[{"primary_text": "Storm season is coming. Book a free roof check today.",
                               "headline": "Free roof check", "description": "Local roofers, fast visits"}],
                    created_by=actor.email, is_sample=True)
    session.add(ad)
    session.flush()
    today = utcnow().date()
    for n in range(7):
        spend, impressions, clicks = 12_000_000 + n * 500_000, 2400 + n * 90, 38 + n * 3
        session.add(AdMetric(ad_campaign_id=ad.id, day=today - timedelta(days=7 - n), spend_micros=spend,
                             impressions=impressions, clicks=clicks, conversions=1 + n % 3))
        ad.spend_micros += spend
        ad.impressions += impressions
        ad.clicks += clicks
        ad.conversions += 1 + n % 3
    return 1


def _campaign(session: Session, people: list[Contact], actor: Actor) -> tuple[int, int]:
    """A completed SMS campaign ten days ago to the roofers with a phone: sends, a few replies, one booking.
    Returns (sends, replies)."""
    sent_at = utcnow() - timedelta(days=10)
    camp = Campaign(name=SAMPLE_CAMPAIGN, channel="sms", status="completed",
                    target_filter=SAMPLE_FILTER,
                    body_text="Hi {first_name}, spring storms are coming: want a free roof-check flyer for your "
                              "customers? Reply YES. Reply STOP to opt out.",
                    stats={}, send_rules={}, created_by=actor.email, launched_at=sent_at,
                    completed_at=sent_at + timedelta(minutes=5), is_sample=True)
    session.add(camp)
    session.flush()
    acts = replies = 0
    for n, c in enumerate(p for p in people if "roofer" in p.tags and p.phone):
        status = "delivered" if n % 4 else "sent"
        session.add(MarketingActivity(campaign_id=camp.id, contact_id=c.id, channel="sms", status=status,
                                      to_address=c.phone, provider="sandbox", segments=1, cost_micros=8_000,
                                      sent_at=sent_at))
        acts += 1
        if n == 0:
            _booking(session, c, camp.id)
        if n % 3 == 0:
            session.add(ConversationMessage(contact_id=c.id, campaign_id=camp.id, channel="sms", direction="inbound",
                                            body="YES please send it", sender=c.phone,
                                            chatwoot_conversation_id=simulated_conversation_id(c.id),
                                            occurred_at=sent_at + timedelta(hours=2 + n)))
            replies += 1
    return acts, replies


def load_sample_data(session: Session, actor: Actor) -> SampleResult:
    """Add realistic sample contacts (tagged "sample", source "sample"), a past SMS campaign with its sends,
    replies and a booking, and an ad campaign with a week of metrics, so searches, history, analytics and ad
    reports show something. Needs contacts:write. Loading twice adds nothing."""
    require(actor.role, Permission.CONTACTS_WRITE, "load sample data")
    if session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.is_sample.is_(True))):
        _repair(session)
        return SampleResult(0, 0, 0, 0, already_loaded=True)
    people = [_contact(i, *row) for i, row in enumerate(_PEOPLE)]
    taken = set(session.scalars(sa.select(Contact.email).where(Contact.email.in_([p.email for p in people if p.email]))))
    people = [p for p in people if p.email not in taken]
    session.add_all(people)
    session.flush()
    acts, replies, ads = 0, 0, 0
    if not session.scalar(sa.select(Campaign.id).where(Campaign.name == SAMPLE_CAMPAIGN)):
        acts, replies = _campaign(session, people, actor)
    if not session.scalar(sa.select(AdCampaign.id).where(AdCampaign.name == SAMPLE_AD)):
        ads = _ad(session, actor)
    session.flush()
    return SampleResult(len(people), 1 if acts else 0, acts, replies, bookings=1 if acts else 0, ad_campaigns=ads)


def simulated_conversation_id(contact_id: int) -> int:
    """The Chatwoot conversation id of a sample reply: negative, so it is never a real Chatwoot conversation. In
    sandbox a reply to it is recorded and labelled simulated; a configured Chatwoot is never called for it."""
    return -int(contact_id)


def _repair(session: Session) -> None:
    """Sample data loaded by an earlier version: its campaign's audience used an operator tags never took, and its
    replies had no (simulated) conversation to answer in."""
    for camp in session.scalars(sa.select(Campaign).where(Campaign.is_sample.is_(True))):
        if camp.target_filter == _BROKEN_FILTER:
            camp.target_filter = dict(SAMPLE_FILTER)
    sample = sa.select(Contact.id).where(Contact.is_sample.is_(True)).scalar_subquery()
    for msg in session.scalars(sa.select(ConversationMessage).where(
            ConversationMessage.contact_id.in_(sample), ConversationMessage.chatwoot_conversation_id.is_(None))):
        msg.chatwoot_conversation_id = simulated_conversation_id(msg.contact_id)
    session.flush()


def sample_counts(session: Session) -> dict[str, int]:
    """How many sample rows exist (for the approval summary of a removal)."""
    def count(model, flag) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(flag.is_(True))) or 0
    return {"contacts": count(Contact, Contact.is_sample), "campaigns": count(Campaign, Campaign.is_sample),
            "ad_campaigns": count(AdCampaign, AdCampaign.is_sample)}


def remove_sample_data(session: Session, actor: Actor) -> SampleRemoval:
    """Delete every sample row (contacts marked is_sample with their history, sample campaigns, bookings and ads).
    Real data is never touched."""
    require(actor.role, Permission.CONTACTS_WRITE, "remove sample data")
    ids = sa.select(Contact.id).where(Contact.is_sample.is_(True)).scalar_subquery()
    camp_ids = sa.select(Campaign.id).where(Campaign.is_sample.is_(True)).scalar_subquery()
    bookings = session.execute(sa.delete(CalendarBooking).where(sa.or_(
        CalendarBooking.contact_id.in_(ids), CalendarBooking.calcom_uid.like("sample-%")))).rowcount
    msgs = session.execute(sa.delete(ConversationMessage).where(
        sa.or_(ConversationMessage.contact_id.in_(ids), ConversationMessage.campaign_id.in_(camp_ids)))).rowcount
    session.execute(sa.delete(MarketingActivity).where(
        sa.or_(MarketingActivity.contact_id.in_(ids), MarketingActivity.campaign_id.in_(camp_ids))))
    camps = session.execute(sa.delete(Campaign).where(Campaign.is_sample.is_(True))).rowcount
    ads = session.execute(sa.delete(AdCampaign).where(AdCampaign.is_sample.is_(True))).rowcount
    people = session.execute(sa.delete(Contact).where(Contact.is_sample.is_(True))).rowcount
    session.flush()
    return SampleRemoval(people, camps, ads, msgs, bookings)
