"""Webhook identity from signed data (issue 17, item 8): a captured, validly signed Sent.dm request replayed with a
fresh unsigned X-Webhook-Event-Id header changes nothing (a replayed START does not opt back in; HELP replayed three
times is answered once); a status redelivered with another header is the same event; the body's own event id wins."""

import json

import sqlalchemy as sa
from fastapi.testclient import TestClient

from db.models import MarketingActivity, Suppression, WebhookEvent
from db.session import unit_of_work
from tests.fakes.sentdm import inbound_event, signed_webhook, status_event
from tests.integration.campaign_support import configure, drain, running_worker
from tests.integration.test_deliveries import an_activity
from webhooks.providers import sentdm_event_key

PHONE = "+15125550101"


def post(client: TestClient, body: bytes, headers: dict[str, str], event_id: str) -> str:
    response = client.post("/webhooks/sentdm", content=body, headers=headers | {"x-webhook-event-id": event_id})
    assert response.status_code == 200, response.text
    return response.json()["status"]


def inbound(text: str, at: str) -> dict:
    event = inbound_event(PHONE, text)
    event["payload"]["received_at"] = event["timestamp"] = at
    return event


def count(model, *where) -> int:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_replayed_start_does_not_opt_back_in_and_help_replayed_is_answered_once(db, monkeypatch):
    from webhooks.app import create_app
    from workers.campaigns import run_tick

    configure(monkeypatch)
    with running_worker():
        client = TestClient(create_app())
        an_activity("sms")
        start = signed_webhook(inbound("START", "2026-05-19T10:00:00Z"))  # captured by an attacker
        stop = signed_webhook(inbound("STOP", "2026-05-19T10:05:00Z"))
        assert post(client, *start, "evt-start") == "accepted"
        assert post(client, *stop, "evt-stop") == "accepted"
        drain()
        assert count(Suppression) == 1
        assert [post(client, *start, f"evt-replay-{i}") for i in range(3)] == ["duplicate"] * 3
        drain()
        assert count(Suppression) == 1, "a replayed START opted the person back in"

        help_ = signed_webhook(inbound("HELP", "2026-05-19T10:06:00Z"))
        answers = [post(client, *help_, f"evt-help-{i}") for i in range(3)]
        assert answers == ["accepted", "duplicate", "duplicate"]
        drain()
        run_tick()
        drain()
        assert count(MarketingActivity, MarketingActivity.type == "help") == 1
        assert count(WebhookEvent, WebhookEvent.event_type == "message.received") == 3


def test_a_status_redelivered_with_a_fresh_header_is_the_same_event(db, monkeypatch):
    from webhooks.app import create_app

    configure(monkeypatch)
    with running_worker():
        client = TestClient(create_app())
        an_activity("sms", message_id="sm-1")
        delivered = signed_webhook(status_event("sm-1", "delivered", PHONE))
        assert post(client, *delivered, "evt-1") == "accepted"
        assert post(client, *delivered, "evt-2") == "duplicate"
        failed = signed_webhook(status_event("sm-1", "failed", PHONE))
        assert post(client, *failed, "evt-3") == "accepted"  # another status of the message is another event
    assert count(WebhookEvent) == 2


def test_the_key_comes_from_the_body_never_the_header():
    body = {"id": "ev_42", "field": "message", "sub_type": "message.delivered", "payload": {"message_id": "m"}}
    raw = json.dumps(body).encode()
    assert sentdm_event_key(body, "message.delivered", raw) == "event:ev_42"
    del body["id"]
    assert sentdm_event_key(body, "message.delivered", raw) == "message.delivered:m"
    no_id = inbound_event(PHONE, "hi")
    one, other = json.dumps(no_id).encode(), json.dumps(inbound_event(PHONE, "hello")).encode()
    assert sentdm_event_key(no_id, "message.received", one) == sentdm_event_key(no_id, "message.received", one)
    assert sentdm_event_key(no_id, "message.received", one) != sentdm_event_key(no_id, "message.received", other)
