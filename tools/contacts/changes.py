"""Validate requested contact changes and apply them with a history entry per field (used by tools.contacts.records)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import Contact, utcnow
from domain.contacts import clean_name, normalise_phone, normalise_website, split_full_name
from domain.fastnorm import fast_email, known_timezone, normalise_country
from domain.folding import fold
from domain.imports import LIMITS, normalise_tags
from settings import get_settings
from tools.contacts.history import history_text, record_event
from tools.contacts.optouts import is_suppressed

PROTECTED = {"opted_out_sms", "opted_out_email", "opted_out", "email_status"}


def contact_changes(changes: dict[str, Any], *, allowed: tuple[str, ...], current: Contact) -> tuple[dict[str, Any], list[str]]:
    """The normalised new values for `current` (field -> value), or ValueError naming the bad field."""
    if not isinstance(changes, dict) or not changes:
        raise ValueError("nothing to change: give field -> new value")
    values: dict[str, Any] = {}
    notes: list[str] = []
    tags = list(current.tags or [])
    attributes = dict(current.attributes or {})
    for name, raw in changes.items():
        if name in PROTECTED:
            raise ValueError(f"{name} is not edited directly: use the opt-out / opt-in tool (it keeps suppressions)")
        if name in ("add_tags", "remove_tags") or (name == "tags" and "tags" in allowed):
            given = normalise_tags(raw if isinstance(raw, list | str) else [] if raw is None else [str(raw)])
            if name == "add_tags":
                tags += [t for t in given if t not in tags]
            elif name == "remove_tags":  # a tag stored before tags were folded goes too
                tags = [t for t in tags if t not in given and fold(t) not in given]
            else:
                tags = given
            values["tags"] = tags
        elif name.startswith("attributes.") and len(name) > 11:
            key = name.split(".", 1)[1][:64]
            if raw in (None, ""):
                attributes.pop(key, None)
            else:
                attributes[key] = str(raw)[:2000]
            values["attributes"] = attributes
        elif name == "name" and "first_name" in allowed:
            first, last = split_full_name(None if raw is None else str(raw))
            values["first_name"], values["last_name"] = first, last
        elif name in allowed:
            values.update(_field(name, raw))
        else:
            raise ValueError(f"cannot change {name!r}: editable fields are {', '.join(allowed)}, name, add_tags, "
                             "remove_tags, attributes.<key>")
    return values, notes


def _field(name: str, raw: Any) -> dict[str, Any]:
    text = "" if raw is None else str(raw).strip()
    if not text:
        return {name: None, "domain": None} if name == "website" else {name: None}
    if len(text) > LIMITS.get(name, 500):
        raise ValueError(f"{name}: value too long ({len(text)} characters, at most {LIMITS.get(name, 500)})")
    if name == "email":
        value, error = fast_email(text)
        if not value:
            raise ValueError(error or f"invalid email {text!r}")
        return {"email": value}
    if name == "phone":
        result = normalise_phone(text, get_settings().default_region)
        if not result.value:
            raise ValueError(result.error or f"invalid phone {text!r}")
        return {"phone": result.value, **({"phone_ext": result.extra} if result.extra else {})}
    if name == "website":
        result, domain = normalise_website(text)
        if not result.value:
            raise ValueError(result.error or f"invalid website {text!r}")
        return {"website": result.value, "domain": domain}
    if name == "country":
        code = normalise_country(text)
        if not code:
            raise ValueError(f"unknown country {text!r}: use a name or a two-letter code")
        return {"country": code}
    if name == "timezone":
        zone = known_timezone(text)
        if not zone:
            raise ValueError(f"unknown time zone {text!r}: use an IANA name like America/Chicago")
        return {"timezone": zone}
    return {name: clean_name(text)}


def apply_changes(session: Session, contact: Contact, values: dict[str, Any], *, actor: str | None,
                  source: str, data: dict[str, Any] | None = None) -> dict[str, tuple[Any, Any]]:
    """Set the values that differ; one field_changed history entry each. Returns field -> (before, after)."""
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        before = getattr(contact, name)
        if isinstance(before, list | dict):
            before = type(before)(before)
        if before == value:
            continue
        setattr(contact, name, value)
        changed[name] = (before, value)
        record_event(session, contact.id, "field_changed", source, actor, field=name,
                     before=history_text(before), after=history_text(value), data=data)
    return changed


def suppression_notes(session: Session, contact: Contact, changed: dict[str, tuple[Any, Any]]) -> list[str]:
    """A new email or phone that is suppressed makes the contact opted out on that channel, and says so."""
    notes = []
    for channel, name in (("email", "email"), ("sms", "phone")):
        if name in changed and is_suppressed(session, channel, getattr(contact, name)):
            if not getattr(contact, f"opted_out_{channel}"):
                setattr(contact, f"opted_out_{channel}", True)
                setattr(contact, f"opted_out_{channel}_at", utcnow())
                setattr(contact, f"opted_out_{channel}_reason", "suppressed address")
            notes.append(f"{getattr(contact, name)} is suppressed: the contact stays opted out of {channel}")
    return notes
