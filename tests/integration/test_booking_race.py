"""One booking per meeting (issue 17, item 3), whatever the order, timing and number of workers: a Cal.com booking
and its reschedule stamped with the same createdAt.

- in order and in reverse order (in-process, SQLite and PostgreSQL): one booking, at the rescheduled time, under the
  new uid (when times tie the later stage of the lifecycle wins: cancelled > rescheduled > created);
- (`redis`, the PostgreSQL + Redis pass) two real `mkt worker` processes, each handling one of the two events from
  the queue, released together by a barrier (the booking table held locked until both wait), many times, in both
  orders: one booking."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from db.models import CalendarBooking, Contact, WebhookEvent
from db.session import unit_of_work
from tests.fakes import calcom as cal
from tools.webhook_events import store_event

AT = datetime(2026, 5, 19, 12, 0, tzinfo=UTC)
OLD, NEW = datetime(2026, 5, 21, 14, 0, tzinfo=UTC), datetime(2026, 5, 22, 9, 0, tzinfo=UTC)


def events(n: int) -> tuple[dict, dict]:
    created = cal.booking(uid=f"uid-a-{n}", start=OLD, created_at=AT, email=f"ana{n}@example.com")
    moved = cal.rescheduled(old_uid=f"uid-a-{n}", new_uid=f"uid-b-{n}", start=NEW, created_at=AT,
                            email=f"ana{n}@example.com")
    return created, moved


def stored(*envelopes: dict) -> list[int]:
    with unit_of_work() as uow:
        return [store_event(uow.session, "calcom", f"{e['triggerEvent']}:{e['payload']['uid']}", e["triggerEvent"], e)
                for e in envelopes]


def bookings_of(n: int) -> list[tuple[str, str, datetime]]:
    with unit_of_work() as uow:
        return [(b.calcom_uid, b.status, b.start_at.astimezone(UTC)) for b in uow.session.scalars(
            sa.select(CalendarBooking).where(CalendarBooking.attendee_email == f"ana{n}@example.com"))]


@pytest.mark.parametrize("order", ["created first", "rescheduled first"])
def test_a_booking_and_its_reschedule_with_the_same_time_make_one_booking_in_either_order(db, order):
    from workers.webhooks import process

    ids = stored(*events(0))
    for event_id in (ids if order == "created first" else ids[::-1]):
        process(event_id)
    assert bookings_of(0) == [("uid-b-0", "accepted", NEW)]


def test_a_cancellation_with_the_same_time_wins_over_the_reschedule_whatever_the_order(db):
    from workers.webhooks import process

    created, moved = events(1)
    gone = cal.cancelled(uid="uid-b-1", created_at=AT, start=NEW)
    gone["payload"]["attendees"][0]["email"] = "ana1@example.com"
    for event_id in stored(gone, moved, created):
        process(event_id)
    assert bookings_of(1) == [("uid-b-1", "cancelled", NEW)]


# --- two `mkt worker` processes racing on a barrier (PostgreSQL + Redis) ----------------------------------------------
# Each worker runs one thread and prefetches one message, so each takes one of the two events. The barrier is the
# booking table: the test holds it locked while both workers get to their events; once both are waiting on a lock
# (whatever they wait on: the table, or each other), it lets go and they proceed at the same moment. The second event
# is enqueued only once the first is waiting, so the order they reach the booking is the order enqueued, and both
# orders are run. The test holds every periodic lease, so the workers run nothing but the two events.

RACES = 8  # per order


def _enqueue(broker, event_id: int) -> None:
    import dramatiq

    broker.enqueue(dramatiq.Message(queue_name="default", actor_name="webhooks.process", args=(event_id,), kwargs={},
                                    options={}))


def _waiting(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"))


def _settled(ids: list[int]) -> bool:
    with unit_of_work() as uow:
        return set(uow.session.scalars(sa.select(WebhookEvent.status).where(WebhookEvent.id.in_(ids)))) <= {
            "processed", "ignored", "failed"}


@pytest.mark.redis
def test_two_mkt_workers_racing_on_one_booking_and_its_reschedule_make_one_booking_in_either_order(db, tmp_path):
    import uuid

    from dramatiq.brokers.redis import RedisBroker

    from db.locks import try_lease
    from tests.faults_support import base_env, start_worker, stop_workers, wait_until
    from workers.scheduler import PERIODIC

    if db.dialect.name != "postgresql":
        pytest.fail("the race needs PostgreSQL (run with MKT_TEST_DATABASE_URL)")
    with unit_of_work() as uow:
        for name in PERIODIC:
            assert try_lease(uow.session, f"periodic:{name}", "booking race test", 3600, renew=False)
    namespace = f"race-{uuid.uuid4().hex[:8]}"
    redis_url = os.environ["MKT_REDIS_URL"]
    env = base_env(db.url.render_as_string(hide_password=False), redis_url, namespace, tmp_path / "var") | {
        "dramatiq_queue_prefetch": "1"}
    broker = RedisBroker(url=redis_url, namespace=namespace)
    broker.declare_queue("default")
    logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    workers = [start_worker(env, log, threads=1) for log in logs]
    outcomes = []
    try:
        for n in range(RACES * 2):
            ids = stored(*events(200 + n))
            order = ids if n % 2 == 0 else ids[::-1]  # created first, then rescheduled first
            with db.connect() as barrier:
                barrier.execute(sa.text("LOCK TABLE calendar_bookings IN ACCESS EXCLUSIVE MODE"))
                for waiters, event_id in enumerate(order, start=1):
                    _enqueue(broker, event_id)
                    wait_until(f"{waiters} of the workers to wait at the barrier (race {n})",
                               lambda w=waiters: _waiting(db) >= w, 30, state=lambda: _waiting(db))
                barrier.rollback()  # both wait: let go
            wait_until(f"both events of race {n} to be handled", lambda i=ids: _settled(i), 30)
            outcomes.append((n, bookings_of(200 + n)))
    finally:
        stop_workers(workers)
        broker.flush_all()
        broker.close()
    wrong = [(n, b) for n, b in outcomes if b != [(f"uid-b-{200 + n}", "accepted", NEW)]]
    assert wrong == [], f"{len(wrong)} of {len(outcomes)} races ended with other than one booking: {wrong[:3]}"
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent).where(
            WebhookEvent.status.notin_(("processed", "ignored")))) == 0
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2 * RACES
