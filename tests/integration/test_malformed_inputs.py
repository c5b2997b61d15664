"""Malformed input gets a 4xx (or a typed refusal), never a 500: a 400-digit signature timestamp, validly signed
JSON nested thousands deep, a redirect to a URL without "//", an oversized body sent chunked without a length."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from db.models import WebhookEvent
from integrations.fetcher import Fetcher, FetchRefused
from tests.fakes import chatwoot as cw
from tests.fakes import sentdm
from tests.fakes.server import serve_app
from tests.integration.companion import app_client, count, env_setter
from webhooks.auth import json_too_deep

SECRET = "cw-webhook-secret"
HUGE_TS = "9" * 400


@pytest.fixture
def env(monkeypatch):
    yield from env_setter(monkeypatch)


@pytest.fixture
def client(db):
    yield from app_client()


def test_a_400_digit_chatwoot_timestamp_is_refused_with_401(env, client):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET)
    body = cw.dumps(cw.message_created())
    response = client.post("/webhooks/chatwoot", content=body, headers=cw.signed_headers(SECRET, body,
                                                                                         timestamp=int(HUGE_TS)))
    assert response.status_code == 401 and "unix time" in response.json()["detail"]
    assert count(WebhookEvent) == 0


def test_a_400_digit_sentdm_timestamp_is_refused_with_401(env, client):
    env(MKT_SENTDM_WEBHOOK_SECRET=sentdm.WEBHOOK_SECRET)
    body, headers = sentdm.signed_webhook(sentdm.inbound_event("+15125550100", "hi"), timestamp=int(HUGE_TS))
    assert client.post("/webhooks/sentdm", content=body, headers=headers).status_code == 401


@pytest.mark.parametrize("depth", [40, 5000])
def test_validly_signed_deeply_nested_json_is_refused_with_400(env, client, depth):
    env(MKT_CHATWOOT_WEBHOOK_SECRET=SECRET, MKT_CALCOM_WEBHOOK_SECRET=SECRET)
    body = ('{"event": "message_created", "deep": ' + '[' * depth + ']' * depth + "}").encode()
    response = client.post("/webhooks/chatwoot", content=body, headers=cw.signed_headers(SECRET, body))
    assert response.status_code == 400 and "nested deeper" in response.json()["detail"]
    signed, headers = sentdm.signed_webhook({"deep": 1})
    deep_body = signed.replace(b"1", b"[" * depth + b"]" * depth)
    from integrations.sentdm import sign

    headers["x-webhook-signature"] = sign(sentdm.WEBHOOK_SECRET, headers["x-webhook-id"],
                                          headers["x-webhook-timestamp"], deep_body)
    env(MKT_SENTDM_WEBHOOK_SECRET=sentdm.WEBHOOK_SECRET)
    assert client.post("/webhooks/sentdm", content=deep_body, headers=headers).status_code == 400
    assert count(WebhookEvent) == 0


def test_the_depth_check_ignores_brackets_inside_strings():
    assert not json_too_deep(json.dumps({"text": "[" * 500, "q": '\\"[[[[', "list": [[[1]]]}).encode())
    assert json_too_deep(b'{"a": ' + b"[" * 33 + b"]" * 33 + b"}")
    assert not json_too_deep(b"[" * 32 + b"]" * 32)


@pytest.mark.parametrize("location", ["http:169.254.169.254/", "https:\\\\169.254.169.254/", "http://a..b/",
                                      "http://" + "a" * 70 + ".example/"])
def test_a_redirect_to_a_malformed_url_is_refused_not_crashed(location):
    app = Starlette(routes=[Route("/__health", lambda r: Response("ok")),
                            Route("/r", lambda r: Response("", 302, headers={"location": location}))])
    with serve_app(app) as base, Fetcher(allow_loopback=True) as fetcher, pytest.raises(FetchRefused):
        fetcher.fetch(base + "/r")


def test_a_chunked_body_over_the_limit_is_refused_while_it_arrives(env, client):
    env(MKT_SENTDM_WEBHOOK_SECRET=sentdm.WEBHOOK_SECRET, MKT_MAX_BODY_BYTES="1000")
    assert client.post("/webhooks/sentdm", content=iter([b"x" * 100] * 100)).status_code == 413


def test_the_guard_answers_413_after_reading_just_past_the_limit_whatever_the_route_does():
    import asyncio

    from starlette.requests import Request

    from webhooks.guard import BodyLimitMiddleware

    received, sent = [], []

    async def receive():
        received.append(1)
        return {"type": "http.request", "body": b"x" * 100, "more_body": len(received) < 10_000}

    async def send(message):
        sent.append(message)

    async def greedy_route(scope, receive, send):  # buffers everything, and turns any error into a 400
        try:
            await Request(scope, receive).body()
        except Exception:  # noqa: BLE001
            await Response("bad", 400)(scope, receive, send)

    guard = BodyLimitMiddleware(greedy_route, limit_for=lambda scope: 1000)
    asyncio.run(guard({"type": "http", "method": "POST", "path": "/project/action", "headers": []}, receive, send))
    assert sent[0]["status"] == 413 and len(sent) == 2
    assert len(received) == 11
