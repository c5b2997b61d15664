"""Delivery webhooks through the companion endpoint and the inbox: authentic, idempotent, monotonic; STOP/START/HELP;
one-click unsubscribe."""

import base64
import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from db.models import Campaign, ConversationMessage, MarketingActivity, Suppression, WebhookEvent
from db.session import unit_of_work
from tests.factories import create_contact
from tests.fakes.sentdm import inbound_event, signed_webhook, status_event
from tests.integration.campaign_support import configure, drain, running_worker
from tools.campaigns.deliveries import advance
from tools.campaigns.messages import unsubscribe_url

AUTH = {"Authorization": "Basic " + base64.b64encode(b"pm:pm-pass").decode()}


@pytest.fixture
def client(db, monkeypatch):
    configure(monkeypatch)
    from webhooks.app import create_app

    with running_worker():
        yield TestClient(create_app())


def an_activity(channel="email", status="sent", message_id="m-1"):
    with unit_of_work() as uow:
        s = uow.session
        contact = create_contact(s, email="ana@example.com", phone="+15125550101")
        campaign = Campaign(name="C", channel=channel, status="running")
        s.add(campaign)
        s.flush()
        activity = MarketingActivity(campaign_id=campaign.id, contact_id=contact.id, channel=channel, status=status,
                                     provider_message_id=message_id, to_address=contact.email if channel == "email"
                                     else contact.phone)
        s.add(activity)
        s.flush()
        return activity.id


def reload(activity_id):
    with unit_of_work() as uow:
        return uow.session.get(MarketingActivity, activity_id)


def postmark(client, payload):
    return client.post("/webhooks/postmark", content=json.dumps(payload), headers=AUTH)


def test_status_only_moves_forward():
    a = MarketingActivity(status="sending")
    assert advance(a, "delivered") and a.status == "delivered" and a.delivered_at
    assert not advance(a, "sent") and a.status == "delivered" and a.sent_at  # late "sent" keeps its time only
    assert not advance(a, "failed") and a.status == "delivered"
    assert advance(a, "clicked") and not advance(a, "opened") and a.status == "clicked" and a.opened_at
    assert advance(a, "complained") and a.status == "complained"


def test_postmark_needs_basic_auth_and_stores_each_body_once(client):
    assert client.post("/webhooks/postmark", json={"RecordType": "Delivery"}).status_code == 401
    bad = {"Authorization": "Basic " + base64.b64encode(b"pm:nope").decode()}
    assert client.post("/webhooks/postmark", json={"RecordType": "Delivery"}, headers=bad).status_code == 401
    event = {"RecordType": "Delivery", "MessageID": "m-1", "Metadata": {"activity_id": "1"}}
    assert postmark(client, event).json() == {"status": "accepted"}
    assert postmark(client, event).json() == {"status": "duplicate"}
    assert client.post("/webhooks/postmark", content=b"not json", headers=AUTH).status_code == 400


def test_delivery_open_click_arrive_in_any_order(client):
    activity_id = an_activity()
    meta = {"activity_id": str(activity_id)}
    for kind, stamp in (("Click", "ReceivedAt"), ("Delivery", "DeliveredAt"), ("Open", "ReceivedAt")):
        postmark(client, {"RecordType": kind, "MessageID": "m-1", stamp: "2026-05-19T16:33:54Z", "Metadata": meta,
                          "Recipient": "ana@example.com"})
    drain()
    a = reload(activity_id)
    assert a.status == "clicked" and a.delivered_at and a.opened_at and a.clicked_at


def test_hard_bounce_and_complaint_suppress_the_address(client):
    activity_id = an_activity()
    postmark(client, {"RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "MessageID": "m-1",
                      "Email": "ana@example.com", "Description": "mailbox unknown", "Metadata": {}})
    drain()
    assert reload(activity_id).status == "bounced"
    postmark(client, {"RecordType": "SpamComplaint", "MessageID": "m-1", "Email": "ana@example.com", "Metadata": {}})
    drain()
    assert reload(activity_id).status == "complained"
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Suppression.reason)) == "hard_bounce"


def test_a_soft_bounce_is_recorded_without_suppression(client):
    activity_id = an_activity()
    postmark(client, {"RecordType": "Bounce", "Type": "SoftBounce", "TypeCode": 4096, "MessageID": "m-1",
                      "Email": "ana@example.com", "Description": "mailbox full", "Metadata": {}})
    drain()
    a = reload(activity_id)
    assert a.status == "sent" and a.error_code == "SoftBounce"
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0


def test_subscription_change_opts_out_and_back_in(client):
    an_activity()
    change = {"RecordType": "SubscriptionChange", "MessageID": "m-1", "Recipient": "ana@example.com",
              "SuppressSending": True, "SuppressionReason": "ManualSuppression", "Metadata": {}}
    postmark(client, change)
    drain()
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Suppression.reason)) == "opt_out"
    postmark(client, change | {"SuppressSending": False, "ChangedAt": "later"})
    drain()
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0


