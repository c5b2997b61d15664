"""SMS campaigns: sandbox delivery through the inbox, quiet-hours deferral and release, Retry-After, shared rate
limit, crash recovery with the same idempotency key (SMS) and no blind resend (email)."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from db.models import MarketingActivity, Suppression, utcnow
from db.session import unit_of_work
from tests.factories import create_contact
from tests.fakes.postmark import FakePostmark
from tests.fakes.sentdm import FakeSentDm
from tests.integration.campaign_support import (
    MARKETER,
    configure,
    drain,
    fakes,
    people,
    running_worker,
    zone_at,
)
from tools import channels
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc
from tools.campaigns import sending as campaign_sending
from workers import campaigns as workers_campaigns
from workers.campaigns import run_tick

NIGHT = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # 02:00 in Etc/GMT+6


def aware(value):
    """A stored time as UTC-aware (SQLite gives naive UTC back)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def rows(campaign_id):
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id == campaign_id).order_by(MarketingActivity.contact_id)))


def sms_campaign(name="Flash", **kw):
    with unit_of_work() as uow:
        view = drafting.draft_campaign(uow.session, MARKETER, name=name, channel="sms", filter=None,
                                       body_text="Hi {first_name|there}, 20% off today.", **kw)
    return view.id


def launch(campaign_id, now=None):
    with unit_of_work() as uow:
        return tc.launch_campaign(uow.session, MARKETER, campaign_id, now=now)


def test_sandbox_sms_is_recorded_and_delivered_through_the_webhook_path(db, monkeypatch):
    configure(monkeypatch, MKT_SMS_PRICE_MICROS="8000")
    people(2)
    with unit_of_work() as uow:
        create_contact(uow.session, phone="+15125550000", timezone=zone_at(12))  # the sandbox fails *0000
    campaign_id = sms_campaign()
    result = launch(campaign_id)
    assert result.notice.startswith("SANDBOX: nothing left the building")
    with running_worker():
        drain()
    statuses = [(a.status, a.provider, a.segments, a.cost_micros) for a in rows(campaign_id)]
    assert statuses == [("delivered", "sandbox", 1, 8000)] * 2 + [("failed", "sandbox", 1, 8000)]
    with unit_of_work() as uow:
        progress = tc.campaign_status(uow.session, MARKETER, campaign_id)
    assert progress.notice.startswith("SANDBOX") and progress.cost_micros == 24000
    run_tick()
    with unit_of_work() as uow:
        assert tc.campaign_status(uow.session, MARKETER, campaign_id).status == "completed"


def test_quiet_hours_defer_to_local_8am_and_the_tick_releases_them(db, monkeypatch):
    fake = FakeSentDm()
    monkeypatch.setattr(workers_campaigns, "clock", lambda: NIGHT)  # the send path's clock, frozen with the launch
    with fakes(monkeypatch, sentdm=fake):
        people(2, timezone=zone_at(2, NIGHT))  # 02:00 where they live (UTC-6)
        campaign_id = sms_campaign()
        result = launch(campaign_id, now=NIGHT)
        assert (result.queued, result.deferred) == (0, 2)
        deferred = rows(campaign_id)
        assert {a.status for a in deferred} == {"deferred"}
        assert {aware(a.scheduled_for) for a in deferred} == {NIGHT + timedelta(hours=6)}  # 08:00 local
        with running_worker():
            drain()
            assert fake.delivered == []
            run_tick()  # not yet due: nothing moves
            drain()
            assert fake.delivered == []
            due = deferred[0].scheduled_for  # 08:00 where they live: the tick and the claim run at that instant
            monkeypatch.setattr(workers_campaigns, "clock", lambda: due)
            run_tick()
            drain()
    assert sorted(m["to"] for m in fake.delivered) == ["+15125550001", "+15125550002"]
    assert {a.status for a in rows(campaign_id)} == {"sent"}


