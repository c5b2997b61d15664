"""The Chatwoot processor: every channel, string and integer message types, contact linking, attribution,
STOP keywords, no loops, contact/conversation events, duplicates and reordering."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from db.models import Campaign, Contact, ContactEvent, ConversationMessage, MarketingActivity, Suppression, utcnow
from db.session import unit_of_work
from tests.factories import create_contact
from tests.fakes import chatwoot as cw
from tests.integration.companion import count, drain
from tools.inbox.conversations import channel_of, message_type
from tools.webhook_events import store_event

CHANNELS = [("Channel::Sms", "sms"), ("Channel::TwilioSms", "sms"), ("Channel::Email", "email"),
            ("Channel::FacebookPage", "facebook"), ("Channel::Instagram", "instagram"),
            ("Channel::Whatsapp", "whatsapp"), ("Channel::Telegram", "telegram"), ("Channel::Api", "api"),
            ("Channel::WebWidget", "web")]


def deliver(payload, key=None):
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", key or f"{payload['event']}:{payload.get('id')}:{uuid.uuid4().hex}",
                    payload["event"], payload)
    return drain()


def messages():
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(ConversationMessage).order_by(ConversationMessage.id)))


def contacts():
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(Contact).order_by(Contact.id)))


@pytest.mark.parametrize(("chatwoot_channel", "ours"), CHANNELS)
def test_an_incoming_message_on_every_channel_is_stored_with_its_ids(db, chatwoot_channel, ours):
    payload = cw.message_created(message_id=118, channel=chatwoot_channel, conversation_id=10, inbox_id=3)
    assert deliver(payload) == ["processed"]
    [row] = messages()
    assert (row.channel, row.direction, row.body) == (ours, "inbound", "Hi, is this available?")
    assert (row.chatwoot_message_id, row.chatwoot_conversation_id, row.chatwoot_inbox_id) == (118, 10, 3)
    assert row.contact_id is not None


def test_message_type_is_read_as_a_string_or_an_integer():
    assert [message_type(v) for v in ("incoming", 0, "0", 1, "outgoing", 2, 3, "template", None, 9)] == [
        "incoming", "incoming", "incoming", "outgoing", "outgoing", "activity", "template", "template", "unknown",
        "unknown"]


def test_twilio_whatsapp_is_told_apart_from_twilio_sms():
    conv = cw.conversation(channel="Channel::TwilioSms")
    conv["contact_inbox"]["source_id"] = "whatsapp:+14155550123"
    assert channel_of(conv) == "whatsapp"


def test_an_integer_message_type_at_the_top_level_is_handled_too(db):
    payload = cw.message_created()
    payload["message_type"] = 0
    assert deliver(payload) == ["processed"]
    assert len(messages()) == 1


def test_an_unknown_sender_becomes_a_contact_from_chatwoot(db):
    deliver(cw.message_created(contact=cw.contact(cid=77, name="Ana Lima", email="Ana@Example.com",
                                                  phone="+1 415 555 0123")))
    [person] = contacts()
    assert (person.source, person.chatwoot_contact_id, person.email, person.phone) == (
        "chatwoot", 77, "ana@example.com", "+14155550123")
    assert (person.first_name, person.last_name) == ("Ana", "Lima")


def test_a_web_visitor_without_email_or_phone_still_gets_a_contact_keyed_by_chatwoot_id(db):
    visitor = cw.contact(cid=90, name="Visitor", email=None, phone=None)
    deliver(cw.message_created(message_id=1, channel="Channel::WebWidget", contact=visitor))
    deliver(cw.message_created(message_id=2, channel="Channel::WebWidget", contact=visitor))
    [person] = contacts()
    assert person.chatwoot_contact_id == 90 and {m.contact_id for m in messages()} == {person.id}


@pytest.mark.parametrize("link", ["phone", "email", "chatwoot_id"])
def test_a_known_contact_is_linked_by_phone_email_or_chatwoot_id(db, session, link):
    known = create_contact(session, email="jane@example.com", phone="+14155550199", chatwoot_contact_id=55,
                           first_name="Jane")
    session.commit()
    sender = {"phone": cw.contact(cid=1, email=None, phone="(415) 555-0199"),
              "email": cw.contact(cid=2, email="JANE@example.com", phone=None),
              "chatwoot_id": cw.contact(cid=55, email=None, phone=None)}[link]
    deliver(cw.message_created(contact=sender))
    assert [m.contact_id for m in messages()] == [known.id]
    assert len(contacts()) == 1


def _campaign_touch(session, contact, sent_at, name="Spring"):
    campaign = Campaign(name=name, channel="sms", status="running", send_rules={"stop_on_reply": True})
    session.add(campaign)
    session.flush()
    session.add(MarketingActivity(campaign_id=campaign.id, contact_id=contact.id, channel="sms", status="delivered",
                                  sent_at=sent_at))
    session.flush()
    return campaign


def test_a_reply_is_attributed_to_the_last_campaign_within_the_window(db, session):
    jane = create_contact(session, email="ana@example.com", phone="+14155550123")
    _campaign_touch(session, jane, utcnow() - timedelta(days=30), "Old")
    recent = _campaign_touch(session, jane, utcnow() - timedelta(days=2), "Recent")
    session.commit()
    deliver(cw.message_created())
    assert messages()[0].campaign_id == recent.id


def test_a_touch_older_than_the_window_earns_nothing(db, session):
    jane = create_contact(session, email="ana@example.com", phone="+14155550123")
    _campaign_touch(session, jane, utcnow() - timedelta(days=8))
    session.commit()
    deliver(cw.message_created())
    assert messages()[0].campaign_id is None


def test_a_reply_stops_waiting_follow_ups_when_the_campaign_says_so(db, session):
    jane = create_contact(session, email="ana@example.com", phone="+14155550123")
    campaign = _campaign_touch(session, jane, utcnow() - timedelta(days=1))
    follow_up = Campaign(name="Other", channel="sms", send_rules={})
    session.add(follow_up)
    session.flush()
    session.add_all([MarketingActivity(campaign_id=campaign.id, contact_id=jane.id, channel="email", status="queued"),
                     MarketingActivity(campaign_id=follow_up.id, contact_id=jane.id, channel="sms", status="queued")])
    session.commit()
    deliver(cw.message_created())
    with unit_of_work() as uow:
        statuses = dict(uow.session.execute(sa.select(MarketingActivity.campaign_id, MarketingActivity.status)
                                            .where(MarketingActivity.channel == "email")).all())
        other = uow.session.scalar(sa.select(MarketingActivity.status).where(
            MarketingActivity.campaign_id == follow_up.id))
    assert statuses[campaign.id] == "cancelled" and other == "queued"


def test_stop_by_sms_opts_the_phone_out_and_is_kept_as_a_message(db):
    deliver(cw.message_created(content="STOP", channel="Channel::Sms"))
    [person] = contacts()
    assert person.opted_out_sms and not person.opted_out_email
    assert count(Suppression, Suppression.channel == "sms", Suppression.address == "+14155550123") == 1
    assert messages()[0].body == "STOP"


def test_stop_on_whatsapp_suppresses_the_phone_and_on_email_the_address(db):
    deliver(cw.message_created(message_id=1, content="stop please", channel="Channel::Whatsapp"))
    deliver(cw.message_created(message_id=2, content="Unsubscribe", channel="Channel::Email"))
    [person] = contacts()
    assert person.opted_out_sms and person.opted_out_email


def test_stop_on_a_channel_without_a_suppression_list_is_recorded_for_a_person_to_see(db):
    deliver(cw.message_created(content="STOP", channel="Channel::Instagram",
                               contact=cw.contact(cid=5, email=None, phone=None)))
    [person] = contacts()
    assert not person.opted_out_sms
    assert count(ContactEvent, ContactEvent.kind == "opt_out_requested", ContactEvent.field == "instagram") == 1


def test_start_opts_back_in_by_sms(db):
    deliver(cw.message_created(message_id=1, content="STOP"))
    deliver(cw.message_created(message_id=2, content="START"))
    assert not contacts()[0].opted_out_sms


def test_an_ordinary_message_that_mentions_stop_opts_nothing_out(db):
    deliver(cw.message_created(content="Can you stop by the office tomorrow afternoon to talk?"))
    assert not contacts()[0].opted_out_sms


def test_outgoing_and_private_messages_are_never_answered_or_counted_as_replies(db):
    assert deliver(cw.message_created(message_id=1, message_type="outgoing",
                                      sender={"id": 1, "name": "Agent", "email": "a@acme.test", "type": "user"})) == [
        "ignored"]
    assert deliver(cw.message_created(message_id=2, private=True)) == ["ignored"]
    assert deliver(cw.message_created(message_id=3, message_type="activity")) == ["ignored"]
    rows = messages()
    assert [(m.chatwoot_message_id, m.direction) for m in rows] == [(1, "outbound")]
    assert contacts() == []


def test_the_same_message_twice_changes_nothing(db):
    payload = cw.message_created()
    deliver(payload)
    assert deliver(payload) == ["ignored"]
    assert len(messages()) == 1 and len(contacts()) == 1


def test_message_updated_edits_the_body(db):
    deliver(cw.message_created())
    deliver(cw.message_created(content="Hi, is this still available?", event="message_updated"))
    assert messages()[0].body == "Hi, is this still available?"


def test_an_edit_that_arrives_before_its_message_is_applied_when_the_message_comes(db):
    from webhooks.chatwoot import event_key

    updated = cw.message_created(content="Hi, is this still available?", event="message_updated")
    assert deliver(updated, key=event_key(updated, cw.dumps(updated))) == ["ignored"]
    deliver(cw.message_created())
    assert messages()[0].body == "Hi, is this still available?"


def test_contact_events_fill_missing_fields_and_never_overwrite(db, session):
    known = create_contact(session, email="ana@example.com", first_name="Ana", last_name="Original")
    session.commit()
    person = cw.contact(cid=14, name="Someone Else", email="ana@example.com", phone="+14155550123")
    assert deliver(cw.contact_event("contact_updated", person, changed=[])) == ["processed"]
    [row] = contacts()
    assert row.id == known.id and row.phone == "+14155550123" and row.chatwoot_contact_id == 14
    assert (row.first_name, row.last_name) == ("Ana", "Original")


def test_contact_created_makes_a_contact_only_when_reachable(db):
    deliver(cw.contact_event("contact_created", cw.contact(cid=3, email=None, phone=None)))
    assert contacts() == []
    deliver(cw.contact_event("contact_created", cw.contact(cid=4, email="new@example.com", phone=None)))
    assert [c.source for c in contacts()] == ["chatwoot"]


def test_conversation_events_link_the_chatwoot_id_but_create_nobody(db, session):
    create_contact(session, email="ana@example.com")
    session.commit()
    conv = cw.conversation(contact_data=cw.contact(cid=14))
    assert deliver(cw.conversation_event("conversation_status_changed", conv, changed=[])) == ["processed"]
    assert contacts()[0].chatwoot_contact_id == 14
    other = cw.conversation(contact_data=cw.contact(cid=99, email="nobody@example.com", phone=None))
    assert deliver(cw.conversation_event("conversation_created", other)) == ["ignored"]
    assert len(contacts()) == 1


def test_unknown_events_are_ignored(db):
    assert deliver({"event": "conversation_typing_on", "id": 1}) == ["ignored"]
