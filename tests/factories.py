"""Small `create_*` helpers that put data in the test database. Each flushes; the test commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import Contact, User
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
