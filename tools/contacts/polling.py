"""Contacts in order of last change, for pollers (the n8n API's GET /api/v1/contacts): keyset paging by
(updated_at, id), so a poller that passes back the last contact it saw (and `since`) sees every change once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.filters import compile_filter
from db.models import Contact
from domain.filters import Filter
from domain.roles import Permission, require
from tools.users import Actor


@dataclass
class ChangedPage:
    contacts: list[Contact]
    more: bool  # another page follows: ask again with `after` = the last contact's (updated_at, id)


def changed_contacts(session: Session, actor: Actor, filter: Filter | None = None, *, since: datetime | None = None,
                     after: tuple[datetime, int] | None = None, limit: int = 100) -> ChangedPage:
    """Contacts matching `filter` (parsed by domain.filters.parse; None: all), oldest change first: changed at or
    after `since`, and strictly after the `after` position (updated_at, id) of the previous page. At most `limit`
    of them; `more` says whether another page follows. Needs contacts:read."""
    require(actor.role, Permission.CONTACTS_READ, "list contacts")
    stmt = sa.select(Contact).where(compile_filter(filter))
    if since is not None:
        stmt = stmt.where(Contact.updated_at >= since)
    if after is not None:
        stmt = stmt.where(sa.or_(Contact.updated_at > after[0],
                                 sa.and_(Contact.updated_at == after[0], Contact.id > after[1])))
    rows = list(session.scalars(stmt.order_by(Contact.updated_at, Contact.id).limit(limit + 1)))
    return ChangedPage(rows[:limit], len(rows) > limit)


def contact_by_id(session: Session, actor: Actor, contact_id: int) -> Contact | None:
    """The contact with id `contact_id`, or None when there is none. Needs contacts:read."""
    require(actor.role, Permission.CONTACTS_READ, "read contacts")
    return session.get(Contact, contact_id)
