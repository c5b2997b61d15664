"""The Sent.dm v3 client against the local fake over real HTTP: idempotency, typed errors, signatures."""

import time

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.sentdm import SentDmClient, idempotency_key, sign, verify_signature
from tests.fakes.sentdm import WEBHOOK_SECRET, FakeSentDm, signed_webhook, status_event
from tests.fakes.server import serve_app


@pytest.fixture
def fake():
    return FakeSentDm(opted_out={"+15125550199"})


@pytest.fixture
def client(fake):
    with serve_app(fake.app()) as base:
        yield SentDmClient(fake.api_key, base_url=base, sender="+12125550000")


def test_a_send_returns_the_message_id(client, fake):
    result = client.send_sms("+15125550100", "Hi Ana", idempotency_key(1))
    assert result.message_id and not result.replayed
    assert fake.delivered == [{"key": "mkt-activity-1", "to": "+15125550100", "text": "Hi Ana",
                               "message_id": result.message_id}]


def test_the_same_idempotency_key_replays_and_sends_nothing_new(client, fake):
    first = client.send_sms("+15125550100", "Hi", idempotency_key(7))
    again = client.send_sms("+15125550100", "Hi (edited)", idempotency_key(7))
    assert again.replayed and again.message_id == first.message_id
    assert len(fake.delivered) == 1 and fake.replays == 1


@pytest.mark.parametrize(("number", "code"), [("5125550100", "VALIDATION_002"), ("+15125550199", "BUSINESS_004")])
def test_validation_and_business_errors_are_permanent(client, number, code):
    with pytest.raises(PermanentError) as err:
        client.send_sms(number, "Hi", idempotency_key(1))
    assert err.value.code == code


def test_429_5xx_are_retryable_and_carry_retry_after(client, fake):
    fake.failures = [(429, 3), (500, None), (503, None)]
    with pytest.raises(RetryableError) as err:
        client.send_sms("+15125550100", "Hi", idempotency_key(1))
    assert err.value.retry_after == 3 and err.value.code == "BUSINESS_002"
    for _ in range(2):
        with pytest.raises(RetryableError):
            client.send_sms("+15125550100", "Hi", idempotency_key(1))
    assert client.send_sms("+15125550100", "Hi", idempotency_key(1)).message_id
    assert len(fake.delivered) == 1


def test_a_wrong_key_is_permanent(fake):
    with serve_app(fake.app()) as base:
        with pytest.raises(PermanentError) as err:
            SentDmClient("nope", base_url=base).send_sms("+15125550100", "Hi", "k1")
    assert err.value.status == 401 and err.value.code == "AUTH_002"


def test_webhook_signatures_verify_and_reject_tampering_and_stale_timestamps():
    body, headers = signed_webhook(status_event("m1", "delivered"))
    args = (WEBHOOK_SECRET, headers["x-webhook-id"], headers["x-webhook-timestamp"])
    assert verify_signature(*args, body, headers["x-webhook-signature"])
    assert not verify_signature(*args, body + b" ", headers["x-webhook-signature"])
    assert not verify_signature("whsec_" + "A" * 44, *args[1:], body, headers["x-webhook-signature"])
    old = str(int(time.time()) - 3600)
    assert not verify_signature(WEBHOOK_SECRET, "wh", old, body, sign(WEBHOOK_SECRET, "wh", old, body))
    several = "v1,AAAA " + headers["x-webhook-signature"]
    assert verify_signature(*args, body, several)
    assert not verify_signature(*args, body, "")
