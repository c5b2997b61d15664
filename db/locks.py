"""Leases in the database (scheduler_locks): one holder per name until its lease runs out."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import SchedulerLock, utcnow


def try_lease(session: Session, name: str, owner: str, seconds: float, *, renew: bool = True) -> bool:
    """Take the lease `name` for `seconds` when it is free or has lapsed (or renew it when `owner` holds it
    and `renew` is true). True when `owner` holds it now."""
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    free = SchedulerLock.locked_until < now
    taken = session.execute(
        sa.update(SchedulerLock)
        .where(SchedulerLock.name == name, sa.or_(free, SchedulerLock.owner == owner) if renew else free)
        .values(owner=owner, locked_until=until)
    ).rowcount
    if taken:
        return True
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(SchedulerLock).values(name=name, owner=owner, locked_until=until)
            .on_conflict_do_nothing(index_elements=["name"]).returning(SchedulerLock.name))
    return session.execute(stmt).scalar_one_or_none() is not None


def release(session: Session, name: str, owner: str) -> None:
    session.execute(sa.delete(SchedulerLock).where(SchedulerLock.name == name, SchedulerLock.owner == owner))
