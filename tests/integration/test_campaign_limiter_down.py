"""When the shared rate limiter fails (Redis down), a batch is not claimed: its rows stay queued, nothing reaches the
provider, nothing is left in doubt, and the batch is deferred in the queue to try again."""

import pytest
import redis
import sqlalchemy as sa

from db.models import MarketingActivity
from db.session import unit_of_work
from tests.integration.campaign_support import MARKETER, fakes, people
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc
from workers import campaigns as wc


class BrokenLimiter:
    interval = 0.01

    def reserve(self, n: int, horizon: float) -> tuple[float, bool]:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    held_for = wait = reserve

    def hold(self, seconds: float) -> None:  # pragma: no cover - not reached
        raise AssertionError("hold must not be called")


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_batch_is_left_queued_and_deferred_when_the_limiter_fails(db, monkeypatch, channel):
    deferred = []
    with fakes(monkeypatch) as (postmark, sentdm):
        monkeypatch.setattr(wc, "_transport_and_limit", lambda ch: (None, BrokenLimiter()))
        monkeypatch.setattr(wc.send_due, "send_with_options", lambda **kw: deferred.append(kw))
        people(2)
        with unit_of_work() as uow:
            view = drafting.draft_campaign(uow.session, MARKETER, name="C", channel=channel, filter=None, subject="Hi",
                                           body_text="Hello")
            tc.launch_campaign(uow.session, MARKETER, view.id)
        with unit_of_work() as uow:
            ids = list(uow.session.scalars(sa.select(MarketingActivity.id).order_by(MarketingActivity.id)))
        assert "rate limiter unavailable" in wc.run_batch(view.id, ids)
    with unit_of_work() as uow:
        rows = uow.session.scalars(sa.select(MarketingActivity)).all()
        assert {(a.status, a.attempts, a.claimed_at) for a in rows} == {("queued", 0, None)}
    assert [(d["args"], d["delay"]) for d in deferred if "delay" in d] == [((view.id, ids), 2000)]
    assert postmark.delivered == [] and sentdm.delivered == []
