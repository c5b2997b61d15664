"""POST /webhooks/chatwoot: signature (valid, invalid, missing, stale), secret URL token, limits, duplicates."""

import time

import pytest

from db.models import ConversationMessage, WebhookEvent
from tests.fakes import chatwoot as cw
from tests.integration.companion import app_client, count, drain, env_setter

SECRET = "cw-webhook-secret"


@pytest.fixture
def env(monkeypatch):
    yield from env_setter(monkeypatch)


@pytest.fixture
def client(db):
    yield from app_client()


def _post(client, payload, headers=None, path="/webhooks/chatwoot"):
    body = cw.dumps(payload)
    return client.post(path, content=body, headers=headers if headers is not None else cw.signed_headers(SECRET, body))


def test_a_signed_message_is_stored_once_and_processed(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    payload = cw.message_created()
    first = _post(client, payload)
    again = _post(client, payload)  # a new delivery id, the same message
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert count(WebhookEvent) == 1
    assert drain() == ["processed"]
    assert count(ConversationMessage) == 1


def test_an_invalid_signature_is_refused_and_nothing_is_stored(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    body = cw.dumps(cw.message_created())
    headers = cw.signed_headers("another secret", body)
    response = client.post("/webhooks/chatwoot", content=body, headers=headers)
    assert response.status_code == 401 and response.json()["detail"] == "invalid signature"
    assert count(WebhookEvent) == 0


def test_a_body_changed_after_signing_is_refused(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    body = cw.dumps(cw.message_created(content="hello"))
    headers = cw.signed_headers(SECRET, body)
    tampered = body.replace(b"hello", b"STOP")
    assert client.post("/webhooks/chatwoot", content=tampered, headers=headers).status_code == 401
    assert count(WebhookEvent) == 0


def test_missing_signature_headers_are_refused(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    response = _post(client, cw.message_created(), headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and "missing" in response.json()["detail"]
    assert count(WebhookEvent) == 0


def test_a_stale_or_future_timestamp_is_refused_even_with_a_valid_signature(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    body = cw.dumps(cw.message_created())
    for ts in (int(time.time()) - 301, int(time.time()) + 600):
        response = client.post("/webhooks/chatwoot", content=body, headers=cw.signed_headers(SECRET, body, timestamp=ts))
        assert response.status_code == 401 and "stale" in response.json()["detail"]
    assert count(WebhookEvent) == 0


def test_without_a_secret_the_url_token_is_required(env, client):
    """The token travels as a query parameter: request logs record the path, never the query string."""
    env(MKT_CHATWOOT_WEBHOOK_SECRET="", MKT_CHATWOOT_WEBHOOK_TOKEN="tok-123")
    plain = {"Content-Type": "application/json"}
    assert _post(client, cw.message_created(), plain, "/webhooks/chatwoot").status_code == 401
    assert _post(client, cw.message_created(), plain, "/webhooks/chatwoot?token=wrong").status_code == 401
    ok = _post(client, cw.message_created(), plain, "/webhooks/chatwoot?token=tok-123")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    assert count(WebhookEvent) == 1


def test_with_a_secret_the_token_url_still_needs_the_signature(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET, MKT_CHATWOOT_WEBHOOK_TOKEN="tok-123")
    plain = {"Content-Type": "application/json"}
    assert _post(client, cw.message_created(), plain, "/webhooks/chatwoot?token=tok-123").status_code == 401
    assert _post(client, cw.message_created(), None, "/webhooks/chatwoot?token=tok-123").status_code == 200


def test_an_unconfigured_endpoint_refuses_everything_and_says_how_to_configure_it(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET="", MKT_CHATWOOT_WEBHOOK_TOKEN="")
    response = _post(client, cw.message_created(), {"Content-Type": "application/json"})
    assert response.status_code == 503 and "MKT_CHATWOOT_WEBHOOK_SECRET" in response.json()["detail"]


def test_bad_json_missing_event_and_oversized_bodies_get_clear_4xx(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET, MKT_MAX_BODY_BYTES="2000")
    bad = b"{not json"
    response = client.post("/webhooks/chatwoot", content=bad, headers=cw.signed_headers(SECRET, bad))
    assert response.status_code == 400 and "not valid JSON" in response.json()["detail"]
    no_event = b'{"id": 1}'
    response = client.post("/webhooks/chatwoot", content=no_event, headers=cw.signed_headers(SECRET, no_event))
    assert response.status_code == 422
    big = cw.dumps(cw.message_created(content="x" * 5000))
    response = client.post("/webhooks/chatwoot", content=big, headers=cw.signed_headers(SECRET, big))
    assert response.status_code == 413
    assert count(WebhookEvent) == 0


def test_non_message_events_are_keyed_by_their_own_id_never_the_unsigned_delivery_header(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    payload = cw.contact_event("contact_updated", cw.contact(), changed=[{"name": {"previous_value": "A"}}])
    body = cw.dumps(payload)
    answers = [client.post("/webhooks/chatwoot", content=body,
                           headers=cw.signed_headers(SECRET, body, delivery=f"d-{i}")).json()["status"]
               for i in range(3)]  # a Sidekiq retry, then replays with fresh X-Chatwoot-Delivery headers
    assert answers == ["accepted", "duplicate", "duplicate"]
    other = cw.dumps(cw.contact_event("contact_updated", cw.contact(), changed=[{"name": {"previous_value": "B"}}]))
    assert client.post("/webhooks/chatwoot", content=other,
                       headers=cw.signed_headers(SECRET, other, delivery="d-0")).json()["status"] == "accepted"
    assert count(WebhookEvent) == 2


def test_concurrent_deliveries_are_group_committed_and_each_event_is_accepted_once(env, db):
    import asyncio

    import httpx

    from webhooks.app import create_app

    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    same = cw.dumps(cw.message_created(message_id=1))
    bodies = [same] * 10 + [cw.dumps(cw.message_created(message_id=100 + i)) for i in range(30)]

    async def fire():
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await asyncio.gather(*(c.post("/webhooks/chatwoot", content=b, headers=cw.signed_headers(SECRET, b))
                                          for b in bodies))

    answers = [r.json()["status"] for r in asyncio.run(fire())]
    assert answers[:10].count("accepted") == 1 and answers[:10].count("duplicate") == 9
    assert answers[10:] == ["accepted"] * 30
    assert count(WebhookEvent) == 31


def test_a_queue_outage_after_commit_still_answers_200_and_the_sweeper_enqueues_later(env, client, monkeypatch):
    from datetime import timedelta

    import sqlalchemy as sa

    from db.session import unit_of_work
    from workers import inbox
    from workers.webhooks import process

    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)

    def down(*_args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(process, "send", down)
    assert _post(client, cw.message_created()).json()["status"] == "accepted"
    with unit_of_work() as uow:
        event = uow.session.scalar(sa.select(WebhookEvent))
        assert event.status == "pending"
        assert inbox.stale_pending(uow.session) == []  # too fresh to be called lost
        event.received_at -= timedelta(minutes=6)
    sent = []
    monkeypatch.setattr(process, "send", sent.append)
    assert inbox.sweep() == 1 and sent == [event.id]
