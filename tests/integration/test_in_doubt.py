"""In doubt means the request may have left (issue 17, item 1): a row claimed but never requested (its worker died
before the provider call, e.g. while the batch waited on the rate limiter) goes back to the queue by itself and is
sent once, never left for review; a row requested whose answer was lost is looked up at Postmark and left for review
only when still not found after the indexing delay; such rows are listed (tool and CLI) and can be checked again or
resent anyway; a worker whose claim was swept back to the queue cannot send it any more."""

from datetime import timedelta

import sqlalchemy as sa

from db.models import MarketingActivity, utcnow
from db.session import unit_of_work
from tests.fakes.postmark import FakePostmark
from tests.integration.campaign_support import MARKETER, drain, fakes, people, running_worker
from tools.campaigns import doubt, drafting, reconcile
from tools.campaigns import lifecycle as tc
from tools.campaigns import sending as campaign_sending
from workers import campaigns as wc

A = MarketingActivity


def rows(campaign_id):
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(A).where(A.campaign_id == campaign_id).order_by(A.id)))


def email_campaign(n: int) -> int:
    people(n)
    with unit_of_work() as uow:
        view = drafting.draft_campaign(uow.session, MARKETER, name="Mail", channel="email", filter=None,
                                       subject="Hi", body_text="Hello {first_name|}")
        tc.launch_campaign(uow.session, MARKETER, view.id)
    return view.id


def claim_all(campaign_id: int, *, requested: bool, ago: timedelta = timedelta(hours=1)) -> list[int]:
    """What a worker does before it dies: claim the batch (and mark it requested, as right before the HTTP call)."""
    ids = [a.id for a in rows(campaign_id)]
    with unit_of_work() as uow:
        campaign_sending.begin_batch(uow.session, campaign_id, ids)
        if requested:
            assert campaign_sending.mark_requested(uow.session, ids) == ids
        when = utcnow() - ago
        uow.session.execute(sa.update(A).values(claimed_at=when, requested_at=when if requested else None))
    return ids


def test_a_batch_claimed_but_never_requested_goes_back_to_the_queue_and_is_sent_once(db, monkeypatch):
    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake):
        campaign_id = email_campaign(3)
        claim_all(campaign_id, requested=False)  # the worker died while its batch waited on the limiter
        with running_worker():
            wc.run_tick()
            drain()
            assert wc.reconcile_unknown_email() == {"sent": 0, "review": 0}
            wc.run_tick()
    assert sorted(fake.per_activity().values()) == [1, 1, 1]
    assert {(a.status, a.attempts, a.error_code) for a in rows(campaign_id)} == {("sent", 1, None)}
    with unit_of_work() as uow:
        assert doubt.in_doubt(uow.session, campaign_id) == []
        assert tc.campaign_status(uow.session, MARKETER, campaign_id).status == "completed"


def test_a_worker_whose_claim_went_back_to_the_queue_cannot_send_it(db, monkeypatch):
    with fakes(monkeypatch):
        campaign_id = email_campaign(2)
        ids = claim_all(campaign_id, requested=False)
        wc.run_tick()  # swept back: queued
        with unit_of_work() as uow:
            assert campaign_sending.mark_requested(uow.session, ids) == []  # the slow first worker may not send
            campaign_sending.begin_batch(uow.session, campaign_id, ids)  # a second worker claims them
        assert wc.mark_requested(ids) == set(ids)
        assert wc.mark_requested(ids) == set()  # requested once, by one claim


def test_email_requested_and_not_found_is_left_for_review_only_after_the_indexing_delay(db, monkeypatch):
    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake):
        campaign_id = email_campaign(1)
        (activity_id,) = claim_all(campaign_id, requested=True, ago=timedelta(hours=1))
        monkeypatch.setattr(reconcile, "INDEXING_SECONDS", 2 * 3600.0)  # the search may lag more than the hour since
        wc.run_tick()
        assert [a.status for a in rows(campaign_id)] == ["unknown"]
        assert wc.reconcile_unknown_email() == {"sent": 0, "review": 0}  # too early: absence proves nothing
        with unit_of_work() as uow:
            assert [(r.activity_id, r.state) for r in doubt.in_doubt(uow.session, campaign_id)] == [
                (activity_id, "checking")]
        monkeypatch.setattr(reconcile, "INDEXING_SECONDS", 30.0)
        assert wc.reconcile_unknown_email() == {"sent": 0, "review": 1}
        assert wc.reconcile_unknown_email() == {"sent": 0, "review": 0}  # looked up once, not on every tick
        with unit_of_work() as uow:
            assert [(r.activity_id, r.state) for r in doubt.in_doubt(uow.session, campaign_id)] == [
                (activity_id, "review")]
            assert tc.campaign_status(uow.session, MARKETER, campaign_id).counts == {"unknown": 1}
        with unit_of_work() as uow:
            assert doubt.check_again(uow.session, MARKETER, campaign_id).count == 1
        assert wc.reconcile_unknown_email() == {"sent": 0, "review": 1}  # looked up again, still not there
        assert fake.delivered == []
        with running_worker():
            with unit_of_work() as uow:
                assert doubt.resend_anyway(uow.session, MARKETER, campaign_id).count == 1
            drain()
    assert fake.per_activity() == {str(activity_id): 1}
    assert [(a.status, a.error_code) for a in rows(campaign_id)] == [("sent", None)]


def test_resend_anyway_needs_approval_in_the_chat_and_states_the_risk():
    from agent.tools.catalogue import get

    spec = get("resend_anyway_in_doubt")
    assert spec is not None and spec.needs_approval(None) and "twice" in spec.description
    assert not get("campaign_in_doubt").needs_approval(None) and get("campaign_in_doubt").read_only


def test_the_cli_lists_sends_in_doubt_and_refuses_a_resend_without_yes(db, monkeypatch, capsys):
    from cli.main import main

    with fakes(monkeypatch):
        campaign_id = email_campaign(1)
        claim_all(campaign_id, requested=True)
        with unit_of_work() as uow:
            uow.session.execute(sa.update(A).values(status="unknown", error_code="review",
                                                    error_message="not found at Postmark"))
        assert main(["campaigns", "in-doubt", str(campaign_id)]) == 0
        out = capsys.readouterr().out
        assert "1 in doubt, 1 left for review" in out and "p0@example.com" in out and "--resend-anyway" in out
        assert main(["campaigns", "in-doubt", "Mail", "--resend-anyway"]) == 2
        assert "twice" in capsys.readouterr().err
        assert [a.status for a in rows(campaign_id)] == ["unknown"]
        assert main(["campaigns", "in-doubt", "Mail", "--check-again"]) == 0
        assert "looked up at the provider again" in capsys.readouterr().out
        assert [(a.status, a.error_code) for a in rows(campaign_id)] == [("unknown", None)]
