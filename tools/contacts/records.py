"""Contacts: find by address, create when a webhook or the API meets someone new; search with the filter
language, update one or many (each change recorded in the history), export to CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.filters import compile_filter
from db.models import Contact
from domain.contacts import normalise_email, normalise_phone, timezone_for_phone
from domain.csv_safety import safe_row
from domain.filters import FilterError, describe_fields
from domain.filters import parse as parse_filter
from domain.roles import Permission, require
from settings import get_settings
from tools.contacts.changes import apply_changes, contact_changes
from tools.contacts.changes import suppression_notes as _suppression_notes
from tools.contacts.history import record_event
from tools.contacts.optouts import is_suppressed
from tools.users import Actor

__all__ = ["AmbiguousContact", "ContactNotFound", "ContactPage", "ContactView", "FilterError", "UpdateResult",
           "add_tags", "bulk_update", "count_contacts", "describe_fields", "export_contacts", "find_by_address",
           "get_or_create", "query_contacts", "remove_tags", "resolve_contact", "update_contact"]


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


# --- search, update, export (the chat's contact tools) -------------------------------------------------------

class ContactNotFound(LookupError):
    """No contact matches the reference."""


class AmbiguousContact(LookupError):
    """Several contacts match a name; `candidates` lists them so the chat can ask which one."""

    def __init__(self, ref: str, candidates: list[ContactView]) -> None:
        self.ref = ref
        self.candidates = candidates
        names = "; ".join(f"#{c.id} {c.display_name}" for c in candidates)
        super().__init__(f"{len(candidates)} contacts match {ref!r}: {names}. Say which one (by id or email).")


@dataclass(frozen=True)
class ContactView:
    id: int
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    job_title: str | None
    website: str | None
    city: str | None
    region: str | None
    country: str | None
    timezone: str | None
    tags: list[str]
    attributes: dict[str, Any]
    enrichment_status: str
    opted_out_sms: bool
    opted_out_email: bool
    email_status: str
    source: str
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        contact = self.email or self.phone or ""
        return f"{name} <{contact}>" if name else contact

    @classmethod
    def of(cls, c: Contact) -> ContactView:
        return cls(**{f.name: getattr(c, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class ContactPage:
    items: list[ContactView]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


@dataclass(frozen=True)
class UpdateResult:
    contact: ContactView
    changed: dict[str, tuple[Any, Any]]  # field -> (before, after)
    notes: list[str]


MAX_PAGE_SIZE = 500
SORTS = ("id", "created_at", "updated_at", "email", "first_name", "last_name", "company", "city", "country")
EDITABLE = ("email", "phone", "phone_ext", "first_name", "last_name", "company", "job_title", "website", "city",
            "region", "postal_code", "country", "timezone", "tags")
BULK_EDITABLE = tuple(f for f in EDITABLE if f not in ("email", "phone", "phone_ext"))


def _condition(filter: Any) -> sa.ColumnElement[bool]:
    return compile_filter(parse_filter(filter))


def _order(sort: str) -> list[Any]:
    name = (sort or "-created_at").strip()
    desc = name.startswith("-")
    name = name.lstrip("-+")
    if name not in SORTS:
        raise ValueError(f"cannot sort by {name!r}: use one of {', '.join(SORTS)} (prefix - for descending)")
    column = getattr(Contact, name)
    return [column.desc() if desc else column.asc(), Contact.id.desc() if desc else Contact.id.asc()]


def query_contacts(session: Session, actor: Actor, filter: dict[str, Any] | None = None, *, page: int = 1,
                   page_size: int = 25, sort: str = "-created_at") -> ContactPage:
    """Contacts matching `filter` (the JSON filter language of domain.filters; None: all), one page of them
    and the total count. `sort` is a field name, '-' first for descending (default newest first).
    page_size at most 500. Needs contacts:read. Raises FilterError (a ValueError) naming the bad field/op."""
    require(actor.role, Permission.CONTACTS_READ, "search contacts")
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page starts at 1 and page_size is 1 to {MAX_PAGE_SIZE}")
    condition = _condition(filter)
    order = _order(sort)
    total = session.scalar(sa.select(sa.func.count()).select_from(Contact).where(condition)) or 0
    rows = session.scalars(sa.select(Contact).where(condition).order_by(*order)
                           .limit(page_size).offset((page - 1) * page_size))
    return ContactPage([ContactView.of(c) for c in rows], total, page, page_size)


def count_contacts(session: Session, actor: Actor, filter: dict[str, Any] | None = None) -> int:
    """How many contacts match `filter` (None: all). Needs contacts:read."""
    require(actor.role, Permission.CONTACTS_READ, "count contacts")
    return session.scalar(sa.select(sa.func.count()).select_from(Contact).where(_condition(filter))) or 0


def resolve_contact(session: Session, ref: str | int) -> Contact:
    """The one contact that `ref` names: an id (or '#id'), an email, a phone, or a name (first, last or full;
    case and accents ignored): see tools.contacts.lookup. Raises ContactNotFound, or AmbiguousContact with the
    candidates (at most 10, also when only names starting with the text match)."""
    from tools.contacts.lookup import resolve_contact as lookup

    match = lookup(session, ref)
    if match.contact is not None:
        return match.contact
    if match.candidates:
        raise AmbiguousContact(str(ref), [ContactView.of(c) for c in match.candidates])
    raise ContactNotFound(match.error or f"no contact matches {ref!r}")


def update_contact(session: Session, actor: Actor, ref: str, changes: dict[str, Any], *,
                   source: str = "chat") -> UpdateResult:
    """Change one contact named by id, email, phone or name (see resolve_contact). `changes` maps fields to new
    values: email, phone, phone_ext, first_name, last_name, name (split into first/last), company, job_title,
    website, city, region, postal_code, country, timezone, tags (replaces the list), add_tags, remove_tags,
    "attributes.<key>" (None deletes it). A value None or "" clears a field. Opt-outs are not edited here: use
    the opt-out tool. Each change is recorded in the contact's history (field_changed, before/after, actor).
    Needs contacts:write. Raises ValueError for a bad field or value, AmbiguousContact, ContactNotFound."""
    require(actor.role, Permission.CONTACTS_WRITE, "update contacts")
    contact = resolve_contact(session, ref)
    values, notes = contact_changes(changes, allowed=EDITABLE, current=contact)
    if "email" in values and values["email"] and values["email"] != contact.email:
        other = session.scalar(sa.select(Contact.id).where(Contact.email == values["email"], Contact.id != contact.id))
        if other:
            raise ValueError(f"another contact (#{other}) already has the email {values['email']}")
    changed = apply_changes(session, contact, values, actor=actor.email, source=source)
    notes += _suppression_notes(session, contact, changed)
    session.flush()
    return UpdateResult(ContactView.of(contact), changed, notes)


def add_tags(session: Session, actor: Actor, ref: str, tags: list[str] | str) -> UpdateResult:
    """Add tags to one contact (lower-cased, kept unique). Needs contacts:write."""
    return update_contact(session, actor, ref, {"add_tags": tags})


def remove_tags(session: Session, actor: Actor, ref: str, tags: list[str] | str) -> UpdateResult:
    """Remove tags from one contact. Needs contacts:write."""
    return update_contact(session, actor, ref, {"remove_tags": tags})


def bulk_update(session: Session, actor: Actor, filter: dict[str, Any] | None, *, set: dict[str, Any] | None = None,
                add_tags: list[str] | str | None = None, remove_tags: list[str] | str | None = None,
                source: str = "chat") -> int:
    """Change every contact matching `filter`: `set` fields (not email/phone, which identify a contact), add or
    remove tags. Returns how many contacts changed. Each change is recorded in the contact's history.
    Changes many rows: the chat shows count_contacts(filter) and asks for approval first. Needs contacts:write."""
    require(actor.role, Permission.CONTACTS_WRITE, "update contacts in bulk")
    request: dict[str, Any] = dict(set or {})
    if add_tags:
        request["add_tags"] = add_tags
    if remove_tags:
        request["remove_tags"] = remove_tags
    if not request:
        raise ValueError("nothing to change: give set, add_tags or remove_tags")
    condition = _condition(filter)
    touched = 0
    last_id = 0
    while True:  # keyset pages of 500: bounded memory on large tables
        batch = list(session.scalars(sa.select(Contact).where(condition, Contact.id > last_id)
                                     .order_by(Contact.id).limit(500)))
        if not batch:
            break
        for contact in batch:
            values, _ = contact_changes(request, allowed=BULK_EDITABLE, current=contact)
            if apply_changes(session, contact, values, actor=actor.email, source=source):
                touched += 1
        last_id = batch[-1].id
        session.flush()
    return touched


EXPORT_COLUMNS = ("id", "email", "phone", "phone_ext", "first_name", "last_name", "company", "job_title", "website",
                  "domain", "city", "region", "postal_code", "country", "timezone", "tags", "enrichment_status",
                  "opted_out_sms", "opted_out_email", "email_status", "source", "created_at")


def export_contacts(session: Session, actor: Actor, filter: dict[str, Any] | None, path: str | Path,
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Write the contacts matching `filter` to a CSV file at `path` (UTF-8, header row, tags joined by ';',
    attributes as JSON). Cells that a spreadsheet would run as formulas (= + - @) are neutralised.
    Streams: any number of rows in bounded memory. Returns the row count. Needs contacts:read.
    `progress(rows written, rows matching)` after each row (the total is counted first, only when asked)."""
    require(actor.role, Permission.CONTACTS_READ, "export contacts")
    condition = _condition(filter)
    total = session.scalar(sa.select(sa.func.count()).select_from(Contact).where(condition)) if progress else 0
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*EXPORT_COLUMNS, "attributes"])
        stmt = sa.select(Contact).where(condition).order_by(Contact.id).execution_options(yield_per=2000)
        for contact in session.scalars(stmt):
            row = [_cell(getattr(contact, name)) for name in EXPORT_COLUMNS]
            row.append(json.dumps(contact.attributes or {}, ensure_ascii=False) if contact.attributes else "")
            writer.writerow(safe_row(row))
            count += 1
            if progress is not None:
                progress(count, max(total or 0, count))
    return count


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
