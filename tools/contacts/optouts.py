"""Opt-outs and suppressions. A suppression is keyed by channel and normalised address, so it holds for any
contact that has (or later gets) that address, whatever a re-import says.

Sources: chat, import, api, sms_keyword, email_unsubscribe, bounce, complaint, chatwoot."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Contact, Suppression, utcnow
from domain import channels
from settings import get_settings
from tools.contacts.history import record_event
from tools.sequences import exits as sequence_exits


def normalise_address(channel: str, address: str, default_region: str | None = None) -> str:
    """The stored form of `address` on `channel`; a national number is read in `default_region`, else in the
    account's region (settings.default_region), as imports, contact edits and lookups read it."""
    result = channels.rule(channel).normalise(address, default_region or get_settings().default_region)
    if result.value is None:
        raise ValueError(result.error or f"no {channel} address given")
    return result.value


def _insert_suppression(session: Session, channel: str, address: str, reason: str, source: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Suppression).values(channel=channel, address=address, reason=reason, source=source,
                                      created_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["channel", "address"]))


def _contacts_with(session: Session, channel: str, address: str) -> list[Contact]:
    column = getattr(Contact, channels.rule(channel).address_field)
    return list(session.scalars(sa.select(Contact).where(column == address)))


def opt_out(session: Session, channel: str, address: str, *, reason: str = "opt_out", source: str = "chat",
            actor: str | None = None, note: str | None = None) -> list[int]:
    """Suppress `address` on `channel` and mark every contact that has it. Returns the contact ids touched.
    Idempotent: opting out twice changes nothing the second time."""
    address = normalise_address(channel, address)
    field = channels.rule(channel).opt_out_field  # None: the suppression below is the only record
    already = field is None and is_suppressed(session, channel, address)
    _insert_suppression(session, channel, address, reason, source)
    touched = []
    for contact in _contacts_with(session, channel, address):
        if already or (field and getattr(contact, field)):
            continue
        if field:
            _flag(contact, field, True, (note or reason)[:200])
        if reason in ("hard_bounce", "complaint") and channels.rule(channel).address_field == "email":
            contact.email_status = "bounced" if reason == "hard_bounce" else "complained"
        record_event(session, contact.id, "opted_out", source, actor, field=channel, data={"reason": reason})
        touched.append(contact.id)
    sequence_exits.on_event(session, touched, reason)  # they leave their follow-up sequences
    session.flush()
    return touched


def _flag(contact: Contact, field: str | None, on: bool, reason: str | None) -> None:
    """The contact's own opt-out flag on a channel that has one (`opted_out_<channel>`, `_at`, `_reason`)."""
    if field:
        setattr(contact, field, on)
        setattr(contact, f"{field}_at", utcnow() if on else None)
        setattr(contact, f"{field}_reason", reason)


def opt_in(session: Session, channel: str, address: str, *, source: str = "chat", actor: str | None = None) -> list[int]:
    """Lift an opt-out (e.g. START by SMS, or a person asking by chat). Hard bounces and complaints stay:
    they are not the person's wish but the provider's verdict."""
    address = normalise_address(channel, address)
    field = channels.rule(channel).opt_out_field
    was_suppressed = field is None and is_suppressed(session, channel, address)  # the only record such a channel has
    session.execute(sa.delete(Suppression).where(Suppression.channel == channel, Suppression.address == address,
                                                 Suppression.reason.in_(("opt_out", "manual"))))
    touched = []
    for contact in _contacts_with(session, channel, address):
        opted_out = channels.opted_out(channel, contact) if field else was_suppressed
        if not opted_out or is_suppressed(session, channel, address):
            continue
        _flag(contact, field, False, None)
        record_event(session, contact.id, "opted_in", source, actor, field=channel)
        touched.append(contact.id)
    session.flush()
    return touched


def is_suppressed(session: Session, channel: str, address: str | None) -> bool:
    if not address:
        return False
    return session.scalar(sa.select(sa.literal(True)).where(
        Suppression.channel == channel, Suppression.address == address)) is not None


def suppressed_addresses(session: Session, channel: str, addresses: list[str]) -> set[str]:
    """Which of `addresses` are suppressed on `channel` (one query per 1,000)."""
    found: set[str] = set()
    for start in range(0, len(addresses), 1000):
        chunk = addresses[start:start + 1000]
        found.update(session.scalars(sa.select(Suppression.address).where(
            Suppression.channel == channel, Suppression.address.in_(chunk))))
    return found
