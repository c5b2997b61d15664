"""REST hooks through the API (POST/GET/DELETE /api/v1/hooks, scope hooks:write): a key subscribes itself, sees
and ends only its own hooks, the SSRF guard applies, and an event reaches the hook over real HTTP signed in the
Standard Webhooks format, checked with the reference verifier (the `standardwebhooks` package)."""

import json

import pytest
from fastapi.testclient import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from db.models import OutboundSubscription
from db.session import unit_of_work
from domain.roles import Role
from tests.integration.companion import count, env_setter
from tests.integration.outbound_support import deliveries, record_sends, serving_receiver
from tools import hooks, outbound
from tools.api_keys import create_api_key, revoke_api_key
from tools.users import Actor
from webhooks.app import create_app
from workers import outbound as outbound_worker

ADMIN = Actor("admin@example.com", Role.ADMIN)


@pytest.fixture
def env(monkeypatch):
    yield from env_setter(monkeypatch)


@pytest.fixture
def receiver(db, env):
    with serving_receiver(env) as rec:
        yield rec


@pytest.fixture
def sent(monkeypatch):
    return record_sends(monkeypatch)


@pytest.fixture
def client(receiver):
    with TestClient(create_app(), raise_server_exceptions=True) as c:
        yield c


def key(scopes="hooks:write", name="n8n"):
    with unit_of_work() as uow:
        return create_api_key(uow.session, ADMIN, name=name, scopes=scopes).key


def auth(k):
    return {"X-Api-Key": k}


def subscribe(client, k, url, events=("reply.received",)):
    return client.post("/api/v1/hooks", json={"target_url": url, "events": list(events)}, headers=auth(k))


def test_a_key_subscribes_lists_and_deletes_its_own_hooks(client, receiver):
    mine, other = key(), key(name="zapier")
    made = subscribe(client, mine, receiver.url, ["contact.created", "reply.received", "reply.received"])
    assert made.status_code == 201
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and hook["events"] == ["contact.created", "reply.received"]
    assert hook["target_url"] == receiver.url and hook["active"] is True
    listed = client.get("/api/v1/hooks", headers=auth(mine)).json()["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]
    assert client.get("/api/v1/hooks", headers=auth(other)).json() == {"items": []}
    assert client.delete(f"/api/v1/hooks/{hook['id']}", headers=auth(other)).status_code == 404
    gone = client.delete(f"/api/v1/hooks/{hook['id']}", headers=auth(mine))
    assert gone.status_code == 204 and gone.content == b""
    assert client.delete(f"/api/v1/hooks/{hook['id']}", headers=auth(mine)).status_code == 404
    assert client.get("/api/v1/hooks", headers=auth(mine)).json() == {"items": []}
    assert count(OutboundSubscription, OutboundSubscription.active.is_(True)) == 0


def test_the_scope_is_needed(client, receiver):
    k = key("contacts:read events:read")
    response = subscribe(client, k, receiver.url)
    assert response.status_code == 403 and "hooks:write" in response.json()["detail"]
    assert client.get("/api/v1/hooks", headers=auth(k)).status_code == 403
    assert client.delete("/api/v1/hooks/1", headers=auth(k)).status_code == 403
    assert client.get("/api/v1/hooks").status_code == 401
    assert count(OutboundSubscription) == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1:5678/webhook/x", "http://10.0.0.5/x", "http://169.254.169.254/x",
                                 "http://localhost/x", "file:///etc/passwd", "https://user:pw@example.com/x"])
def test_private_or_odd_target_urls_are_refused(client, env, url):
    env(MKT_OUTBOUND_ALLOW_LOOPBACK="false")
    response = subscribe(client, key(), url)
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)
    assert count(OutboundSubscription) == 0


def test_a_name_that_does_not_resolve_is_refused_saying_so(client, env):
    env(MKT_OUTBOUND_ALLOW_LOOPBACK="false")
    response = subscribe(client, key(), "https://hooks.example.invalid/webhook/x")  # .invalid never resolves
    assert response.status_code == 422 and "cannot resolve hooks.example.invalid" in response.json()["detail"]
    assert count(OutboundSubscription) == 0


