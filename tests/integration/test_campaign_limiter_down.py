"""When the shared rate limiter fails (Redis down), claimed messages go back to the queue: nothing reaches the
provider and nothing is left in doubt."""

import redis

from tests.integration.campaign_support import fakes
from tools import campaign_sending as sending


class BrokenLimiter:
    def wait(self, count: int) -> None:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def hold(self, seconds: float) -> None:  # pragma: no cover - not reached
        raise AssertionError("hold must not be called")


def _batch(channel: str) -> sending.Batch:
    to = ["a@example.com", "b@example.com"] if channel == "email" else ["+15125550100", "+15125550101"]
    batch = sending.Batch(campaign_id=1, channel=channel)
    batch.messages = [sending.Outgoing(activity_id=i + 1, contact_id=i + 1, to=addr, subject="Hi", text="Hello")
                      for i, addr in enumerate(to)]
    return batch


def test_email_batch_is_put_back_when_the_limiter_fails(monkeypatch):
    with fakes(monkeypatch) as (postmark, _):
        results, retry_after = sending.deliver(_batch("email"), sending.email_transport(), BrokenLimiter(), mark=set)
    assert [(r.activity_id, r.kind, r.code) for r in results] == [(1, "retry", "limiter"), (2, "retry", "limiter")]
    assert retry_after and retry_after > 0
    assert postmark.delivered == []


def test_sms_batch_is_put_back_when_the_limiter_fails(monkeypatch):
    with fakes(monkeypatch) as (_, sentdm):
        results, _ = sending.deliver(_batch("sms"), sending.sms_transport(), BrokenLimiter(), mark=set)
    assert [r.kind for r in results] == ["retry", "retry"]
    assert "rate limiter unavailable" in results[0].message
    assert sentdm.delivered == []
