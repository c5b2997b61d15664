"""The Postmark client against the local fake over real HTTP: batches, per-element errors, typed failures."""

import httpx
import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.postmark import EmailMessage, PostmarkClient
from tests.fakes.postmark import FakePostmark
from tests.fakes.server import serve_app


@pytest.fixture
def fake():
    return FakePostmark(inactive={"gone@example.com"})


@pytest.fixture
def client(fake):
    with serve_app(fake.app()) as base:
        c = PostmarkClient(fake.token, base_url=base, sender="News <news@acme.test>", stream="broadcast")
        yield c
        c.close()


def msg(i, to=None):
    return EmailMessage(i, to or f"user{i}@example.com", "Hello", "Hi there", "<p>Hi</p>",
                        unsubscribe_url=f"https://acme.test/unsubscribe/t{i}")


def test_a_batch_carries_stream_metadata_and_one_click_unsubscribe(client, fake):
    items = client.send_batch([msg(1), msg(2)])
    assert [i.ok for i in items] == [True, True] and all(i.message_id for i in items)
    sent = fake.delivered[0]
    assert sent["MessageStream"] == "broadcast" and sent["Metadata"] == {"activity_id": "1"}
    headers = {h["Name"]: h["Value"] for h in sent["Headers"]}
    assert headers == {"List-Unsubscribe": "<https://acme.test/unsubscribe/t1>",
                       "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def test_per_element_errors_are_reported_in_order(client, fake):
    items = client.send_batch([msg(1), msg(2, "gone@example.com"), msg(3, "not-an-address")])
    assert [(i.activity_id, i.error_code) for i in items] == [(1, 0), (2, 406), (3, 300)]
    assert fake.addresses() == ["user1@example.com"]


def test_more_than_500_is_refused_before_any_request(client, fake):
    with pytest.raises(ValueError, match="500"):
        client.send_batch([msg(i) for i in range(501)])
    assert fake.requests == 0
    assert len(client.send_batch([msg(i) for i in range(500)])) == 500


def test_429_and_5xx_are_retryable_with_retry_after(client, fake):
    fake.failures = [(429, 7), (503, None), (500, None)]
    with pytest.raises(RetryableError) as first:
        client.send_batch([msg(1)])
    assert first.value.status == 429 and first.value.retry_after == 7
    for status in (503, 500):
        with pytest.raises(RetryableError) as err:
            client.send_batch([msg(1)])
        assert err.value.status == status
    assert fake.delivered == []


def test_a_bad_token_is_permanent(fake):
    with serve_app(fake.app()) as base:
        bad = PostmarkClient("wrong", base_url=base, sender="a@b.test")
        with pytest.raises(PermanentError) as err:
            bad.send_batch([msg(1)])
    assert err.value.status == 401 and err.value.code == "10"


def test_an_unreachable_server_is_retryable():
    c = PostmarkClient("t", base_url="http://127.0.0.1:9", sender="a@b.test",
                       client=httpx.Client(timeout=0.5))
    with pytest.raises(RetryableError):
        c.send_batch([msg(1)])


def test_the_rate_limit_of_the_fake_answers_429(fake):
    fake = FakePostmark(rate_per_second=2, burst=2)
    with serve_app(fake.app()) as base:
        c = PostmarkClient(fake.token, base_url=base, sender="a@b.test")
        c.send_batch([msg(1), msg(2)])
        with pytest.raises(RetryableError) as err:
            c.send_batch([msg(3)])
    assert err.value.status == 429 and fake.over_limit == 1


def test_reconciliation_finds_a_message_by_activity_id(client):
    items = client.send_batch([msg(41)])
    assert client.find_by_activity(41) == items[0].message_id
    assert client.find_by_activity(42) is None
