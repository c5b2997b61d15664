"""Faults (issue 11) with real `mkt worker` processes, a private Redis and the provider fakes over HTTP (with latency):

- kill -9 of the worker in the middle of an email and of an SMS campaign, then a new worker: every recipient reached
  the fake at most once; SMS in doubt are retried with their idempotency key (so each number exactly once), email in
  doubt are reconciled by Postmark's metadata search (found -> sent) and the rest are reported as "unknown" for
  review, never resent blindly (and none of those is at the fake);
- Redis stopped (SHUTDOWN NOSAVE: every queued job is gone) for 30 s during an email, then an SMS campaign, and
  started on the same port while part of the campaign is still unsent: everyone reached exactly once, sending
  resumes by itself (the outbox rows and the periodic tick re-enqueue what the queue lost);
- PostgreSQL (a private cluster, `pg_ctl stop -m fast`, 3 s, start) restarted during an email, then an SMS campaign:
  workers reconnect, everyone reached exactly once.

Every test prints its figures (bench/RESULTS.md, "## faults"). Marked `redis` and `slow`: the PostgreSQL + Redis pass
runs them. The private servers, worker process groups and temp clusters are removed in `finally` blocks."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fakes.postmark import FakePostmark
from tests.fakes.sentdm import FakeSentDm
from tests.fakes.server import serve_app
from tests.faults_support import (
    Counting,
    PgCluster,
    RedisServer,
    base_env,
    kill9,
    launch,
    log_sizes,
    logged,
    seed_contacts,
    start_worker,
    stop_workers,
    wait_until,
)

pytestmark = [pytest.mark.redis, pytest.mark.slow]
N = 300  # recipients per campaign
SETTLE_S = 50  # bound on the recovery after a fault


@pytest.fixture
def redis_server(tmp_path: Path):
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Provider:
    """One fake provider served over HTTP, with what the workers need to reach it."""

    def __init__(self, channel: str, stack: ExitStack, latency: float) -> None:
        self.channel = channel
        self.fake: Any = FakePostmark(latency=latency) if channel == "email" else FakeSentDm(latency=latency)
        self.counting = Counting(self.fake.app())
        self.url = stack.enter_context(serve_app(self.counting))
        stack.callback(self.counting.release)  # before the server stops: nothing stays held

    def env(self, rate: int) -> dict[str, str]:
        if self.channel == "email":
            return {"POSTMARK_SERVER_TOKEN": self.fake.token, "MKT_POSTMARK_API_URL": self.url,
                    "MKT_EMAIL_RATE_PER_SECOND": str(rate), "MKT_EMAIL_BATCH_SIZE": "20"}
        return {"SENTDM_API_KEY": self.fake.api_key, "MKT_SENTDM_API_URL": self.url,
                "MKT_SMS_RATE_PER_SECOND": str(rate), "MKT_SMS_BATCH_SIZE": "10"}

    def delivered(self) -> int:
        return len(self.fake.delivered)

    def per_recipient(self) -> Counter:
        """Messages accepted by the fake, per recipient address."""
        key = "To" if self.channel == "email" else "to"
        return Counter(m[key] for m in self.fake.delivered)


def activities(engine: sa.Engine, campaign_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(
            "SELECT a.id, a.status, a.error_code, a.error_message, a.attempts, "
            "CASE WHEN a.channel = 'email' THEN c.email ELSE c.phone END AS address "
            "FROM marketing_activities a JOIN contacts c ON c.id = a.contact_id "
            "WHERE a.campaign_id = :c ORDER BY a.id"), {"c": campaign_id})]


def settled(engine: sa.Engine, campaign_id: int) -> bool:
    """Nothing left to send or to reconcile, and the campaign says completed (False while the database is down)."""
    try:
        with engine.connect() as conn:
            busy = conn.scalar(sa.text(
                "SELECT count(*) FROM marketing_activities WHERE campaign_id = :c AND (status IN ('queued', "
                "'deferred', 'sending') OR (status = 'unknown' AND coalesce(error_code, '') <> 'review'))"),
                {"c": campaign_id})
            status = conn.scalar(sa.text("SELECT status FROM campaigns WHERE id = :c"), {"c": campaign_id})
    except sa.exc.OperationalError:
        return False
    return busy == 0 and status == "completed"


def reported_unknown(engine: sa.Engine, campaign_id: int) -> int:
    """What the campaign's progress (the tool the chat shows) reports as unknown."""
    from db.session import unit_of_work
    from tests.integration.campaign_support import MARKETER
    from tools.campaigns.lifecycle import campaign_status

    with unit_of_work(engine) as uow:
        return campaign_status(uow.session, MARKETER, campaign_id).counts.get("unknown", 0)


