"""Frequency caps re-checked when a batch is claimed (tools/campaigns/sending.py: begin_batch).

Launch checks the caps (domain/send_rules.py) against what was sent before; two campaigns launched at about the
same time to the same contacts both pass that check, since neither has sent yet. With a cap of 1 SMS per contact
per 24 h, each contact must still get exactly one message at the Sent.dm fake: the claim counts the contact's
messages of other campaigns on the channel sent or being sent (with the launch's own query and rule), and a row that
would exceed the cap is cancelled with the cap as its reason (launch excludes capped contacts rather than deferring
them), without using up an attempt; the campaign's progress shows it among the exclusions.

The second test interleaves two claims by hand: campaign A's claim is still open (not committed) when campaign B's
claim for the same contacts starts in another thread. On PostgreSQL B waits for A's per-contact advisory lock and
then counts A's rows as being sent; on SQLite B waits for the write lock. Without that, B would count nothing and
both would send."""

from __future__ import annotations

import threading
from collections import Counter

import sqlalchemy as sa

from db.models import MarketingActivity, utcnow
from db.session import get_engine, session_factory, unit_of_work
from domain.send_rules import REASONS
from tests.fakes.sentdm import FakeSentDm
from tests.integration.campaign_support import MARKETER, drain, fakes, people, running_worker, zone_at
from tools.campaigns import drafting, sending
from tools.campaigns import lifecycle as tc
from workers.campaigns import run_tick, send_and_record


def two_campaigns(contacts: int) -> tuple[list[int], int, int]:
    ids = people(contacts)
    with unit_of_work() as uow:
        first = drafting.draft_campaign(uow.session, MARKETER, name="Flash sale", channel="sms", filter=None,
                                        body_text="Hi {first_name|there}, 20% off today.")
        second = drafting.draft_campaign(uow.session, MARKETER, name="New arrivals", channel="sms", filter=None,
                                         body_text="Hi {first_name|there}, new in store.")
    return ids, first.id, second.id


def rows(campaign_ids: tuple[int, ...]) -> list[MarketingActivity]:
    with unit_of_work() as uow:
        out = list(uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id.in_(campaign_ids)).order_by(MarketingActivity.id)))
        uow.session.expunge_all()
    return out


def check_one_each(ids: list[int], campaigns: tuple[int, int], fake: FakeSentDm) -> None:
    """Each contact: exactly one message at the fake, one row sent, the other cancelled with the 24 h cap."""
    assert len(fake.delivered) == len(ids) and len({m["to"] for m in fake.delivered}) == len(ids)
    assert set(fake.per_key().values()) == {1}
    by_contact: dict[int, list[MarketingActivity]] = {}
    for a in rows(campaigns):
        by_contact.setdefault(a.contact_id, []).append(a)
    assert sorted(by_contact) == sorted(ids)
    for contact_id, pair in by_contact.items():
        assert sorted(a.status for a in pair) == ["cancelled", "sent"], contact_id
        capped = next(a for a in pair if a.status == "cancelled")
        assert (capped.error_code, capped.attempts, capped.claimed_at) == ("cap_24h", 0, None)
        assert capped.error_message == f"{REASONS['cap_24h']}: found when the batch was claimed"
        assert next(a for a in pair if a.status == "sent").attempts == 1


