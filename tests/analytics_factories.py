"""`create_*` helpers for history and analytics tests: rows written straight into the tables. Each flushes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import (
    AdCampaign,
    AdMetric,
    CalendarBooking,
    Campaign,
    Contact,
    ContactEvent,
    ConversationMessage,
    EnrichmentJob,
    Import,
    MarketingActivity,
)

_counter = {"n": 0}


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def at(text: str) -> datetime:
    """'2026-03-08 14:30' (UTC) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def create_contact(session: Session, created_at: datetime | None = None, **fields: Any) -> Contact:
    n = _next()
    fields.setdefault("email", f"person{n}@example.com")
    if created_at:
        fields["created_at"] = created_at
    return _add(session, Contact(tags=[], attributes={}, **fields))


def create_campaign(session: Session, name: str | None = None, channel: str = "email", **fields: Any) -> Campaign:
    return _add(session, Campaign(name=name or f"Campaign {_next()}", channel=channel, target_filter={},
                                  variants=[], send_rules={}, stats=fields.pop("stats", {}), **fields))


def create_activity(session: Session, contact: Contact, campaign: Campaign | None = None, *, channel: str = "email",
                    status: str = "sent", **fields: Any) -> MarketingActivity:
    return _add(session, MarketingActivity(contact_id=contact.id, campaign_id=campaign.id if campaign else None,
                                           channel=channel, status=status, **fields))


def create_message(session: Session, contact: Contact | None, occurred_at: datetime, *, direction: str = "inbound",
                   channel: str = "sms", body: str = "hello", **fields: Any) -> ConversationMessage:
    return _add(session, ConversationMessage(contact_id=contact.id if contact else None, occurred_at=occurred_at,
                                             direction=direction, channel=channel, body=body, **fields))


def create_booking(session: Session, contact: Contact, created_at: datetime, *, status: str = "accepted",
                   **fields: Any) -> CalendarBooking:
    return _add(session, CalendarBooking(contact_id=contact.id, calcom_uid=f"uid-{_next()}", status=status,
                                         created_at=created_at, title=fields.pop("title", "Intro call"), **fields))


def create_event(session: Session, contact: Contact, kind: str, occurred_at: datetime, *, source: str = "chat",
                 **fields: Any) -> ContactEvent:
    fields.setdefault("data", {})
    return _add(session, ContactEvent(contact_id=contact.id, kind=kind, source=source, occurred_at=occurred_at,
                                      **fields))


def create_enrichment(session: Session, contact: Contact, *, finished_at: datetime | None, cost_micros: int = 0,
                      model_tokens: int = 0, status: str = "approved", **fields: Any) -> EnrichmentJob:
    return _add(session, EnrichmentJob(contact_id=contact.id, status=status, finished_at=finished_at,
                                       cost_micros=cost_micros, model_tokens=model_tokens, suggestions=[],
                                       decisions={}, **fields))


def create_ad_metric(session: Session, day: date, spend_micros: int, ad: AdCampaign | None = None,
                     **fields: Any) -> AdMetric:
    ad = ad or _add(session, AdCampaign(name=f"Ad {_next()}", platform="facebook", target_filter={}, variants=[],
                                        targeting={}))
    return _add(session, AdMetric(ad_campaign_id=ad.id, day=day, spend_micros=spend_micros, **fields))


def create_import(session: Session, filename: str = "leads.csv", **fields: Any) -> Import:
    return _add(session, Import(filename=filename, mapping={}, **fields))
