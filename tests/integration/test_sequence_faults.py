"""A sequence whose worker is killed mid-step (issue 23, "Done when"), with real `mkt worker` processes (their own
periodic `sequences.tick` and `campaigns.send_batch`), a private Redis and the Sent.dm and Postmark fakes over HTTP.

Three steps with no wait between them (SMS, email, SMS: each due as soon as the previous one went out, so the ticks
carry everyone through in seconds of real time). The worker is killed with kill -9 while step 1's SMS are going out
(a request held at the fake, so one is surely in flight), then a new worker starts. What must hold, counted at the
fakes: every contact got each SMS step exactly once (in doubt -> retried with its Idempotency-Key), each email step
at most once (in doubt -> found at Postmark, or reported for review and then not at the fake), and every enrolment
completed. Marked `redis` and `slow` like tests/integration/test_faults.py (the PostgreSQL + Redis pass runs it)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa

from db.session import unit_of_work
from settings import reset_settings
from tests.faults_support import RedisServer, base_env, kill9, start_worker, stop_workers, wait_until
from tests.integration.campaign_support import MARKETER, zone_at
from tests.integration.test_faults import Provider, figures
from tools.sequences import lifecycle

pytestmark = [pytest.mark.redis, pytest.mark.slow]
N = 200
SETTLE_S = 90  # three steps through the periodic ticks (every 5 s) after a restart
TEXTS = ("Hi {first_name|there}, spring roof check?", "Hi {first_name|there}, 10% off in May.",
         "Last call, {first_name|there}")
STEPS = [{"channel": "sms", "body_text": TEXTS[0]},
         {"channel": "email", "subject": "Spring offer", "body_text": TEXTS[1], "wait": {"after_days": 0}},
         {"channel": "sms", "body_text": TEXTS[2], "wait": {"after_days": 0}}]


@pytest.fixture
def redis_server(tmp_path: Path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def seed(engine: sa.Engine) -> None:
    from db.models import Contact

    rows = [{"email": f"s{i}@example.com", "phone": f"+1512{3000000 + i:07d}", "first_name": f"P{i}",
             "timezone": zone_at(12)} for i in range(N)]
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact), rows)


def enrolments(engine: sa.Engine, sequence_id: int) -> Counter:
    with engine.connect() as conn:
        return Counter(conn.execute(sa.text("SELECT status FROM sequence_enrolments WHERE sequence_id = :s"),
                                    {"s": sequence_id}).scalars())


def step_rows(engine: sa.Engine, sequence_id: int) -> list[tuple[int, str, str | None, str]]:
    """(step position, status, error code, address) of every step message."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT s.position, a.status, a.error_code, CASE WHEN a.channel = 'email' THEN c.email ELSE c.phone END "
            "FROM marketing_activities a JOIN sequence_steps s ON s.campaign_id = a.campaign_id "
            "JOIN contacts c ON c.id = a.contact_id WHERE s.sequence_id = :s"), {"s": sequence_id})]


def settled(engine: sa.Engine, sequence_id: int) -> bool:
    rows = step_rows(engine, sequence_id)
    busy = [r for r in rows if r[1] in ("queued", "deferred", "sending") or (r[1] == "unknown" and r[2] != "review")]
    return len(rows) == 3 * N and not busy and enrolments(engine, sequence_id) == {"completed": N}


def test_kill_9_of_the_worker_mid_step_then_restart(db, tmp_path, redis_server, monkeypatch):
    for name in ("MKT_SEND_CAP_24H", "MKT_SEND_CAP_7D"):  # the step campaigns take their rules from the drafter's
        monkeypatch.setenv(name, "0")
    reset_settings()
    seed(db)
    procs = []
    with ExitStack() as stack:
        sms, email = Provider("sms", stack, latency=0.05), Provider("email", stack, latency=0.2)
        env = (base_env(db.url.render_as_string(hide_password=False), redis_server.url,
                        f"mkt-seqfaults-{uuid.uuid4().hex[:8]}", tmp_path) | sms.env(rate=200) | email.env(rate=200))
        try:
            with unit_of_work(db) as uow:
                sequence_id = lifecycle.draft_sequence(uow.session, MARKETER, name="Kill 9", filter=None,
                                                       steps=STEPS).sequence_id
            with unit_of_work(db) as uow:
                assert lifecycle.launch_sequence(uow.session, MARKETER, sequence_id).enrolled == N
            sms.counting.hold_when(lambda: sms.delivered() >= N // 3)  # mid step 1: requests wait at the door
            procs.append(start_worker(env, tmp_path / "worker-1.log"))
            wait_until("an SMS of step 1 held at the provider", sms.counting.held.is_set, 60,
                       state=lambda: f"{sms.delivered()} sent")
            kill9(procs[0])
            at_kill = sms.delivered()
            with db.connect() as conn:
                in_doubt = conn.scalar(sa.text("SELECT count(*) FROM marketing_activities WHERE status IN "
                                               "('sending', 'unknown')"))
            sms.counting.release()  # the provider carries out what it was sent; the answer has nobody to go to
            restarted = time.monotonic()
            procs.append(start_worker(env, tmp_path / "worker-2.log"))
            wait_until(f"sequence {sequence_id} settled after the restart", lambda: settled(db, sequence_id),
                       SETTLE_S, step=0.5, state=lambda: (enrolments(db, sequence_id),
                                                          Counter(r[:2] for r in step_rows(db, sequence_id))))
            recovered_s = time.monotonic() - restarted
        finally:
            stop_workers(procs)
        texts = Counter((m["to"], 1 if m["text"].startswith("Hi ") else 3) for m in sms.fake.delivered)
        mails = Counter(m["To"] for m in email.fake.delivered)
    assert at_kill < N and in_doubt > 0  # killed mid step 1, with sends in doubt: their recovery is what is tested
    phones = {f"+1512{3000000 + i:07d}" for i in range(N)}
    assert set(texts.values()) == {1} and set(texts) == {(p, step) for p in phones for step in (1, 3)}  # each once
    rows = step_rows(db, sequence_id)
    assert {(r[0], r[1]) for r in rows} <= {(0, "sent"), (1, "sent"), (1, "unknown"), (2, "sent")}, Counter(
        (r[0], r[1]) for r in rows)
    review = {r[3] for r in rows if r[1] == "unknown"}
    assert set(mails.values()) == {1} and set(mails) == {f"s{i}@example.com" for i in range(N)} - review
    figures("kill -9 mid sequence step", contacts=N, sms_before_kill=at_kill, rows_in_doubt_at_kill=in_doubt, email_review=len(review),
            seconds_restart_to_settled=recovered_s)
