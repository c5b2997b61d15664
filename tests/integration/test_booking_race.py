"""One booking per meeting (issue 17, item 3), whatever the order, timing and number of workers: a Cal.com booking
and its reschedule stamped with the same createdAt.

- in order and in reverse order (in-process, SQLite and PostgreSQL): one booking, at the rescheduled time, under the
  new uid (when times tie the later stage of the lifecycle wins: cancelled > rescheduled > created);
- (`redis`, the PostgreSQL + Redis pass) two worker processes released together by a barrier, each handling one of the
  two events through the real `webhooks.process` actor, many times, each process taking either event: one booking."""

from __future__ import annotations

import multiprocessing
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
REPEAT = 15


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


# --- two worker processes racing on a barrier (PostgreSQL + Redis) ---------------------------------------------------

def _racer(database_url: str, barrier, jobs, done) -> None:
    os.environ["MKT_DATABASE_URL"] = database_url
    os.environ["MKT_REDIS_URL"] = ""
    import workers.actors  # noqa: F401  (every processor registered, as in a worker)
    from workers.webhooks import process

    while (event_id := jobs.get()) is not None:
        barrier.wait(timeout=60)
        try:
            process(event_id)
            done.put("ok")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            done.put(f"{type(exc).__name__}: {exc}")


@pytest.mark.redis
def test_two_worker_processes_racing_on_one_booking_and_its_reschedule_make_one_booking(db):
    if db.dialect.name != "postgresql":
        pytest.fail("the race needs PostgreSQL (run with MKT_TEST_DATABASE_URL)")
    ctx = multiprocessing.get_context("spawn")
    barrier, done = ctx.Barrier(2), ctx.Queue()
    queues = [ctx.Queue(), ctx.Queue()]
    url = db.url.render_as_string(hide_password=False)
    procs = [ctx.Process(target=_racer, args=(url, barrier, q, done), daemon=True) for q in queues]
    for p in procs:
        p.start()
    outcomes = []
    try:
        for n in range(REPEAT * 2):
            ids = stored(*events(100 + n))
            first, second = (ids if n % 2 == 0 else ids[::-1])  # each process takes either event in turn
            queues[0].put(first)
            queues[1].put(second)
            answers = [done.get(timeout=120) for _ in range(2)]
            assert answers == ["ok", "ok"], answers
            outcomes.append(bookings_of(100 + n))
    finally:
        for q in queues:
            q.put(None)
        for p in procs:
            p.join(timeout=30)
    wrong = [(n, b) for n, b in enumerate(outcomes) if b != [(f"uid-b-{100 + n}", "accepted", NEW)]]
    assert wrong == [], f"{len(wrong)} of {len(outcomes)} races ended with other than one booking: {wrong[:3]}"
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent).where(
            WebhookEvent.status.notin_(("processed", "ignored")))) == 0
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2 * REPEAT
