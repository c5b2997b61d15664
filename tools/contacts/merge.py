"""Merge two contact records of one person: "merge contact A into B".

Everything that points at A (campaign messages and their statuses, conversations, bookings, enrichment jobs, the
field history, and any other table with a contact id) moves to B; B's blank fields are filled from A, tags and
attributes are joined; each channel keeps the stricter opt-out; then A is deleted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.campaigns import SENT_STATES
from db.models import Contact, MarketingActivity, SequenceEnrolment, utcnow
from db.models.base import Base
from domain import channels
from domain.imports import SCALARS, merge
from domain.roles import Permission, require
from domain.wording import plural
from tools.contacts.history import record_event
from tools.sequences import exits as sequence_exits
from tools.users import Actor

_EMAIL_STATUS_RANK = {"ok": 0, "bounced": 1, "complained": 2}


class MergeError(ValueError):
    """The merge cannot be done (one contact named twice, a contact that does not exist)."""


@dataclass(frozen=True)
class MergePlan:
    """What a merge would do: the two contacts, the rows that move (per table), the fields B gets from A, and the
    opt-outs B ends with."""

    source_id: int
    target_id: int
    source_label: str
    target_label: str
    moves: dict[str, int]
    fields: dict[str, Any]
    opted_out: dict[str, bool]
    folded: int = 0  # campaign messages of both in one campaign: one record kept, the other in the history
    notes: list[str] = field(default_factory=list)


def _label(c: Contact) -> str:
    name = " ".join(p for p in (c.first_name, c.last_name) if p) or "(no name)"
    return f"#{c.id} {name} <{c.email or 'no email'}> {c.phone or 'no phone'}"


def _resolve(session: Session, ref: int | str) -> Contact:
    from tools.contacts.records import resolve_contact

    return resolve_contact(session, ref)


def contact_references() -> list[sa.Column]:
    """Every column that holds a contact id (found from the schema, so a new table is never forgotten)."""
    out = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == "contacts" and fk.column.name == "id":
                out.append(fk.parent)
    return out


def _as_dict(c: Contact) -> dict[str, Any]:
    return {name: getattr(c, name) for name in SCALARS} | {"tags": list(c.tags or []),
                                                         "attributes": dict(c.attributes or {})}


def _stricter(source: Contact, target: Contact, flag: str) -> dict[str, Any]:
    """The opt-out fields B takes from A on a channel with its own opt-out column (`flag`, with `_at` and
    `_reason`): opted out if either is, since the earlier time."""
    at, why = f"{flag}_at", f"{flag}_reason"
    if not getattr(source, flag):
        return {}
    if getattr(target, flag) and (getattr(target, at) or utcnow()) <= (getattr(source, at) or utcnow()):
        return {}
    return {flag: True, at: getattr(source, at) or utcnow(), why: getattr(source, why)}


def _changes(source: Contact, target: Contact) -> dict[str, Any]:
    changes = merge(_as_dict(target), _as_dict(source), "fill")
    changes.pop("email", None)  # set after A is gone (emails are unique); see merge_contacts
    attributes = dict(changes.get("attributes") or target.attributes or {})
    for name in ("email", "phone"):
        theirs, ours = getattr(source, name), getattr(target, name)
        if theirs and ours and theirs != ours:
            attributes.setdefault(f"merged_{name}", theirs)  # the other address is kept, not lost
    if attributes != (target.attributes or {}):
        changes["attributes"] = attributes
    for flag in (rule.opt_out_field for rule in channels.RULES.values() if rule.opt_out_field):
        changes.update(_stricter(source, target, flag))
    if _EMAIL_STATUS_RANK.get(source.email_status, 0) > _EMAIL_STATUS_RANK.get(target.email_status, 0):
        changes["email_status"] = source.email_status
    if source.chatwoot_contact_id and not target.chatwoot_contact_id:
        changes["chatwoot_contact_id"] = source.chatwoot_contact_id
    if source.enrichment_status == "done" and target.enrichment_status != "done":
        changes["enrichment_status"] = "done"
    return changes


def rows_of(session: Session, source_id: int) -> dict[str, int]:
    """How many rows of each table point at contact `source_id`."""
    out: dict[str, int] = {}
    for column in contact_references():
        n = session.scalar(sa.select(sa.func.count()).select_from(column.table).where(column == source_id)) or 0
        if n:
            out[column.table.name] = out.get(column.table.name, 0) + n
    return out


def _clashes(session: Session, source_id: int, target_id: int) -> list[tuple[MarketingActivity, MarketingActivity]]:
    """(A's row, B's row) pairs in one campaign and channel (one row per contact, campaign and channel)."""
    A = MarketingActivity
    mine = list(session.scalars(sa.select(A).where(A.contact_id == source_id, A.campaign_id.is_not(None))))
    if not mine:
        return []
    theirs = {(r.campaign_id, r.channel): r for r in session.scalars(sa.select(A).where(
        A.contact_id == target_id, A.campaign_id.in_({r.campaign_id for r in mine})))}
    return [(r, theirs[(r.campaign_id, r.channel)]) for r in mine if (r.campaign_id, r.channel) in theirs]


def _enrolment_clashes(session: Session, source_id: int, target_id: int) -> list[int]:
    """A's active enrolments in sequences where B is active too (one active enrolment per contact and sequence)."""
    E = SequenceEnrolment
    theirs = sa.select(E.sequence_id).where(E.contact_id == target_id, E.status == "active")
    return list(session.scalars(sa.select(E.id).where(E.contact_id == source_id, E.status == "active",
                                                      E.sequence_id.in_(theirs))))


