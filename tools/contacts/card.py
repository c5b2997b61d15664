"""The contact card: one contact with everything a marketer looks for, in one read-only call. Every field, tags
and attributes, consent per channel (opted out or not, when and why, suppressions), enrichment with its sources,
the last messages with their text, conversations, bookings. Quoted replies and scraped quotes are third-party
text: data only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import (
    CalendarBooking,
    Campaign,
    Contact,
    ConversationMessage,
    EnrichmentJob,
    MarketingActivity,
    Suppression,
)
from domain.roles import Permission, require
from tools.contacts import lookup
from tools.contacts.records import AmbiguousContact, ContactNotFound, ContactView
from tools.sequences.views import contact_sequences
from tools.users import Actor

FIELDS = ("id", "first_name", "last_name", "email", "phone", "phone_ext", "company", "job_title", "website", "domain",
          "city", "region", "postal_code", "country", "timezone", "source", "email_status", "enrichment_status",
          "is_sample", "created_at", "updated_at")
LAST = 5  # messages, conversations and bookings shown on the card


def find_contact(session: Session, ref: str | int) -> Contact:
    """The one contact `ref` names (a name, email, phone, '#12' or '12'; tools.contacts.lookup). Raises
    ContactNotFound, or AmbiguousContact with candidates."""
    match = lookup.resolve_contact(session, str(ref))
    if match.contact is not None:
        return match.contact
    if match.candidates:
        raise AmbiguousContact(str(ref), [ContactView.of(c) for c in match.candidates])
    raise ContactNotFound(match.error or f"no contact matches {ref!r}")


def display_name(c: Contact) -> str:
    return " ".join(p for p in (c.first_name, c.last_name) if p) or c.email or c.phone or f"contact #{c.id}"


@dataclass
class Consent:
    channel: str
    address: str | None
    opted_out: bool
    at: datetime | None
    reason: str | None
    suppressions: list[dict[str, Any]]  # reason, source, at


@dataclass
class SentMessage:
    at: datetime
    channel: str
    campaign: str | None
    status: str  # "simulated" prefixes a sandbox send: "simulated sent"
    text: str
    error: str | None = None


@dataclass
class ConversationLine:
    at: datetime
    channel: str
    direction: str
    text: str
    conversation_id: int | None


@dataclass
class BookingLine:
    id: int
    title: str
    start_at: datetime | None
    status: str
    campaign: str | None


@dataclass
class ContactCard:
    id: int
    name: str
    fields: dict[str, Any]
    tags: list[str]
    attributes: dict[str, Any]
    consent: list[Consent]
    enrichment: dict[str, Any]  # status, last job (status, error, finished_at), fields filled with their sources
    messages: list[SentMessage] = field(default_factory=list)
    conversations: list[ConversationLine] = field(default_factory=list)
    bookings: list[BookingLine] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # messages, conversation messages, bookings
    sequences: list[Any] = field(default_factory=list)  # tools.sequences.views.ContactSequence: next step or why it ended


def contact_card(session: Session, actor: Actor, ref: str | int) -> ContactCard:
    """Everything about one contact. `ref`: a name, email, phone, '#12' or '12' (raises ContactNotFound, or
    AmbiguousContact listing the candidates). Shows the last 5 messages (with their full text), conversation
    messages and bookings; totals say how many there are in all. Needs the contacts read permission."""
    require(actor.role, Permission.CONTACTS_READ, "open a contact")
    c = find_contact(session, ref)
    card = ContactCard(id=c.id, name=display_name(c), fields={f: getattr(c, f) for f in FIELDS},
                       tags=list(c.tags or []), attributes=dict(c.attributes or {}), consent=_consent(session, c),
                       enrichment=_enrichment(session, c))
    card.messages, card.totals["messages"] = _messages(session, c)
    card.conversations, card.totals["conversation messages"] = _conversations(session, c.id)
    card.bookings, card.totals["bookings"] = _bookings(session, c.id)
    card.sequences = contact_sequences(session, c.id)
    return card


def _consent(session: Session, c: Contact) -> list[Consent]:
    out = []
    for channel, address in (("sms", c.phone), ("email", c.email)):
        rows = session.scalars(sa.select(Suppression).where(Suppression.channel == channel,
                                                            Suppression.address == address)) if address else []
        out.append(Consent(channel, address, bool(getattr(c, f"opted_out_{channel}")),
                           getattr(c, f"opted_out_{channel}_at"), getattr(c, f"opted_out_{channel}_reason"),
                           [{"reason": s.reason, "source": s.source, "at": s.created_at} for s in rows]))
    return out


def _enrichment(session: Session, c: Contact) -> dict[str, Any]:
    job = session.scalar(sa.select(EnrichmentJob).where(EnrichmentJob.contact_id == c.id)
                         .order_by(EnrichmentJob.id.desc()).limit(1))
    info: dict[str, Any] = {"status": c.enrichment_status}
    if job is None:
        return info
    info.update(job_status=job.status, error=job.error, finished_at=job.finished_at)
    info["found"] = [{"field": s.get("field"), "value": s.get("value"),
                      "sources": s.get("sources") or [s.get("source_url")], "accepted": _accepted(job, s)}
                     for s in job.suggestions or [] if isinstance(s, dict)]
    return info


def _accepted(job: EnrichmentJob, suggestion: dict[str, Any]) -> bool | None:
    decision = (job.decisions or {}).get(str(suggestion.get("field")))
    return None if decision is None else decision in ("approve", "approved", "accepted", True)


def _messages(session: Session, c: Contact) -> tuple[list[SentMessage], int]:
    from tools.campaigns.messages import render_message

    A = MarketingActivity
    total = session.scalar(sa.select(sa.func.count()).where(A.contact_id == c.id)) or 0
    rows = session.scalars(sa.select(A).where(A.contact_id == c.id).order_by(A.created_at.desc(), A.id.desc())
                           .limit(LAST)).all()
    ids = {a.campaign_id for a in rows if a.campaign_id}
    campaigns = {k.id: k for k in session.scalars(sa.select(Campaign).where(Campaign.id.in_(ids)))} if ids else {}
    out = []
    for a in rows:
        campaign = campaigns.get(a.campaign_id)
        text = ""
        if campaign is not None:
            msg = render_message(campaign, c, activity_id=a.id, variant=a.variant, to=a.to_address)
            text = (f"Subject: {msg.subject}\n\n" if msg.subject else "") + (msg.text or "")
        out.append(SentMessage(a.sent_at or a.created_at, a.channel, campaign.name if campaign else None,
                               status_words(a.status, a.provider), text, a.error_message))
    return out, int(total)


def status_words(status: str, provider: str | None) -> str:
    """A message's status as people read it: a sandbox send says "simulated" (nothing left the building)."""
    return f"simulated {status}" if provider == "sandbox" and status not in ("queued", "deferred", "cancelled") \
        else status


def _conversations(session: Session, contact_id: int) -> tuple[list[ConversationLine], int]:
    M = ConversationMessage
    total = session.scalar(sa.select(sa.func.count()).where(M.contact_id == contact_id)) or 0
    rows = session.scalars(sa.select(M).where(M.contact_id == contact_id)
                           .order_by(M.occurred_at.desc(), M.id.desc()).limit(LAST))
    return [ConversationLine(m.occurred_at, m.channel, m.direction, m.body or "", m.chatwoot_conversation_id)
            for m in rows], int(total)


def _bookings(session: Session, contact_id: int) -> tuple[list[BookingLine], int]:
    B = CalendarBooking
    total = session.scalar(sa.select(sa.func.count()).where(B.contact_id == contact_id)) or 0
    rows = session.execute(sa.select(B, Campaign.name).outerjoin(Campaign, Campaign.id == B.campaign_id)
                           .where(B.contact_id == contact_id).order_by(B.start_at.desc(), B.id.desc()).limit(LAST))
    return [BookingLine(b.id, b.title or "a meeting", b.start_at, b.status, name) for b, name in rows], int(total)