def test_sentdm_needs_a_valid_signature(client):
    an_activity("sms")  # message m-1 exists: its status event is processed, not retried
    body, headers = signed_webhook(status_event("m-1", "delivered"))
    assert client.post("/webhooks/sentdm", content=body + b" ", headers=headers).status_code == 401
    assert client.post("/webhooks/sentdm", content=body, headers=headers | {"x-webhook-signature": "v1,xx"}
                       ).status_code == 401
    assert client.post("/webhooks/sentdm", content=body, headers=headers).json()["status"] == "accepted"
    assert client.post("/webhooks/sentdm", content=body, headers=headers).json()["status"] == "duplicate"


def test_sentdm_statuses_are_monotonic_and_failures_keep_their_reason(client):
    activity_id = an_activity("sms")
    for status in ("delivered", "sent", "failed"):
        body, headers = signed_webhook(status_event("m-1", status))
        client.post("/webhooks/sentdm", content=body, headers=headers)
    drain()
    assert reload(activity_id).status == "delivered"
    with unit_of_work() as uow:
        a = uow.session.get(MarketingActivity, activity_id)
        a.status, a.provider_message_id = "sent", "m-3"
    event = status_event("m-3", "failed")
    event["payload"] |= {"reason": "carrier rejected", "reason_code": "DELIVERY_007"}
    body, headers = signed_webhook(event)
    client.post("/webhooks/sentdm", content=body, headers=headers)
    drain()
    a = reload(activity_id)
    assert (a.status, a.error_code, a.error_message) == ("failed", "DELIVERY_007", "carrier rejected")


@pytest.mark.parametrize(("text", "opted_out"), [("STOP", True), ("stop please", True), ("Unsubscribe", True),
                                                 ("remove", True), ("Arret", True), ("TD", True),
                                                 ("see you at 5", False)])
def test_inbound_sms_keywords_opt_out(client, text, opted_out):
    an_activity("sms")
    body, headers = signed_webhook(inbound_event("+15125550101", text))
    client.post("/webhooks/sentdm", content=body, headers=headers)
    drain()
    with unit_of_work() as uow:
        assert (uow.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 1) is opted_out
        assert uow.session.scalar(sa.select(ConversationMessage.body)) == text


def test_start_opts_back_in_and_help_is_answered(client):
    from workers.campaigns import run_tick

    an_activity("sms")
    for text in ("STOP", "START", "HELP"):
        body, headers = signed_webhook(inbound_event("+15125550101", text))
        client.post("/webhooks/sentdm", content=body, headers=headers)
        drain()
    run_tick()
    drain()
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0
        help_row = uow.session.scalar(sa.select(MarketingActivity).where(MarketingActivity.type == "help"))
        assert help_row.status == "delivered" and help_row.provider == "sandbox"  # no key: sandbox answered
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent).where(
            WebhookEvent.status != "processed")) == 0


def test_unsubscribe_link_get_asks_and_post_opts_out(client):
    activity_id = an_activity()
    url = unsubscribe_url(activity_id).removeprefix("https://mkt.test")
    page = client.get(url)
    assert page.status_code == 200 and "ana@example.com" in page.text and "<form" in page.text
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) == 0
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more" in done.text
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Suppression.address)) == "ana@example.com"
    assert client.post(url[:-3] + "abc").status_code == 404
    assert client.get("/unsubscribe/" + unsubscribe_url(activity_id + 1).rsplit("/", 1)[1][:-2] + "zz"
                      ).status_code == 404


def test_a_delivery_webhook_that_beats_the_record_keeps_its_status_and_the_record_adds_id_and_cost(db, monkeypatch):
    from tools.campaigns.sending import Batch, Outgoing, Result, record_batch
    from tools.webhook_events import process_event, store_event
    from workers.webhooks import PROCESSORS

    configure(monkeypatch)
    activity_id = an_activity(status="sending", message_id=None)
    with unit_of_work() as uow:  # Postmark's Delivery webhook is processed before our record commits
        event = store_event(uow.session, "postmark", "e1", "Delivery", {
            "RecordType": "Delivery", "MessageID": "pm-9", "Metadata": {"activity_id": str(activity_id)}})
        process_event(uow.session, event, PROCESSORS)
    batch = Batch(None, "email", [Outgoing(activity_id, 1, "ana@example.com", cost_micros=1800)])
    with unit_of_work() as uow:
        record_batch(uow.session, batch, [Result(activity_id, "sent", "pm-9")], provider="postmark")
    a = reload(activity_id)
    assert (a.status, a.provider_message_id, a.cost_micros) == ("delivered", "pm-9", 1800) and a.sent_at


def test_a_sentdm_status_for_a_send_not_recorded_yet_is_retried_not_dropped(db, monkeypatch):
    from tools.campaigns.deliveries import NotRecordedYet
    from tools.webhook_events import process_event, store_event
    from workers.webhooks import PROCESSORS

    configure(monkeypatch)
    an_activity("sms", status="sending", message_id=None)
    with unit_of_work() as uow:
        event = store_event(uow.session, "sentdm", "e1", "message.delivered", status_event("sd-1", "delivered"))
    with unit_of_work() as uow, pytest.raises(NotRecordedYet):
        process_event(uow.session, event, PROCESSORS)
    with unit_of_work() as uow:
        assert uow.session.get(WebhookEvent, event).status == "pending"  # rolled back: the retry will find it
