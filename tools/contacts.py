"""Contacts: find by address, create when a webhook or the API meets someone new."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Contact
from domain.contacts import normalise_email, normalise_phone, timezone_for_phone
from settings import get_settings
from tools.history import record_event
from tools.optouts import is_suppressed


def find_by_address(session: Session, email: str | None = None, phone: str | None = None) -> Contact | None:
    """The contact with this email, else with this phone (both normalised first)."""
    norm_email = normalise_email(email).value
    if norm_email:
        found = session.scalar(sa.select(Contact).where(Contact.email == norm_email))
        if found:
            return found
    norm_phone = normalise_phone(phone, get_settings().default_region).value
    if norm_phone:
        return session.scalar(sa.select(Contact).where(Contact.phone == norm_phone).order_by(Contact.id).limit(1))
    return None


def get_or_create(session: Session, *, email: str | None = None, phone: str | None = None,
                  first_name: str | None = None, last_name: str | None = None, source: str = "manual",
                  actor: str | None = None) -> tuple[Contact, bool]:
    """Find a contact by email or phone, or create one (suppressions applied). Returns (contact, created)."""
    found = find_by_address(session, email, phone)
    if found:
        return found, False
    norm_email = normalise_email(email).value
    norm_phone = normalise_phone(phone, get_settings().default_region).value
    if not norm_email and not norm_phone:
        raise ValueError("a contact needs a valid email or phone")
    contact = Contact(email=norm_email, phone=norm_phone, first_name=first_name, last_name=last_name,
                      source=source, timezone=timezone_for_phone(norm_phone), tags=[], attributes={})
    contact.opted_out_email = is_suppressed(session, "email", norm_email)
    contact.opted_out_sms = is_suppressed(session, "sms", norm_phone)
    session.add(contact)
    session.flush()
    record_event(session, contact.id, "created", source, actor)
    return contact, True
