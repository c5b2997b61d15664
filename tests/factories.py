"""Small `create_*` helpers that put data in the test database. Each flushes; the test commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import Contact, Sequence, SequenceEnrolment, User
from tools.users import create_user as _create_user

PASSWORD = "correct horse battery"


def create_user(session: Session, email: str = "marketer@example.com", role: str = "marketer",
                password: str = PASSWORD) -> User:
    return _create_user(session, email, password, role)


def create_contact(session: Session, **fields: Any) -> Contact:
    contact = Contact(**fields)
    session.add(contact)
    session.flush()
    return contact


def create_enrolment(session: Session, contact: Contact, *, name: str | None = None, exit_on: list[str] | None = None,
                     enrolled_at: Any = None) -> SequenceEnrolment:
    """`contact` enrolled (active) in a new running sequence of its own, which exits on `exit_on`."""
    sequence = Sequence(name=name or f"S{contact.id}", status="running", exit_rules={"exit_on": exit_on or []})
    session.add(sequence)
    session.flush()
    enrolment = SequenceEnrolment(sequence_id=sequence.id, contact_id=contact.id, status="active",
                                  enrolled_at=enrolled_at)
    session.add(enrolment)
    session.flush()
    return enrolment