def test_bad_events_and_bodies_are_422_with_nothing_stored(client, receiver):
    k = key()
    assert subscribe(client, k, receiver.url, ["contact.exploded"]).status_code == 422
    assert subscribe(client, k, receiver.url, []).status_code == 422
    extra = client.post("/api/v1/hooks", json={"target_url": receiver.url, "events": ["reply.received"], "x": 1},
                        headers=auth(k))
    assert extra.status_code == 422
    assert count(OutboundSubscription) == 0


def test_a_key_has_at_most_so_many_hooks(client, receiver, monkeypatch):
    monkeypatch.setattr(hooks, "MAX_HOOKS_PER_KEY", 2)
    k = key()
    assert [subscribe(client, k, receiver.url).status_code for _ in range(3)] == [201, 201, 422]
    assert subscribe(client, key(name="other"), receiver.url).status_code == 201


def _emit(event="reply.received", payload=None):
    with unit_of_work() as uow:
        return outbound.emit(uow.session, event, payload or {"contact": {"id": 7}, "body": "hi"})


def test_an_event_reaches_the_hook_and_verifies_with_the_standard_webhooks_verifier(client, receiver, sent):
    secret = subscribe(client, key(), receiver.url).json()["secret"]
    [delivery_id] = _emit()
    assert outbound_worker.deliver(delivery_id) == "delivered"
    [got] = receiver.received
    headers, body = got["headers"], got["body"]
    assert headers["webhook-id"] == f"msg_{delivery_id}" and headers["webhook-signature"].startswith("v1,")
    payload = Webhook(secret).verify(body, headers)  # raises unless the signature and timestamp are right
    assert payload["type"] == payload["event"] == "reply.received" and payload["data"]["body"] == "hi"
    assert payload["id"] == delivery_id and payload["timestamp"] == payload["created_at"]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace(b'"hi"', b'"ho"'), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(outbound.new_secret()).verify(body, headers)
    legacy = outbound.sign(secret, headers["x-mkt-timestamp"], body)
    assert headers["x-mkt-signature"] == legacy  # the old header, kept for one release


def test_a_subscription_made_before_whsec_secrets_verifies_with_its_standard_form(receiver, sent):
    with unit_of_work() as uow:
        uow.session.add(OutboundSubscription(url=receiver.url, events=[], secret="plain-old-secret", active=True))
    [delivery_id] = _emit()
    assert outbound_worker.deliver(delivery_id) == "delivered"
    [got] = receiver.received
    Webhook(outbound.standard_secret("plain-old-secret")).verify(got["body"], got["headers"])
    assert got["headers"]["x-mkt-signature"] == outbound.sign("plain-old-secret", got["headers"]["x-mkt-timestamp"],
                                                              got["body"])


def test_events_stop_when_the_key_is_revoked(client, receiver, sent):
    k = key()
    subscribe(client, k, receiver.url)
    [queued] = _emit()
    with unit_of_work() as uow:
        revoke_api_key(uow.session, ADMIN, k.split(".")[0])
    assert _emit() == []  # no new delivery for the revoked key's hook
    assert outbound_worker.deliver(queued) == "skipped" and receiver.received == []
    assert deliveries()[0].status == "failed"


def test_a_410_gone_answer_ends_the_hook(client, receiver, sent):
    k = key()
    hook = subscribe(client, k, receiver.url).json()
    receiver.statuses = [410]
    [delivery_id] = _emit()
    assert outbound_worker.deliver(delivery_id) == "failed"
    assert client.get("/api/v1/hooks", headers=auth(k)).json() == {"items": []}
    assert _emit() == [] and deliveries()[0].last_status_code == 410
    assert hook["id"] == deliveries()[0].subscription_id


def test_an_admin_subscription_answered_410_stays_but_the_delivery_is_not_retried(receiver, sent):
    with unit_of_work() as uow:
        outbound.add_subscription(uow.session, ADMIN, receiver.url)
    receiver.statuses = [410]
    [delivery_id] = _emit()
    sent.clear()
    assert outbound_worker.deliver(delivery_id) == "failed" and sent == []
    assert len(_emit()) == 1


def test_the_hook_secret_is_in_the_body_only_once(client, receiver):
    made = subscribe(client, key(), receiver.url)
    assert json.dumps(made.json()).count("whsec_") == 1
