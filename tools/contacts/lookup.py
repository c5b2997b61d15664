"""Find the one contact a person means: `resolve_contact(session, ref)`.

`ref` is what people type: a name ("luis garcia", "José Martínez", "garcia"; accents and case ignored), an email,
a phone number in any format, "#12" or "12". The answer is a ContactMatch: `.contact` when exactly one contact
matches, `.candidates` when several do (the chat asks "which one?"), `.error` saying why when none does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.fold import fold_match
from db.models import Contact
from domain.contacts import normalise_email, normalise_phone

MAX_CANDIDATES = 10
_ID = re.compile(r"^(?:#|id\s*#?|contact\s*#?)?\s*(\d{1,9})$", re.I)


@dataclass(frozen=True)
class ContactMatch:
    """`contact` (one) or `candidates` (several, best first) or `error` (none, with the reason)."""

    contact: Contact | None = None
    candidates: list[Contact] = field(default_factory=list)
    error: str | None = None

    @property
    def ambiguous(self) -> bool:
        """Several contacts (or only a near match) fit: ask which one."""
        return self.contact is None and bool(self.candidates)


def _matches(ref: str, rows: list[Contact]) -> ContactMatch:
    if not rows:
        return ContactMatch(error=f"no contact matches {ref!r}")
    if len(rows) == 1:
        return ContactMatch(contact=rows[0])
    return ContactMatch(candidates=rows)


def _by_name(session: Session, name: str) -> tuple[list[Contact], bool]:
    first, last = sa.func.coalesce(Contact.first_name, ""), sa.func.coalesce(Contact.last_name, "")
    full = sa.func.trim(first + " " + last)
    q = sa.select(Contact).order_by(Contact.id).limit(MAX_CANDIDATES)
    for cond in (fold_match(full, name), sa.or_(fold_match(first, name), fold_match(last, name))):
        rows = list(session.scalars(q.where(cond)))
        if rows:
            return rows, True
    near = sa.or_(fold_match(full, name, "starts_with"), fold_match(last, name, "starts_with"))
    return list(session.scalars(q.where(near))), False


def resolve_contact(session: Session, ref: str | int) -> ContactMatch:
    """The contact `ref` names (see the module docstring). Never raises for a bad ref: `.error` says why.
    Order: an id ("12", "#12"), an email, a phone number, then a name: the whole name, then a first or last name,
    then names starting with the text. Accents and case never matter."""
    text = " ".join(str(ref).strip().strip("\"'").split())
    if not text:
        return ContactMatch(error="say which contact: a name, email, phone number or #id")
    m = _ID.match(text)
    if m:
        found = session.get(Contact, int(m.group(1)))
        if found is not None or text.startswith("#"):
            return ContactMatch(contact=found) if found else ContactMatch(error=f"there is no contact #{m.group(1)}")
    if "@" in text:
        email = normalise_email(text).value
        if not email:
            return ContactMatch(error=f"{text!r} is not a valid email address")
        found = session.scalar(sa.select(Contact).where(Contact.email == email))
        return ContactMatch(contact=found) if found else ContactMatch(error=f"no contact has the email {email}")
    if re.fullmatch(r"[+\d().\s-]{7,}", text):
        from settings import get_settings

        phone = normalise_phone(text, get_settings().default_region).value
        if not phone:
            return ContactMatch(error=f"{text!r} is not a valid phone number")
        rows = list(session.scalars(sa.select(Contact).where(Contact.phone == phone).order_by(Contact.id)
                                    .limit(MAX_CANDIDATES)))
        return _matches(text, rows) if rows else ContactMatch(error=f"no contact has the phone {phone}")
    rows, exact = _by_name(session, text)
    if rows and not exact:  # only names starting with the text: never act on a guess, ask
        return ContactMatch(candidates=rows, error=f"no contact is named {text!r}; did you mean one of these?")
    return _matches(text, rows)
