"""Erasing a contact ("delete jane doe", a request to be forgotten): the person and every row naming them go, their
opt-outs stay on the suppression list (so a re-import of the address is still not messaged), a message in flight
refuses the erase until it settles, and the chat asks for Approve first."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from db.models import (
    CalendarBooking,
    Campaign,
    Contact,
    ContactEvent,
    ConversationMessage,
    MarketingActivity,
    Suppression,
)
from tests.agent_support import chat
from tests.factories import create_contact
from tools.contacts.erase import EraseError, erase_contact
from tools.contacts.optouts import opt_out
from tools.contacts.records import AmbiguousContact
from tools.imports.importer import run_import
from tools.users import Actor

MARKETER = Actor("marketer@example.com", "marketer")


def _person(session, email="jane@acme.com", phone="+15125550100", first="Jane", last="Doe") -> Contact:
    jane = create_contact(session, email=email, phone=phone, first_name=first, last_name=last, tags=[],
                          attributes={})
    campaign = Campaign(name=f"Spring {email}", channel="sms", body_text="hi", target_filter={}, status="completed")
    session.add(campaign)
    session.flush()
    session.add_all([
        MarketingActivity(campaign_id=campaign.id, contact_id=jane.id, channel="sms", status="delivered",
                          to_address=phone),
        ConversationMessage(contact_id=jane.id, channel="sms", direction="inbound", body="call me", sender=phone),
        CalendarBooking(contact_id=jane.id, calcom_uid=f"uid-{jane.id}", title="Roof check", attendee_email=email,
                        status="accepted"),
        ContactEvent(contact_id=jane.id, kind="updated", source="chat", data={})])
    session.flush()
    return jane


def _rows_naming(session, contact_id: int) -> int:
    session.expire_all()
    return sum(session.scalar(sa.select(sa.func.count()).select_from(model).where(model.contact_id == contact_id))
               for model in (MarketingActivity, ConversationMessage, CalendarBooking, ContactEvent))


def test_erasing_deletes_the_person_and_every_row_naming_them_and_keeps_the_opt_out(session, tmp_path):
    jane = _person(session)
    other = create_contact(session, email="bob@acme.com", first_name="Bob", tags=[], attributes={})
    opt_out(session, "sms", "+15125550100", source="chat", actor="marketer@example.com")
    session.commit()
    plan = erase_contact(session, MARKETER, "jane doe")
    session.commit()
    assert plan.contact_id == jane.id and plan.opted_out == ["sms"]
    assert plan.deleted["marketing_activities"] == 1 and plan.deleted["calendar_bookings"] == 1
    assert plan.deleted["conversation_messages"] == 1
    assert session.get(Contact, jane.id) is None and _rows_naming(session, jane.id) == 0
    assert session.scalar(sa.select(sa.func.count()).where(CalendarBooking.attendee_email == "jane@acme.com")) == 0
    assert session.get(Contact, other.id) is not None
    assert session.scalar(sa.select(Suppression.reason).where(Suppression.address == "+15125550100")) == "opt_out"
    # the same person imported again is a new record, still opted out of SMS
    path = tmp_path / "again.csv"
    path.write_text("email,phone,first_name\njane@acme.com,512 555 0100,Jane\n")
    run_import(path, actor=MARKETER)
    session.expire_all()
    again = session.scalar(sa.select(Contact).where(Contact.email == "jane@acme.com"))
    assert again.id != jane.id and again.opted_out_sms


def test_a_message_in_flight_refuses_the_erase_and_changes_nothing(session):
    jane = _person(session)
    session.execute(sa.update(MarketingActivity).where(MarketingActivity.contact_id == jane.id)
                    .values(status="unknown"))
    session.commit()
    with pytest.raises(EraseError, match="1 message in flight \\(campaign 'Spring jane@acme.com'\\)"):
        erase_contact(session, MARKETER, "jane@acme.com")
    session.rollback()
    assert session.get(Contact, jane.id) is not None and _rows_naming(session, jane.id) == 4


def test_a_name_two_people_share_asks_which_one(session):
    _person(session)
    _person(session, email="jane.doe@other.com", phone="+15125550111")
    session.commit()
    with pytest.raises(AmbiguousContact):
        erase_contact(session, MARKETER, "jane doe")


def test_a_reviewer_may_not_erase(session):
    from domain.roles import PermissionDenied

    jane = _person(session)
    session.commit()
    with pytest.raises(PermissionDenied):
        erase_contact(session, Actor("reviewer@example.com", "reviewer"), jane.id)


def test_the_chat_asks_for_approve_before_erasing(session):
    jane = _person(session)
    session.commit()
    (asked,) = chat("delete jane doe")
    assert asked.approval and asked.approval["tool"] == "erase_contact", asked
    session.expire_all()
    assert session.get(Contact, jane.id) is not None  # nothing happens before Approve