def test_two_campaigns_launched_back_to_back_reach_each_contact_once(db, monkeypatch):
    fake = FakeSentDm()
    with fakes(monkeypatch, sentdm=fake, MKT_SMS_BATCH_SIZE="2", MKT_SMS_RATE_PER_SECOND="500",
               MKT_SEND_CAP_24H="1", MKT_SEND_CAP_7D="3"):
        ids, first, second = two_campaigns(6)
        with unit_of_work() as uow:  # back to back, before any worker runs: both pass the launch-time check
            launched = [tc.launch_campaign(uow.session, MARKETER, first),
                        tc.launch_campaign(uow.session, MARKETER, second)]
        assert [(r.queued, r.deferred, r.excluded) for r in launched] == [(6, 0, {}), (6, 0, {})]
        with running_worker(threads=2):  # batches of both campaigns claimed concurrently
            drain()
            run_tick(utcnow())
            drain()

        check_one_each(ids, (first, second), fake)
        with unit_of_work() as uow:
            progress = [tc.campaign_status(uow.session, MARKETER, c) for c in (first, second)]
        for p in progress:
            capped = p.counts.get("cancelled", 0)
            assert p.counts == {k: v for k, v in {"sent": 6 - capped, "cancelled": capped}.items() if v}
            assert p.excluded == ({"cap_24h": capped} if capped else {})
            assert (p.status, p.total, p.done) == ("completed", 6, 6)
        assert sum(p.counts.get("cancelled", 0) for p in progress) == 6

        with unit_of_work() as uow:  # a third campaign launched later is excluded at launch, as before
            third = drafting.draft_campaign(uow.session, MARKETER, name="Third", channel="sms", filter=None,
                                            body_text="Hi again.")
        with unit_of_work() as uow:
            late = tc.launch_campaign(uow.session, MARKETER, third.id)
        assert (late.queued, late.excluded) == (0, {"cap_24h": 6})


def test_two_claims_for_the_same_contacts_at_the_same_moment_cannot_both_pass(db, monkeypatch):
    fake = FakeSentDm()
    with fakes(monkeypatch, sentdm=fake, MKT_SMS_RATE_PER_SECOND="500", MKT_SEND_CAP_24H="1",
               MKT_SEND_CAP_7D="3"):
        ids, first, second = two_campaigns(3)
        with unit_of_work() as uow:
            for campaign_id in (first, second):
                tc.launch_campaign(uow.session, MARKETER, campaign_id)
        ours = {c: [a.id for a in rows((c,))] for c in (first, second)}
        now = utcnow()

        claim_a = session_factory(get_engine())()  # A's claim transaction stays open while B's starts
        batch_a = sending.begin_batch(claim_a, first, ours[first], now)
        assert len(batch_a.messages) == 3
        done: dict[str, sending.Batch] = {}

        def claim_b() -> None:
            with unit_of_work() as uow:
                done["b"] = sending.begin_batch(uow.session, second, ours[second], now)

        thread = threading.Thread(target=claim_b)
        thread.start()
        thread.join(timeout=1.0)  # room for B to race ahead if nothing held it back
        b_finished_early = "b" in done
        claim_a.commit()
        claim_a.close()
        thread.join(timeout=30)
        assert not b_finished_early, "B's claim did not wait for A's"
        assert done["b"].messages == [] and "frequency cap" in (done["b"].note or "")

        send_and_record(batch_a)  # A goes out; B's rows were cancelled at the claim
        with running_worker(threads=1):
            drain()  # the launch's own send jobs find nothing left to claim
        check_one_each(ids, (first, second), fake)
        assert Counter(a.status for a in rows((second,))) == Counter({"cancelled": 3})
        with unit_of_work() as uow:
            assert tc.campaign_status(uow.session, MARKETER, second).excluded == {"cap_24h": 3}


def test_launch_time_quiet_hours_deferrals_carry_the_same_error_code_as_claim_time_ones(db, monkeypatch):
    with fakes(monkeypatch, sentdm=FakeSentDm()):
        night, day = people(1, timezone=zone_at(3))[0], people(1, phone="+15125550999", email="d@example.com")[0]
        with unit_of_work() as uow:
            view = drafting.draft_campaign(uow.session, MARKETER, name="Night", channel="sms", filter=None,
                                           body_text="Hi {first_name|there}.")
        with unit_of_work() as uow:
            launched = tc.launch_campaign(uow.session, MARKETER, view.id)
            tc.pause_campaign(uow.session, MARKETER, view.id)  # the queued one is not the point here
        assert (launched.queued, launched.deferred) == (1, 1)
        by_contact = {a.contact_id: a for a in rows((view.id,))}
        assert (by_contact[night].status, by_contact[night].error_code) == ("deferred", "quiet_hours")
        assert by_contact[night].error_message.startswith(REASONS["quiet_hours"])
        assert (by_contact[day].status, by_contact[day].error_code, by_contact[day].error_message) == (
            "queued", None, None)
        with running_worker(threads=1):
            drain()  # the queued row's send job finds the campaign paused
