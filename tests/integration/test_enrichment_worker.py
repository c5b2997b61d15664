"""enrichment.run through the configured broker (StubBroker, or Redis): requested in a unit of work, sent after
commit, consumed by a worker, ending in review."""

from __future__ import annotations

import dramatiq
import pytest
import sqlalchemy as sa

from db.models import EnrichmentJob
from db.session import unit_of_work
from settings import reset_settings
from tests.fakes.server import serve_app
from tests.fakes.site import site_app
from tests.integration.enrichment_support import MARKETER, add_contact, hold_messages
from tools.enrichment.review import enrichment_overview, request_enrichment
from workers import enrichment as worker
from workers.broker import broker


@pytest.fixture
def loopback_allowed(monkeypatch):
    monkeypatch.setenv("MKT_FETCH_ALLOW_LOOPBACK", "true")
    reset_settings()
    yield
    monkeypatch.delenv("MKT_FETCH_ALLOW_LOOPBACK")
    reset_settings()


def test_requested_jobs_are_run_by_a_worker_after_commit(db, loopback_allowed):
    with serve_app(site_app()) as base:
        ids = [add_contact(base + "/"), add_contact(base + "/status/404", email="x@acme.test")]
        dramatiq_worker = dramatiq.Worker(broker, queues={"enrichment"}, worker_threads=2, worker_timeout=100)
        dramatiq_worker.start()
        try:
            with unit_of_work() as uow:
                assert request_enrichment(uow.session, MARKETER, contact_ids=ids) == 2
            broker.join("enrichment", timeout=30_000)
        finally:
            dramatiq_worker.stop()
    with unit_of_work() as uow:
        assert enrichment_overview(uow.session, MARKETER) == {"in_review": 1, "failed": 1}
    with unit_of_work() as uow:
        jobs = {j.contact_id: j for j in uow.session.scalars(sa.select(EnrichmentJob))}
    assert jobs[ids[0]].status == "in_review" and jobs[ids[0]].attempts == 1
    assert "404" in jobs[ids[1]].error


def test_the_actor_is_declared_on_the_shared_broker():
    import workers.actors  # noqa: F401

    assert broker.get_actor("enrichment.run") is worker.run
    assert worker.run.queue_name == "enrichment"


def test_backoff_honours_retry_after_and_grows_otherwise():
    assert 7_000 <= worker.backoff_ms(1, 7.0) <= 7_500
    assert worker.backoff_ms(3, None) >= 20_000 > worker.backoff_ms(1, None)


def test_the_sweep_finds_jobs_whose_message_was_lost(db, monkeypatch):
    from datetime import timedelta

    from db.models import utcnow
    from tests.integration.enrichment_support import queue
    from tools.enrichment.jobs import stalled_jobs

    hold_messages(monkeypatch)
    old = utcnow() - timedelta(hours=1)
    stuck, lost, fresh = (queue([add_contact(None, email=f"{n}@acme.test")])[0] for n in ("a", "b", "c"))
    with unit_of_work() as uow:
        for job_id in (stuck, lost):
            row = uow.session.get(EnrichmentJob, job_id)
            row.status = "running" if job_id == stuck else "pending"
            row.started_at = old
        uow.session.flush()
        uow.session.execute(sa.update(EnrichmentJob).where(EnrichmentJob.id.in_([stuck, lost])).values(updated_at=old))
    with unit_of_work() as uow:
        assert stalled_jobs(uow.session) == [stuck, lost]
        assert uow.session.get(EnrichmentJob, stuck).status == "pending"
    with unit_of_work() as uow:
        uow.session.execute(sa.update(EnrichmentJob).where(EnrichmentJob.id == stuck).values(status="in_review"))
    sent: list[int] = []
    monkeypatch.setattr(worker.run, "send", sent.append)
    assert worker.sweep() == 1 and sent == [lost]
    assert fresh not in sent


def test_firecrawl_requests_take_slots_of_the_send_schedule_and_give_up_past_max_wait():
    import uuid

    from integrations.errors import RetryableError

    pace = worker.FirecrawlPace(per_minute=2, max_wait=0.2, name=f"test-fc-{uuid.uuid4().hex}")
    pace()  # the first slot is free now
    with pytest.raises(RetryableError, match="per minute") as err:
        pace()  # the next is 30 s away: nothing booked, the job is retried when the slot frees up
    assert 25 <= err.value.retry_after <= 30
