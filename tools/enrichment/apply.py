"""Writing an approved enrichment field to a contact, with its history entry (source "enrichment", the citation
in the entry's data). Values are normalised the way every other write normalises them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Contact, utcnow
from domain.contacts import normalise_email, normalise_phone
from domain.enrichment import ATTRIBUTE_FIELDS, COLUMN_FIELDS, Suggestion
from settings import get_settings
from tools.contacts.history import record_event
from tools.contacts.optouts import is_suppressed

LIMITS = {"company": 300, "job_title": 300, "website": 500, "city": 200, "region": 200, "postal_code": 20}


def current_values(contact: Contact) -> dict[str, Any]:
    """Field -> the contact's value now (columns and enrichment attributes), as the review shows it."""
    values: dict[str, Any] = {name: getattr(contact, name) for name in COLUMN_FIELDS}
    attrs = contact.attributes or {}
    values |= {name: attrs.get(name) for name in ATTRIBUTE_FIELDS}
    return values


def apply_suggestion(session: Session, contact: Contact, s: Suggestion, actor: str, job_id: int) -> str | None:
    """Write one field. Returns None when written, else why it was not (the contact is then unchanged)."""
    value, problem = _normalised(session, contact, s.field, s.value)
    if problem:
        return problem
    before = current_values(contact).get(s.field)
    if s.field in COLUMN_FIELDS:
        setattr(contact, s.field, value)
        _honour_suppression(session, contact, s.field, value)
        if s.field == "website":
            contact.domain = (urlsplit(value).hostname or "").lower().removeprefix("www.")[:253] or None
    else:
        contact.attributes = {**(contact.attributes or {}), s.field: value}
    record_event(session, contact.id, "enriched", "enrichment", actor, field=s.field, before=before, after=value,
                 data={"job_id": job_id, "source_url": s.source_url, "quote": s.quote, "confidence": s.confidence,
                       "verified": s.verified, "sources": s.sources, "note": s.note})
    return None


def _honour_suppression(session: Session, contact: Contact, name: str, value: str) -> None:
    """A new address that is suppressed (opted out, hard-bounced) marks the contact opted out on that channel."""
    channel = {"email": "email", "phone": "sms"}.get(name)
    if channel and is_suppressed(session, channel, value):
        setattr(contact, f"opted_out_{channel}", True)
        setattr(contact, f"opted_out_{channel}_reason", "address suppressed (found by enrichment)")
        setattr(contact, f"opted_out_{channel}_at", utcnow())


def _normalised(session: Session, contact: Contact, name: str, value: str) -> tuple[Any, str | None]:
    if name == "email":
        email = normalise_email(value)
        if not email.value:
            return None, email.error or "not an email address"
        other = session.scalar(sa.select(Contact.id).where(Contact.email == email.value, Contact.id != contact.id))
        return email.value, (f"contact #{other} already has {email.value}" if other else None)
    if name == "phone":
        phone = normalise_phone(value, get_settings().default_region)
        return phone.value, (None if phone.value else phone.error or "not a phone number")
    if name == "country":
        code = value.strip().upper()
        return code, (None if len(code) == 2 and code.isalpha() else f"{value!r} is not a 2-letter country code")
    if name == "website":
        url = value if value.lower().startswith(("http://", "https://")) else "https://" + value
        return url[:500], (None if urlsplit(url).hostname else f"{value!r} is not a website")
    if name in LIMITS:
        return value[: LIMITS[name]], None
    return value, None