def check_outcome(engine: sa.Engine, campaign_id: int, provider: Provider) -> dict[str, int]:
    """Every recipient reached the fake at most once; "sent" exactly when at the fake; the only other outcome is an
    email in doubt reported "unknown" for review, and such a recipient is not at the fake. Returns the figures."""
    rows = activities(engine, campaign_id)
    assert len(rows) == N
    per = provider.per_recipient()
    duplicated = sorted(a for a, c in per.items() if c > 1)
    assert duplicated == [], f"reached more than once: {duplicated[:10]}"
    review = [r for r in rows if r["status"] == "unknown"]
    assert {r["status"] for r in rows} <= {"sent", "unknown"}, Counter(r["status"] for r in rows)
    for row in rows:
        reached = per.get(row["address"], 0)
        if row["status"] == "sent":
            assert reached == 1, row
        else:
            assert provider.channel == "email" and row["error_code"] == "review" and reached == 0, row
    assert len(per) == N - len(review)  # nobody outside the campaign, nobody reached without a "sent" row
    assert reported_unknown(engine, campaign_id) == len(review)
    return {"reached": len(per), "duplicated": len(duplicated), "review": len(review),
            "reconciled": sum(1 for r in rows if (r["error_message"] or "").startswith("reconciled")),
            "claimed_again": sum(1 for r in rows if r["attempts"] > 1),
            "replays": getattr(provider.fake, "replays", 0)}


