"""Erase a contact ("delete jane doe", a person's request to be forgotten): the contact and every row that points
at them (campaign messages, conversation messages, bookings, history, enrichment, sequence enrolments: any table
with a contact id, found from the schema) are deleted, and so are the outbound deliveries (n8n) whose payload names
them, sent or not. Opt-outs stay: they are keyed by channel and address in the
suppression list and hold no name, so a later import of the same address is still not messaged. A contact with a message in flight (being sent, or sent with its outcome not known yet) is refused until
it settles, so the record that keeps that message from going out twice is never lost; queued messages are simply
dropped with the contact. The outbound event contact.deleted (the id only: no name, email or phone) tells a flow
that mirrors our contacts (n8n) to forget them too, written in the same unit of work."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign, Contact, MarketingActivity, OutboundDelivery, utcnow
from domain import channels
from domain.campaigns import ActivityStatus
from domain.roles import Permission, require
from domain.wording import plural
from tools import outbound
from tools.contacts.merge import contact_references, rows_of
from tools.contacts.optouts import opt_out
from tools.contacts.records import resolve_contact
from tools.users import Actor

log = logging.getLogger(__name__)
IN_FLIGHT = (ActivityStatus.SENDING, ActivityStatus.UNKNOWN)


class EraseError(ValueError):
    """The contact cannot be erased now (a message of theirs is in flight)."""


@dataclass(frozen=True)
class ErasePlan:
    """What erasing would remove: the contact and the rows pointing at it, per table."""

    contact_id: int
    label: str
    deleted: dict[str, int]  # rows deleted with the contact, per table
    opted_out: list[str]  # channels whose opt-out stays on record (by address)


def plan_erase(session: Session, actor: Actor, ref: int | str) -> ErasePlan:
    """What `erase_contact` would do to the contact `ref` (id, email, phone or name). Needs contacts:write.
    Raises ContactNotFound, AmbiguousContact, or EraseError when a message of theirs is in flight."""
    require(actor.role, Permission.CONTACTS_WRITE, "erase contacts")
    contact = resolve_contact(session, ref)
    _refuse_in_flight(session, contact)
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p) or "(no name)"
    label = f"#{contact.id} {name} <{contact.email or 'no email'}> {contact.phone or 'no phone'}"
    outs = [c for c, out in (("email", contact.opted_out_email), ("sms", contact.opted_out_sms)) if out]
    deleted = rows_of(session, contact.id)
    sent_out = session.scalar(sa.select(sa.func.count()).select_from(OutboundDelivery)
                              .where(outbound.naming_contact(contact.id)))
    if sent_out:
        deleted["outbound_deliveries"] = sent_out
    return ErasePlan(contact.id, label, deleted, outs)


def erase_contact(session: Session, actor: Actor, ref: int | str) -> ErasePlan:
    """Delete the contact `ref` and every row that points at them (ASK FOR APPROVAL FIRST; it cannot be undone);
    their suppressions stay; subscribers hear contact.deleted with the id only. Returns what was removed. Needs contacts:write. Raises ContactNotFound,
    AmbiguousContact, or EraseError (a message of theirs in flight: try again once it settles)."""
    plan = plan_erase(session, actor, ref)
    contact = session.get(Contact, plan.contact_id)
    for channel in plan.opted_out:  # on the suppression list by address, whatever put the flag on the record
        address = channels.address_of(channel, contact)
        if address:
            opt_out(session, channel, address, reason="opt_out", source="erase", actor=actor.email)
    for column in contact_references():  # rows the schema would only unlink (SET NULL) go too: they name the person
        session.execute(sa.delete(column.table).where(column == plan.contact_id))
    session.execute(sa.delete(Contact).where(Contact.id == plan.contact_id))
    outbound.forget_contact(session, plan.contact_id)
    outbound.emit(session, "contact.deleted", {"contact_id": plan.contact_id, "deleted_at": utcnow()})
    session.expire_all()
    log.info("contact erased", extra={"contact_id": plan.contact_id, "by": actor.email,
                                      "rows": sum(plan.deleted.values())})
    return plan


def _refuse_in_flight(session: Session, contact: Contact) -> None:
    A = MarketingActivity
    busy = session.execute(sa.select(Campaign.name, sa.func.count()).select_from(A)
                           .join(Campaign, Campaign.id == A.campaign_id)
                           .where(A.contact_id == contact.id, A.status.in_([s.value for s in IN_FLIGHT]))
                           .group_by(Campaign.name)).all()
    if busy:
        names = ", ".join(f"'{name}'" for name, _ in busy)
        raise EraseError(f"contact #{contact.id} has {plural(sum(n for _, n in busy), 'message')} in flight "
                         f"(campaign {names}): erase them once the sending settles (a minute, or after the check of "
                         f"sends in doubt)")