def test_retry_after_is_honoured_and_nothing_is_sent_twice(db, monkeypatch):
    fake = FakeSentDm(failures=[(429, 1), (503, None)])
    with fakes(monkeypatch, sentdm=fake):
        people(3)
        campaign_id = sms_campaign()
        launch(campaign_id)
        with running_worker(threads=1):
            drain()
    assert Counter(m["to"] for m in fake.delivered) == Counter({"+15125550001": 1, "+15125550002": 1,
                                                                 "+15125550003": 1})
    acts = rows(campaign_id)
    assert {a.status for a in acts} == {"sent"} and acts[0].attempts >= 2  # 429, then sent (or a 503 in between)
    assert sum(a.attempts for a in acts) == 5  # three sends, the 429 and the 503: each request one attempt


def test_the_shared_rate_limit_keeps_the_provider_under_its_limit(db, monkeypatch):
    fake = FakeSentDm(rate_per_second=20, burst=20)
    with fakes(monkeypatch, sentdm=fake, MKT_SMS_RATE_PER_SECOND="20", MKT_SMS_BATCH_SIZE="5",
               MKT_SEND_CAP_24H="0"):
        people(30)
        campaign_id = sms_campaign()
        launch(campaign_id)
        with running_worker(threads=4):
            drain()
    assert len(fake.delivered) == 30 and fake.over_limit == 0
    assert {a.status for a in rows(campaign_id)} == {"sent"}


def test_a_number_opted_out_at_the_provider_is_suppressed(db, monkeypatch):
    fake = FakeSentDm(opted_out={"+15125550002"})
    with fakes(monkeypatch, sentdm=fake):
        people(2)
        campaign_id = sms_campaign()
        launch(campaign_id)
        with running_worker():
            drain()
    assert [a.status for a in rows(campaign_id)] == ["sent", "failed"]
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Suppression.address)) == "+15125550002"


def crash_after_the_provider_call(campaign_id, channel):
    """Claim and send like a worker, then 'die' before recording; age the claim past the stale limit."""
    with unit_of_work() as uow:
        ids = [a.id for a in rows(campaign_id)]
        batch = campaign_sending.begin_batch(uow.session, campaign_id, ids)
    transport = channels.get(channel).transport()
    results, _ = campaign_sending.deliver(batch, transport, mark=workers_campaigns.mark_requested)
    assert {r.kind for r in results} == {"sent"}
    with unit_of_work() as uow:
        hour_ago = utcnow() - timedelta(hours=1)
        uow.session.execute(sa.update(MarketingActivity).values(claimed_at=hour_ago, requested_at=hour_ago))


def test_sms_in_doubt_is_retried_with_the_same_key_and_sent_once(db, monkeypatch):
    fake = FakeSentDm()
    with fakes(monkeypatch, sentdm=fake):
        people(3)
        campaign_id = sms_campaign()
        launch(campaign_id)
        crash_after_the_provider_call(campaign_id, "sms")
        with running_worker():
            run_tick()
            drain()
    assert len(fake.delivered) == 3 and fake.replays == 3
    by_key = {m["key"]: m["message_id"] for m in fake.delivered}
    for a in rows(campaign_id):
        assert a.status == "sent" and a.provider_message_id == by_key[a.idempotency_key]


def test_email_in_doubt_is_reconciled_by_metadata_and_never_resent(db, monkeypatch):
    from workers.campaigns import reconcile_unknown_email

    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake):
        people(2)
        with unit_of_work() as uow:
            view = drafting.draft_campaign(uow.session, MARKETER, name="Mail", channel="email", filter=None,
                                           subject="Hi", body_text="Hello {first_name|}")
        launch(view.id)
        crash_after_the_provider_call(view.id, "email")
        with running_worker():
            run_tick()
            drain()
            assert {a.status for a in rows(view.id)} == {"unknown"}  # never re-queued
            assert reconcile_unknown_email() == {"sent": 2, "review": 0}
    assert len(fake.delivered) == 2
    ids = {m["Metadata"]["activity_id"]: m["MessageID"] for m in fake.delivered}
    assert {(a.status, a.provider_message_id) for a in rows(view.id)} == {("sent", ids[str(a.id)])
                                                                          for a in rows(view.id)}


