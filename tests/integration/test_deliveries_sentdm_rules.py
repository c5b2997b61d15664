"""The Sent.dm rules of tools/campaigns/deliveries.py stated with their answers (issue 24: mutation survivors):
status events (which status, which time, which reason; events for messages not recorded yet), and inbound SMS
(every message recorded; STOP opts out, START opts back in, HELP queues the answer, a reply leaves the sequences).
The processor is called directly on one session; every expected value is written out here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from db.models import Contact, ContactEvent, ConversationMessage, MarketingActivity, Suppression, WebhookEvent
from tests.factories import create_contact, create_enrolment
from tests.fakes.sentdm import inbound_event, status_event
from tools.campaigns import deliveries
from tools.campaigns.deliveries import NotRecordedYet, process_sentdm

STAMPED = datetime(2026, 5, 19, 10, 10, 42, tzinfo=UTC)  # status_event's timestamp
RECEIVED = datetime(2026, 5, 19, 10, 10, 40, tzinfo=UTC)  # inbound_event's received_at
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PHONE = "+15125550101"
COLUMNS = ("sent_at", "delivered_at", "opened_at", "clicked_at", "failed_at")


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(deliveries, "utcnow", lambda: NOW)


def sd(session, event):
    return process_sentdm(session, WebhookEvent(provider="sentdm", payload=event))


def an_sms(session, status="sending", message_id="sd-1", error_message=None):
    contact = create_contact(session, email="ana@example.com", phone=PHONE)
    activity = MarketingActivity(campaign_id=None, contact_id=contact.id, channel="sms", status=status,
                                 provider_message_id=message_id, to_address=PHONE, error_message=error_message)
    session.add(activity)
    session.flush()
    return activity


def outcome(a):
    return (a.status, a.error_code, a.error_message, {c: getattr(a, c) for c in COLUMNS if getattr(a, c)})


def with_body(event, **body):
    event["payload"] |= body
    for key in [k for k, v in body.items() if v is None]:
        del event["payload"][key]
    return event


# --- status events ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("reported", "expected"), [
    ("SENT", ("sent", None, None, {"sent_at": STAMPED})),
    ("DELIVERED", ("delivered", None, None, {"delivered_at": STAMPED})),
    ("delivered", ("delivered", None, None, {"delivered_at": STAMPED})),
    ("READ", ("opened", None, None, {"opened_at": STAMPED, "delivered_at": STAMPED})),
    ("FAILED", ("failed", "FAILED", None, {"failed_at": STAMPED})),
    ("BLOCKED", ("failed", "FAILED", None, {"failed_at": STAMPED})),
    ("FILTERED", ("failed", "FAILED", None, {"failed_at": STAMPED}))])
def test_a_status_event_moves_the_activity_at_the_events_time(session, reported, expected):
    a = an_sms(session)
    assert sd(session, with_body(status_event("sd-1", "sent"), message_status=reported)) is None
    assert outcome(a) == expected


def test_the_status_comes_from_the_payload_else_from_the_sub_type_else_the_event_name(session):
    a = an_sms(session)
    event = with_body(status_event("sd-1", "updated"), message_status="SENT")  # the payload's status wins
    assert sd(session, event) is None and a.status == "sent"
    event = with_body(status_event("sd-1", "delivered"), message_status=None)
    assert sd(session, event) is None and a.status == "delivered"
    event = with_body(status_event("sd-1", "read"), message_status=None)
    del event["sub_type"]
    assert sd(session, event) is None and outcome(a) == ("opened", None, None, {
        "sent_at": STAMPED, "delivered_at": STAMPED, "opened_at": STAMPED})


def test_a_status_event_without_a_time_is_stamped_now(session):
    a = an_sms(session)
    event = status_event("sd-1", "delivered")
    del event["timestamp"]
    sd(session, event)
    assert outcome(a) == ("delivered", None, None, {"delivered_at": NOW})


@pytest.mark.parametrize("event", [
    with_body(status_event("sd-1", "queued"), message_status="QUEUED"),  # a status we do not track
    with_body(status_event("sd-1", "delivered"), message_status="") | {"sub_type": "", "event": ""},
    status_event("sd-1", "delivered") | {"field": "conversation"},  # not about a message
    {k: v for k, v in status_event("sd-1", "delivered").items() if k != "field"}])
def test_events_that_are_no_message_status_are_ignored(session, event):
    a = an_sms(session)
    assert sd(session, event) == "ignored"
    assert outcome(a) == ("sending", None, None, {})


def test_a_status_for_a_message_not_recorded_yet_is_retried_unless_it_cannot_be_ours(session):
    an_sms(session)
    with pytest.raises(NotRecordedYet) as later:
        sd(session, status_event("sd-2", "delivered"))
    assert str(later.value) == ("no activity with Sent.dm message id sd-2 yet (retried later: the webhook may have "
                                "beaten our record of the send)")
    assert sd(session, status_event("sandbox-7", "delivered")) == "ignored"
    assert sd(session, with_body(status_event("", "delivered"), message_id=None)) == "ignored"


def test_a_failure_keeps_its_code_and_reason_cut_to_their_columns(session):
    a = an_sms(session, status="sent", error_message="first try: timeout")
    event = with_body(status_event("sd-1", "failed"), reason_code="DELIVERY_" + "7" * 40, reason="r" * 1200)
    sd(session, event)
    assert outcome(a) == ("failed", ("DELIVERY_" + "7" * 40)[:40], "r" * 1000, {"failed_at": STAMPED})
    a.error_message = "first try: timeout"
    sd(session, with_body(status_event("sd-1", "failed"), reason_code="DELIVERY_007", reason="carrier rejected"))
    assert (a.error_code, a.error_message) == ("DELIVERY_007", "carrier rejected")
    sd(session, status_event("sd-1", "blocked"))  # no reason: the code says FAILED, the earlier note stays
    assert (a.error_code, a.error_message) == ("FAILED", "carrier rejected")
    sd(session, with_body(status_event("sd-1", "delivered"), reason_code="X", reason="y"))  # not a failure
    assert outcome(a) == ("delivered", "FAILED", "carrier rejected", {"failed_at": STAMPED, "delivered_at": STAMPED})


# --- inbound SMS --------------------------------------------------------------------------------------------

def messages(session):
    session.flush()
    return [tuple(r) for r in session.execute(sa.select(
        ConversationMessage.contact_id, ConversationMessage.channel, ConversationMessage.direction,
        ConversationMessage.body, ConversationMessage.sender, ConversationMessage.occurred_at,
        ConversationMessage.campaign_id).order_by(ConversationMessage.id))]


def sms_state(session):
    session.flush()
    suppressed = sorted(session.execute(sa.select(Suppression.channel, Suppression.address, Suppression.reason,
                                                  Suppression.source)).tuples())
    contact = session.scalar(sa.select(Contact).where(Contact.phone == PHONE))
    history = [tuple(r) for r in session.execute(sa.select(ContactEvent.kind, ContactEvent.source, ContactEvent.field,
                                                           ContactEvent.data).order_by(ContactEvent.id))]
    return suppressed, (contact.opted_out_sms, contact.opted_out_sms_reason, contact.opted_out_email), history


def test_every_inbound_message_is_recorded_with_its_sender_and_time(session):
    contact = create_contact(session, email="ana@example.com", phone=PHONE)
    assert sd(session, inbound_event(PHONE, "see you at 5")) is None
    assert sd(session, inbound_event("+15125550199", "who is this?")) is None
    event = inbound_event(PHONE, "")
    del event["payload"]["text"], event["payload"]["received_at"]
    assert sd(session, event) is None
    assert sd(session, with_body(inbound_event(PHONE, "x" * 10_050), received_at="not a time")) is None
    assert messages(session) == [(contact.id, "sms", "inbound", "see you at 5", PHONE, RECEIVED, None),
                                 (None, "sms", "inbound", "who is this?", "+15125550199", RECEIVED, None),
                                 (contact.id, "sms", "inbound", "", PHONE, NOW, None),
                                 (contact.id, "sms", "inbound", "x" * 10_000, PHONE, NOW, None)]
    assert sms_state(session) == ([], (False, None, False), [])


def test_an_inbound_message_is_known_by_its_sub_type_or_event_name_and_needs_a_sender(session):
    by_event, by_sub_type = inbound_event(PHONE, "hello"), inbound_event(PHONE, "hello again")
    del by_event["sub_type"], by_sub_type["event"]
    assert sd(session, by_event) is None and sd(session, by_sub_type) is None
    assert sd(session, with_body(inbound_event(PHONE, "STOP"), **{"from": None})) == "ignored"
    assert sd(session, with_body(inbound_event(PHONE, "hi"), **{"from": "+1" + "5" * 330})) is None
    assert [(m[3], m[4]) for m in messages(session)] == [("hello", PHONE), ("hello again", PHONE),
                                                         ("hi", "+1" + "5" * 318)]
    assert session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0


def test_stop_opts_the_sender_out_with_what_they_replied_and_start_opts_back_in(session):
    create_contact(session, email="ana@example.com", phone=PHONE)
    assert sd(session, inbound_event(PHONE, "  Stop texting me  ")) is None
    assert sms_state(session) == ([("sms", PHONE, "opt_out", "sms_keyword")],
                                  (True, "replied 'Stop texting me'", False),
                                  [("opted_out", "sms_keyword", "sms", {"reason": "opt_out"})])
    assert sd(session, inbound_event(PHONE, "START")) is None
    assert sms_state(session) == ([], (False, None, False),
                                  [("opted_out", "sms_keyword", "sms", {"reason": "opt_out"}),
                                   ("opted_in", "sms_keyword", "sms", {})])
    long = "STOP " + "n" * 70
    sd(session, inbound_event(PHONE, long))
    assert sms_state(session)[1] == (True, f"replied {long[:50]!r}", False)


def test_help_queues_the_help_answer_for_a_known_sender_only(session):
    contact = create_contact(session, email="ana@example.com", phone=PHONE)

    def queued():
        session.flush()
        return [tuple(r) for r in session.execute(sa.select(
            MarketingActivity.campaign_id, MarketingActivity.contact_id, MarketingActivity.channel,
            MarketingActivity.type, MarketingActivity.status, MarketingActivity.to_address))]

    assert sd(session, inbound_event(PHONE, "thanks")) is None and queued() == []
    assert sd(session, inbound_event(PHONE, "HELP")) is None
    assert queued() == [(None, contact.id, "sms", "help", "queued", PHONE)]
    assert sd(session, inbound_event("+15125550199", "help")) is None  # an unknown sender: no one to answer
    assert len(queued()) == 1 and len(messages(session)) == 3
    assert sms_state(session) == ([], (False, None, False), [])


def enrolled(session, contact):
    return create_enrolment(session, contact, exit_on=["replied"], enrolled_at=NOW)


def test_a_reply_leaves_the_sequences_a_keyword_is_no_reply(session):
    ana = create_contact(session, email="ana@example.com", phone=PHONE)
    bo = create_contact(session, email="bo@example.com", phone="+15125550102")
    cy = create_contact(session, email="cy@example.com", phone="+15125550103")
    ana_in, bo_in, cy_in = enrolled(session, ana), enrolled(session, bo), enrolled(session, cy)
    sd(session, inbound_event("+15125550102", "HELP"))
    sd(session, inbound_event("+15125550199", "who is this?"))
    sd(session, inbound_event(PHONE, "sounds good"))
    sd(session, inbound_event("+15125550103", "STOP"))
    session.expire_all()
    assert [(e.status, e.exit_reason) for e in (ana_in, bo_in, cy_in)] == [
        ("exited", "replied"), ("active", None), ("exited", "opted_out")]