def _rank(row: MarketingActivity) -> int:
    return 1 if row.status in SENT_STATES else 0


def plan_merge(session: Session, actor: Actor, source: int | str, target: int | str) -> MergePlan:
    """What merging contact `source` into `target` would do (nothing is written). Needs contacts:read.
    Raises MergeError (same contact twice), ContactNotFound or AmbiguousContact."""
    require(actor.role, Permission.CONTACTS_READ, "look at contacts")
    a, b = _resolve(session, source), _resolve(session, target)
    if a.id == b.id:
        raise MergeError(f"{_label(a)} is one contact: name two different contacts")
    changes = _changes(a, b)
    if a.email and not b.email:
        changes["email"] = a.email
    notes = []
    folded = len(_clashes(session, a.id, b.id))
    if folded:
        notes.append(f"{plural(folded, 'campaign')} messaged both: the record furthest along is kept, the other one goes "
                     "into the contact's history")
    return MergePlan(a.id, b.id, _label(a), _label(b), rows_of(session, a.id),
                     {k: v for k, v in changes.items() if not k.endswith(("_at", "_reason"))},
                     {ch: bool(changes.get(f"opted_out_{ch}", getattr(b, f"opted_out_{ch}"))) for ch in ("sms", "email")},
                     folded, notes)


def merge_contacts(session: Session, actor: Actor, source: int | str, target: int | str) -> MergePlan:
    """Merge contact `source` (A) into `target` (B), both named by id, email, phone or name (ASK FOR APPROVAL
    FIRST: A is deleted). Every row pointing at A moves to B (campaign messages, conversations, bookings,
    enrichment, history); B keeps its own values and gets A's where B has none (email, phone, name, company...),
    tags and attributes are joined, A's other email/phone is kept as attributes merged_email/merged_phone (their
    suppressions stay, keyed by address); each channel ends opted out if either was (the earlier time and its
    reason), the worse email status wins. When both were messaged by one campaign, the record furthest along is
    kept and the other is written into B's history (event "merged_activity"). B's history gets a "merged" event.
    Returns what was done. Needs contacts:write. Raises MergeError, ContactNotFound or AmbiguousContact."""
    require(actor.role, Permission.CONTACTS_WRITE, "merge contacts")
    plan = plan_merge(session, actor, source, target)
    a, b = session.get(Contact, plan.source_id), session.get(Contact, plan.target_id)
    changes = _changes(a, b)
    email = a.email if a.email and not b.email else None
    gone = {"id": a.id, "email": a.email, "phone": a.phone, "name": _label(a)}
    for mine, theirs in _clashes(session, a.id, b.id):
        keep, drop = (mine, theirs) if _rank(mine) > _rank(theirs) else (theirs, mine)
        record_event(session, b.id, "merged_activity", "merge", actor.email, data={
            "campaign_id": drop.campaign_id, "channel": drop.channel, "status": drop.status,
            "to_address": drop.to_address, "provider_message_id": drop.provider_message_id,
            "sent_at": drop.sent_at.isoformat() if drop.sent_at else None, "cost_micros": drop.cost_micros,
            "kept_activity_id": keep.id, "from_contact_id": a.id})
        session.delete(drop)
    sequence_exits.end(session, _enrolment_clashes(session, a.id, b.id), "merged")  # B goes on in those sequences
    session.flush()
    for column in contact_references():
        session.execute(sa.update(column.table).where(column == a.id).values({column.name: b.id}))
    session.expire_all()
    a, b = session.get(Contact, plan.source_id), session.get(Contact, plan.target_id)
    session.delete(a)
    session.flush()
    for name, value in changes.items():
        setattr(b, name, value)
    if email:
        b.email = email
    b.updated_at = utcnow()
    record_event(session, b.id, "merged", "merge", actor.email, data={"from": gone, "moved": plan.moves,
                                                                       "folded": plan.folded})
    session.flush()
    return plan