def figures(title: str, **values: Any) -> None:
    print(f"\nFAULT {title}: " + ", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in values.items()), flush=True)


# --- kill -9 ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["email", "sms"])
def test_kill_9_of_the_worker_mid_campaign_then_restart(channel, db, tmp_path, redis_server):
    seed_contacts(db, N)
    procs = []
    with ExitStack() as stack:
        provider = Provider(channel, stack, latency=0.4 if channel == "email" else 0.05)
        env = base_env(db.url.render_as_string(hide_password=False), redis_server.url,
                       f"mkt-faults-{uuid.uuid4().hex[:8]}", tmp_path) | provider.env(rate=200)
        try:
            launched = launch(env, channel, f"Kill 9 {channel}")
            campaign_id = launched["campaign_id"]
            assert launched["queued"] == N
            provider.counting.hold_when(lambda: provider.delivered() >= N // 3)  # then requests wait at the door
            procs.append(start_worker(env, tmp_path / "worker-1.log"))
            wait_until("a request held at the provider after a third of the campaign was sent",
                       provider.counting.held.is_set, 60, state=lambda: f"{provider.delivered()} sent")
            kill9(procs[0])
            at_kill, in_flight = provider.delivered(), provider.counting.in_flight
            provider.counting.release()  # the provider carries out what it was sent; the answer has nobody to go to
            with db.connect() as conn:
                sending = conn.scalar(sa.text("SELECT count(*) FROM marketing_activities WHERE campaign_id = :c "
                                              "AND status IN ('sending', 'unknown')"), {"c": campaign_id})
            restarted = time.monotonic()
            procs.append(start_worker(env, tmp_path / "worker-2.log"))
            wait_until(f"campaign {campaign_id} settled after the restart", lambda: settled(db, campaign_id), SETTLE_S,
                       step=0.2)
            recovered_s = time.monotonic() - restarted
        finally:
            stop_workers(procs)
    assert sending > 0  # the kill left sends in doubt: the recovery below is what is being tested
    outcome = check_outcome(db, campaign_id, provider)
    if channel == "sms":  # in doubt -> retried with the same Idempotency-Key: nobody missed
        assert outcome["reached"] == N and outcome["claimed_again"] >= 1
    else:  # in doubt -> found at Postmark (sent) or reported for review; the two together cover every row in doubt
        assert outcome["reconciled"] + outcome["review"] >= 1
    figures(f"kill -9 {channel}", recipients=N, sent_before_kill=at_kill, requests_in_flight=in_flight,
            rows_in_doubt_at_kill=sending, lost=N - outcome["reached"] - outcome["review"], **outcome,
            seconds_restart_to_settled=recovered_s)


# --- kill -9 while batches wait on the rate limiter ----------------------------------------------------------------

LIMITED = {"email": 20, "sms": 10}  # messages per second: an email batch of 20 waits 1 s for its turn, an SMS 0.1 s


def waiting_on_the_limiter(engine: sa.Engine, campaign_id: int) -> int:
    """Rows whose batch waits for its rate-limit slot: claimed and not requested (a worker thread waits), or queued
    with a deferred job due later (the job waits in the queue, no thread held)."""
    with engine.connect() as conn:
        return conn.scalar(sa.text(
            "SELECT count(*) FROM marketing_activities WHERE campaign_id = :c AND ((status = 'sending' AND "
            "requested_at IS NULL) OR (status = 'queued' AND scheduled_for > CURRENT_TIMESTAMP))"), {"c": campaign_id})


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_kill_9_while_batches_wait_on_the_rate_limiter(channel, db, tmp_path, redis_server):
    """Issue 17: a worker killed while its batches wait on the limiter leaves nothing in doubt: the rows never
    requested go back to the queue by themselves and everyone is messaged exactly once, none left for review."""
    seed_contacts(db, N)
    procs = []
    with ExitStack() as stack:
        provider = Provider(channel, stack, latency=0.02)
        env = base_env(db.url.render_as_string(hide_password=False), redis_server.url,
                       f"mkt-faults-{uuid.uuid4().hex[:8]}", tmp_path) | provider.env(rate=LIMITED[channel])
        try:
            campaign_id = launch(env, channel, f"Kill 9 waiting {channel}")["campaign_id"]
            procs.append(start_worker(env, tmp_path / "worker-1.log"))

            def waiting_now() -> int:
                if provider.delivered() < N // 4 or provider.counting.in_flight:
                    return 0
                return waiting_on_the_limiter(db, campaign_id)

            waiting = wait_until("a quarter sent, no request in flight, batches waiting on the limiter", waiting_now,
                                 60, step=0.01)
            kill9(procs[0])
            at_kill = provider.delivered()
            restarted = time.monotonic()
            procs.append(start_worker(env, tmp_path / "worker-2.log"))
            wait_until(f"campaign {campaign_id} settled after the restart", lambda: settled(db, campaign_id),
                       SETTLE_S + N / LIMITED[channel], step=0.2)  # the rest goes out at the limited rate
            recovered_s = time.monotonic() - restarted
        finally:
            stop_workers(procs)
    outcome = check_outcome(db, campaign_id, provider)
    figures(f"kill -9 waiting on the limiter {channel}", recipients=N, rate=LIMITED[channel], sent_before_kill=at_kill,
            rows_waiting_at_kill=waiting, lost=N - outcome["reached"] - outcome["review"], **outcome,
            seconds_restart_to_settled=recovered_s)
    assert (outcome["reached"], outcome["duplicated"], outcome["review"]) == (N, 0, 0), outcome


# --- Redis outage --------------------------------------------------------------------------------------------

RATES = {"email": 20, "sms": 40}  # messages per second: a campaign lasts about 15 s (email) or 8 s (sms)
LATENCY = {"email": 0.2, "sms": 0.02}
REDIS_DOWN_S = 30  # bound on the wait for the outage to be felt (Redis stays down until a worker felt it)
OUTAGE_FELT = ("rate limiter unavailable", "Consumer encountered")  # a batch put back; a consumer losing Redis


def worker_logs(tmp_path: Path) -> list[Path]:
    return [tmp_path / f"worker-{i}.log" for i in (1, 2)]
# While Redis is down the workers still send what they reserved rate-limit slots for before the stop (email: at most
# 2 workers x 4 threads x one batch of 20 = 160; SMS: one message per thread) and nothing more: every later limiter
# call fails and puts its batch back. Stopped after a fifth of 300, the campaign still has rows waiting when Redis
# comes back, and the test requires it: what it proves is resumption, not that everything went out before.


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_redis_stopped_mid_campaign_then_started(channel, db, tmp_path, redis_server):
    seed_contacts(db, N)
    procs = []
    with ExitStack() as stack:
        provider = Provider(channel, stack, latency=LATENCY[channel])
        env = base_env(db.url.render_as_string(hide_password=False), redis_server.url,
                       f"mkt-faults-{uuid.uuid4().hex[:8]}", tmp_path) | provider.env(rate=RATES[channel])
        try:
            campaign_id = launch(env, channel, f"Redis outage {channel}")["campaign_id"]
            procs += [start_worker(env, tmp_path / f"worker-{i}.log") for i in (1, 2)]
            wait_until("a fifth of the campaign sent", lambda: provider.delivered() >= N // 5, 60, step=0.02)
            logs, sizes = worker_logs(tmp_path), log_sizes(worker_logs(tmp_path))
            redis_server.stop()
            at_stop, stopped = provider.delivered(), time.monotonic()
            wait_until("a worker to feel the outage (a send put back or the queue unreachable)",
                       lambda: any(logged(logs, text, sizes) for text in OUTAGE_FELT), REDIS_DOWN_S,
                       state=lambda: f"{provider.delivered()} sent")
            at_start, down_s = provider.delivered(), time.monotonic() - stopped
            redis_server.start()
            back, before = time.monotonic(), provider.counting.arrived
            assert at_start < N, "everything went out while Redis was down: make the campaign longer"
            wait_until("a request to the provider after Redis came back", lambda: provider.counting.arrived > before,
                       SETTLE_S, step=0.05)
            resumed_s = time.monotonic() - back
            wait_until(f"campaign {campaign_id} settled", lambda: settled(db, campaign_id), SETTLE_S, step=0.2)
            settled_s = time.monotonic() - back
            assert all(p.poll() is None for p in procs), "a worker died during the outage"
        finally:
            stop_workers(procs)
    outcome = check_outcome(db, campaign_id, provider)
    figures(f"redis outage {channel}", recipients=N, seconds_down=down_s, sent_before_stop=at_stop,
            sent_while_down=at_start - at_stop, unsent_when_started=N - at_start, lost=N - outcome["reached"],
            **outcome, seconds_to_first_send_after_start=resumed_s, seconds_start_to_settled=settled_s)
    assert outcome["reached"] == N  # nothing lost, nothing left for review: the outage put nothing in doubt


# --- PostgreSQL restart ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["email", "sms"])
def test_postgres_restarted_mid_campaign(channel, tmp_path, redis_server):
    from db import migrate
    from db.session import create_engine_for

    cluster = PgCluster()
    procs, engine = [], None
    try:
        cluster.init()
        migrate.upgrade(cluster.url)
        engine = create_engine_for(cluster.url)
        seed_contacts(engine, N)
        with ExitStack() as stack:
            provider = Provider(channel, stack, latency=LATENCY[channel])
            env = base_env(cluster.url, redis_server.url, f"mkt-faults-{uuid.uuid4().hex[:8]}", tmp_path) | \
                provider.env(rate=RATES[channel])
            try:
                campaign_id = launch(env, channel, f"Postgres restart {channel}")["campaign_id"]
                procs += [start_worker(env, tmp_path / f"worker-{i}.log") for i in (1, 2)]
                wait_until("a fifth of the campaign sent", lambda: provider.delivered() >= N // 5, 60, step=0.02)
                logs, sizes = worker_logs(tmp_path), log_sizes(worker_logs(tmp_path))
                cluster.stop("fast")
                at_stop = provider.delivered()
                wait_until("a worker to feel the database gone", lambda: logged(logs, "OperationalError", sizes),
                           30, state=lambda: f"{provider.delivered()} sent")
                cluster.start()
                back = time.monotonic()
                wait_until(f"campaign {campaign_id} settled", lambda: settled(engine, campaign_id), SETTLE_S,
                           step=0.2)
                settled_s = time.monotonic() - back
                assert all(p.poll() is None for p in procs), "a worker died during the restart"
            finally:
                stop_workers(procs)
        outcome = check_outcome(engine, campaign_id, provider)
        figures(f"postgres restart {channel}", recipients=N, sent_before_stop=at_stop, lost=N - outcome["reached"],
                **outcome, seconds_start_to_settled=settled_s)
        assert outcome["reached"] == N  # nothing lost, nothing left for review
    finally:
        if engine is not None:
            engine.dispose()
        cluster.destroy()
