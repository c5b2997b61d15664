"""Linking Chatwoot people to our contacts.

Order: Chatwoot contact id, then email, then phone (tools.contacts.records.find_by_address). Unknown people with no
email or phone (web widget, Instagram, Telegram) still get a contact, keyed by their Chatwoot id. Missing
fields are filled from Chatwoot; what we already hold is never overwritten."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Contact
from domain.contacts import normalise_email, normalise_phone, split_full_name
from settings import get_settings
from tools import outbound
from tools.contacts.history import record_event
from tools.contacts.records import find_by_address, get_or_create


def _chatwoot_id(person: dict[str, Any]) -> int | None:
    try:
        return int(person.get("id"))
    except (TypeError, ValueError):
        return None


def _find(session: Session, person: dict[str, Any]) -> Contact | None:
    chatwoot_id = _chatwoot_id(person)
    if chatwoot_id is not None:
        found = session.scalar(sa.select(Contact).where(Contact.chatwoot_contact_id == chatwoot_id)
                               .order_by(Contact.id).limit(1))
        if found:
            return found
    email = person.get("email")
    phone = person.get("phone_number")
    return find_by_address(session, email, phone) if (email or phone) else None


def _fill(session: Session, contact: Contact, person: dict[str, Any]) -> None:
    """Fill what the contact lacks; a change is recorded in history and sent out as contact.updated."""
    chatwoot_id = _chatwoot_id(person)
    if contact.chatwoot_contact_id is None and chatwoot_id is not None:
        contact.chatwoot_contact_id = chatwoot_id
    changed = []
    email = normalise_email(person.get("email")).value
    if email and not contact.email and not session.scalar(sa.select(Contact.id).where(Contact.email == email)):
        contact.email = email
        changed.append(("email", email))
    phone = normalise_phone(person.get("phone_number"), get_settings().default_region).value
    if phone and not contact.phone:
        contact.phone = phone
        changed.append(("phone", phone))
    if not contact.first_name and not contact.last_name and person.get("name"):
        contact.first_name, contact.last_name = split_full_name(str(person["name"]))
        changed.append(("first_name", contact.first_name))
    for field, value in changed:
        record_event(session, contact.id, "field_changed", "chatwoot", field=field, after=value)
    if changed:
        outbound.emit(session, "contact.updated", {"id": contact.id, "email": contact.email, "phone": contact.phone,
                                                   "first_name": contact.first_name, "last_name": contact.last_name,
                                                   "changed": [f for f, _ in changed], "source": "chatwoot"})


def _create(session: Session, person: dict[str, Any]) -> Contact:
    first, last = split_full_name(str(person.get("name") or "")) if person.get("name") else (None, None)
    email, phone = person.get("email"), person.get("phone_number")
    if normalise_email(email).value or normalise_phone(phone, get_settings().default_region).value:
        contact, _ = get_or_create(session, email=email, phone=phone, first_name=first, last_name=last,
                                   source="chatwoot", actor="chatwoot")
    else:
        contact = Contact(first_name=first, last_name=last, source="chatwoot", tags=[], attributes={})
        session.add(contact)
        session.flush()
        record_event(session, contact.id, "created", "chatwoot", "chatwoot")
    contact.chatwoot_contact_id = _chatwoot_id(person)
    return contact


def link_contact(session: Session, person: dict[str, Any]) -> tuple[Contact, bool]:
    """The contact for a Chatwoot sender, created (source "chatwoot") when unknown. Returns (contact, created)."""
    found = _find(session, person)
    if found:
        _fill(session, found, person)
        session.flush()
        return found, False
    return _create(session, person), True


def contact_from_chatwoot(session: Session, person: dict[str, Any], *, create: bool) -> Contact | None:
    """For contact/conversation events: link and fill an existing contact; create one only when asked and the
    person has an email or a phone (anonymous web visitors are not leads)."""
    found = _find(session, person)
    if found:
        _fill(session, found, person)
        session.flush()
        return found
    has_address = normalise_email(person.get("email")).value or normalise_phone(
        person.get("phone_number"), get_settings().default_region).value
    if create and has_address:
        return _create(session, person)
    return None
