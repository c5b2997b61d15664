"""Merge contact A into B (issue 17 item 6): both histories are kept (campaign messages, conversations, bookings,
enrichment, field history move to B), B's blanks are filled from A, each channel keeps the stricter opt-out, and
one campaign that messaged both keeps one record (the other goes into B's history)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from db.models import (
    CalendarBooking,
    Campaign,
    Contact,
    ContactEvent,
    ConversationMessage,
    EnrichmentJob,
    MarketingActivity,
    Suppression,
    utcnow,
)
from domain.roles import PermissionDenied, Role
from tests.factories import create_contact
from tools.contacts.merge import MergeError, merge_contacts, plan_merge
from tools.contacts.optouts import opt_out
from tools.contacts.records import ContactNotFound
from tools.users import Actor

MARKETER = Actor("marketer@example.com", Role.MARKETER)
REVIEWER = Actor("reviewer@example.com", Role.REVIEWER)


def _two(session):
    then = utcnow() - timedelta(days=3)
    a = create_contact(session, email="jane.doe@gmail.com", phone="+15125550100", first_name="Jane",
                       company="Acme Roofing", tags=["roofer", "lead"], attributes={"source_list": "fair"},
                       opted_out_sms=True, opted_out_sms_at=then, opted_out_sms_reason="STOP by SMS")
    b = create_contact(session, email="jane@acme.com", phone="+15125550100", first_name="Jane", last_name="Doe",
                       tags=["vip"], attributes={})
    one = Campaign(name="Spring", channel="sms", status="completed")
    two = Campaign(name="Summer", channel="sms", status="running")
    session.add_all([one, two])
    session.flush()
    now = utcnow()
    session.add_all([
        MarketingActivity(campaign_id=one.id, contact_id=a.id, channel="sms", status="delivered", sent_at=now,
                          cost_micros=7900),
        MarketingActivity(campaign_id=two.id, contact_id=a.id, channel="sms", status="queued"),
        MarketingActivity(campaign_id=two.id, contact_id=b.id, channel="sms", status="sent", sent_at=now),
        ConversationMessage(contact_id=a.id, channel="sms", direction="inbound", body="STOP", occurred_at=then),
        CalendarBooking(contact_id=a.id, calcom_uid="bk-1", status="accepted", title="Roof check"),
        EnrichmentJob(contact_id=a.id, status="approved"),
        ContactEvent(contact_id=a.id, kind="opted_out", field="sms", source="sms_keyword", data={}),
    ])
    session.flush()
    return a, b, one, two


def test_merge_moves_every_history_and_keeps_the_stricter_opt_out(session):
    a, b, one, two = _two(session)
    opt_out(session, "email", "jane.doe@gmail.com", source="chat")
    session.commit()
    plan = plan_merge(session, MARKETER, "jane.doe@gmail.com", f"#{b.id}")
    assert plan.moves["marketing_activities"] == 2 and plan.moves["conversation_messages"] == 1
    assert plan.moves["calendar_bookings"] == 1 and plan.moves["enrichment_queue"] == 1
    assert plan.folded == 1 and plan.opted_out == {"sms": True, "email": True}
    assert session.get(Contact, a.id) is not None, "a plan writes nothing"
    a_id, b_id = a.id, b.id
    merge_contacts(session, MARKETER, "jane.doe@gmail.com", b_id)
    session.commit()
    session.expire_all()
    assert session.get(Contact, a_id) is None
    b = session.get(Contact, b_id)
    assert (b.email, b.phone, b.first_name, b.last_name, b.company) == (
        "jane@acme.com", "+15125550100", "Jane", "Doe", "Acme Roofing")
    assert sorted(b.tags) == ["lead", "roofer", "vip"]
    assert b.attributes == {"source_list": "fair", "merged_email": "jane.doe@gmail.com"}
    assert b.opted_out_sms and b.opted_out_sms_reason == "STOP by SMS" and b.opted_out_email
    activities = {(r.campaign_id, r.status) for r in session.scalars(sa.select(MarketingActivity).where(
        MarketingActivity.contact_id == b_id))}
    assert activities == {(one.id, "delivered"), (two.id, "sent")}
    for model in (ConversationMessage, CalendarBooking, EnrichmentJob):
        assert session.scalar(sa.select(model.contact_id)) == b_id
    kinds = sorted(session.scalars(sa.select(ContactEvent.kind).where(ContactEvent.contact_id == b_id)))
    assert kinds == ["merged", "merged_activity", "opted_out", "opted_out"]
    folded = session.scalar(sa.select(ContactEvent).where(ContactEvent.kind == "merged_activity"))
    assert folded.data["status"] == "queued" and folded.data["campaign_id"] == two.id
    assert ("email", "jane.doe@gmail.com") in {(s.channel, s.address) for s in session.scalars(sa.select(Suppression))}


def test_the_email_of_a_contact_without_one_is_taken_and_a_sent_record_wins(session):
    a = create_contact(session, email="only@a.com", phone="+15125550177")
    b = create_contact(session, phone="+15125550177", first_name="Bo")
    camp = Campaign(name="Fall", channel="sms", status="running")
    session.add(camp)
    session.flush()
    session.add_all([MarketingActivity(campaign_id=camp.id, contact_id=a.id, channel="sms", status="delivered"),
                     MarketingActivity(campaign_id=camp.id, contact_id=b.id, channel="sms", status="queued")])
    session.commit()
    merge_contacts(session, MARKETER, a.id, b.id)
    session.commit()
    session.expire_all()
    b = session.get(Contact, b.id)
    assert (b.email, b.first_name) == ("only@a.com", "Bo")
    assert [r.status for r in session.scalars(sa.select(MarketingActivity))] == ["delivered"]


def test_mistakes_change_nothing(session):
    a = create_contact(session, email="a@x.com")
    session.commit()
    with pytest.raises(MergeError, match="one contact"):
        merge_contacts(session, MARKETER, "a@x.com", a.id)
    with pytest.raises(ContactNotFound, match="no contact has the email nobody@x.com"):
        merge_contacts(session, MARKETER, "a@x.com", "nobody@x.com")
    with pytest.raises(PermissionDenied):
        merge_contacts(session, REVIEWER, "a@x.com", a.id)
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 1


def test_merge_in_chat_shows_an_approval_card_then_merges(session):
    from tests.integration.test_agent_offline import MARKETER as CHAT_MARKETER
    from tests.integration.test_agent_offline import chat

    a = create_contact(session, email="jane.doe@gmail.com", phone="+15125550100", company="Acme Roofing")
    b = create_contact(session, email="jane@acme.com", phone="+15125550100", first_name="Jane")
    session.commit()
    a_id, b_id = a.id, b.id
    asked, done, pending = chat(("say", f"merge contact #{a_id} into #{b_id}"), ("decide", "approve"),
                                actor=CHAT_MARKETER)
    card = asked.approval["summary"]
    assert asked.approval["tool"] == "merge_contacts" and card["title"] == f"Merge contact #{a_id} into #{b_id}"
    assert "company = Acme Roofing" in card["details"]["B gets from A"]
    assert done.text.startswith(f"Merged contact #{a_id} into #{b_id}") and pending is None
    session.expire_all()
    assert session.get(Contact, a_id) is None and session.get(Contact, b_id).company == "Acme Roofing"
    missing, = chat(("say", f"merge contact #{b_id} into #{b_id}"), actor=CHAT_MARKETER)[:1]
    assert missing.approval is None and "one contact: name two different contacts" in missing.text


def test_merging_two_people_in_one_sequence_keeps_one_enrolment_going(session):
    """Both records are active in one sequence: B goes on, A's enrolment ends "merged" (it moves to B as history),
    so the one-active-enrolment-per-contact-and-sequence rule holds after the merge."""
    from db.models import Sequence, SequenceEnrolment

    a = create_contact(session, first_name="Jane", email="jane.doe@gmail.com")
    b = create_contact(session, first_name="Jane", email="jane@acme.com")
    seq = Sequence(name="Spring follow-up", status="running")
    session.add(seq)
    session.flush()
    now = utcnow()
    for contact, position in ((a, 1), (b, 0)):
        session.add(SequenceEnrolment(sequence_id=seq.id, contact_id=contact.id, position=position,
                                      enrolled_at=now, next_due_at=now + timedelta(days=2)))
    session.flush()
    merge_contacts(session, MARKETER, a.id, b.id)
    rows = session.execute(sa.select(SequenceEnrolment.status, SequenceEnrolment.exit_reason,
                                     SequenceEnrolment.position).where(SequenceEnrolment.contact_id == b.id)
                           .order_by(SequenceEnrolment.position)).all()
    assert rows == [("active", None, 0), ("exited", "merged", 1)]
