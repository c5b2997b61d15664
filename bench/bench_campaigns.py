"""Campaign sending on PostgreSQL + Redis with real `dramatiq workers.actors` processes and the local provider
fakes over HTTP (issue 6). Three scenarios, each on fresh tables:

1. email: N recipients (50,000; --quick 5,000) end to end: launch (audience, send rules, outbox rows), then 2 worker
   processes claim, render, send Postmark batches of 500 to the fake and record each result. Floor in the same
   run: a bare loop posting the same number of prebuilt 500-message batches to the same fake. Goal >= 5,000 msg/s.
2. sms: 10,000 (--quick 1,000) recipients at a configured 100 messages/s, the fake enforcing 100/s with a token
   bucket: the achieved rate (first to last request at the fake) and the requests refused over the limit (goal 0).
3. fault: an SMS campaign of 10,000 (--quick 1,000) at 100/s; one of the two worker instances is killed with
   SIGKILL in the middle and a new one started: every recipient must be at the fake exactly once.

Run: `python -m bench campaigns [--quick] [--only=email|sms|fault]`. Needs PostgreSQL (MKT_BENCH_DATABASE_URL,
default postgresql+psycopg://postgres@127.0.0.1:5432/postgres; a database mkt_bench_campaigns is recreated) and
Redis (MKT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0; a namespace of its own, removed afterwards)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "mkt_bench_campaigns"


def _setup_env(quick: bool) -> dict[str, str]:
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = make_url(base).set(drivername="postgresql+psycopg", database=DB_NAME).render_as_string(hide_password=False)
    env = {"MKT_DATABASE_URL": url, "MKT_REDIS_URL": os.environ.get("MKT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
           "MKT_QUEUE_NAMESPACE": f"mkt-bench-{uuid.uuid4().hex[:8]}", "MKT_SENDER_POSTAL_ADDRESS": "1 Main St, Austin",
           "MKT_UNSUBSCRIBE_SECRET": "bench", "MKT_SENDING_STALE_SECONDS": "10", "MKT_RUN_SCHEDULER": "1",
           "MKT_LOG_LEVEL": "WARNING", "MKT_VAR_DIR": "/tmp/mkt-bench-var"}
    os.environ.update(env)
    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade(url)
    return env


def _engine() -> sa.Engine:
    from db.session import get_engine

    return get_engine()


def _fresh(contacts: int) -> None:
    """Empty the campaign tables and create `contacts` reachable contacts (email + phone, midday zone)."""
    zone = _midday_zone()
    with _engine().begin() as conn:
        conn.execute(sa.text("TRUNCATE marketing_activities, campaigns, contacts, suppressions, webhook_events, "
                             "scheduler_locks RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("""
INSERT INTO contacts (email, phone, first_name, timezone, tags, attributes, source, enrichment_status, opted_out_sms,
                      opted_out_email, email_status, is_sample, created_at, updated_at)
SELECT 'c' || g || '@bench.example.com', '+1512' || lpad((2000000 + g)::text, 7, '0'), 'Person' || g, :zone,
       '[]', '{}', 'import', 'none', false, false, 'ok', false, now(), now()
FROM generate_series(1, :n) AS g"""), {"n": contacts, "zone": zone})


def _midday_zone() -> str:
    offset = (12 - datetime.now(UTC).hour + 36) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _workers(env: dict[str, str], extra: dict[str, str], count: int = 2, threads: int = 4) -> list[subprocess.Popen]:
    procs = []
    for _ in range(count):
        procs.append(subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "dramatiq", "workers.actors", "-p", "1", "-t", str(threads)], cwd=ROOT,
            env=os.environ | env | extra, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    time.sleep(4)  # boot: import the app, connect to Redis
    return procs


def _stop(procs: list[subprocess.Popen], sig: int = signal.SIGTERM) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _launch(channel: str, name: str) -> tuple[int, float]:
    import workers.actors  # noqa: F401  (declares every actor: launch enqueues campaigns.send_batch by name)
    from db.session import unit_of_work
    from domain.roles import Role
    from tools.campaigns.drafting import draft_campaign
    from tools.campaigns.lifecycle import launch_campaign
    from tools.users import Actor

    actor = Actor("bench@example.com", Role.MARKETER)
    args = {"subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here.",
            "body_html": "<p>Hi {first_name|there}</p>"} if channel == "email" else {
        "body_text": "Hi {first_name|there}, 20% off today."}
    start = time.perf_counter()
    with unit_of_work() as uow:
        view = draft_campaign(uow.session, actor, name=name, channel=channel, filter=None,
                              send_rules={"cap_24h": 0, "cap_7d": 0}, **args)
        launch_campaign(uow.session, actor, view.id)
    return view.id, time.perf_counter() - start


def _wait_done(campaign_id: int, expected: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    query = sa.text("SELECT count(*) FROM marketing_activities WHERE campaign_id = :c AND status NOT IN "
                    "('queued', 'deferred', 'sending', 'unknown')")
    while time.monotonic() < deadline:
        with _engine().connect() as conn:
            if conn.scalar(query, {"c": campaign_id}) >= expected:
                return time.perf_counter()
        time.sleep(0.2)
    raise TimeoutError(f"campaign {campaign_id}: not all {expected} recorded within {timeout:.0f} s")


def _floor(base_url: str, token: str, n: int) -> float:
    """Seconds for a bare loop to post n prebuilt messages in batches of 500 to the fake."""
    batch = [{"From": "a@b.example.com", "To": f"f{i}@bench.example.com", "Subject": "Hi", "TextBody": "Hi there",
              "HtmlBody": "<p>Hi</p>", "MessageStream": "broadcast", "Metadata": {"activity_id": str(i)}}
             for i in range(500)]
    with httpx.Client(headers={"X-Postmark-Server-Token": token}, timeout=60) as client:
        start = time.perf_counter()
        for _ in range(n // 500):
            client.post(base_url + "/email/batch", json=batch).raise_for_status()
        return time.perf_counter() - start


def email(env: dict[str, str], n: int) -> list[str]:
    from tests.fakes.postmark import FakePostmark
    from tests.fakes.server import serve_app

    _fresh(n)
    fake = FakePostmark()
    with serve_app(fake.app()) as url:
        floor_s = _floor(url, fake.token, n)
        fake.delivered.clear()
        extra = {"POSTMARK_SERVER_TOKEN": fake.token, "MKT_POSTMARK_API_URL": url, "MKT_EMAIL_RATE_PER_SECOND": "0"}
        os.environ.update(extra)
        procs = _workers(env, extra)
        try:
            start = time.perf_counter()
            campaign_id, launch_s = _launch("email", "Bench email")
            end = _wait_done(campaign_id, n, 900)
        finally:
            _stop(procs)
    total = end - start
    dupes = sum(1 for c in fake.per_activity().values() if c > 1)
    rows = [f"| email {n:,} end to end (launch + 2 workers + record) | {total:.1f} s | {n / total:,.0f} msg/s |",
            f"| - of which launch (rules + outbox rows) | {launch_s:.1f} s | {n / launch_s:,.0f} rows/s |",
            f"| - of which dispatch (claim, render, batch send, record) | {total - launch_s:.1f} s | "
            f"{n / (total - launch_s):,.0f} msg/s |",
            f"| floor: bare loop posting {n // 500} batches of 500 to the fake | {floor_s:.1f} s | {n / floor_s:,.0f} msg/s |",
            f"| ratio end to end / floor | {(n / total) / (n / floor_s):.2f} | delivered {len(fake.delivered):,}, "
            f"duplicates {dupes} |"]
    return rows


def sms(env: dict[str, str], n: int, rate: int = 100) -> list[str]:
    from tests.fakes.sentdm import FakeSentDm
    from tests.fakes.server import serve_app

    _fresh(n)
    fake = FakeSentDm(rate_per_second=rate, burst=rate)
    with serve_app(fake.app()) as url:
        extra = {"SENTDM_API_KEY": fake.api_key, "MKT_SENTDM_API_URL": url, "MKT_SMS_RATE_PER_SECOND": str(rate)}
        os.environ.update(extra)
        procs = _workers(env, extra)
        try:
            campaign_id, _ = _launch("sms", "Bench sms")
            _wait_done(campaign_id, n, n / rate * 3 + 60)
        finally:
            _stop(procs)
    times = fake.request_times
    achieved = (len(times) - 1) / (times[-1] - times[0])
    over = fake.over_limit
    return [f"| sms {n:,} at a configured {rate}/s (2 workers x 4 threads) | {times[-1] - times[0]:.1f} s | "
            f"{achieved:.1f} msg/s |",
            f"| - requests refused over the fake's {rate}/s limit | {over} | delivered {len(fake.delivered):,} |"]


def fault(env: dict[str, str], n: int, rate: int = 100) -> list[str]:
    from tests.fakes.sentdm import FakeSentDm
    from tests.fakes.server import serve_app

    _fresh(n)
    fake = FakeSentDm(rate_per_second=rate, burst=rate)
    with serve_app(fake.app()) as url, ExitStack() as stack:
        extra = {"SENTDM_API_KEY": fake.api_key, "MKT_SENTDM_API_URL": url, "MKT_SMS_RATE_PER_SECOND": str(rate)}
        os.environ.update(extra)
        procs = _workers(env, extra)
        stack.callback(lambda: _stop(procs))
        campaign_id, _ = _launch("sms", "Bench fault")
        while len(fake.delivered) < n // 3:
            time.sleep(0.1)
        os.killpg(procs[0].pid, signal.SIGKILL)
        procs[0].wait()
        killed_at = len(fake.delivered)
        procs[0] = _workers(env, extra, count=1)[0]
        start = time.perf_counter()
        _wait_done(campaign_id, n, n / rate * 3 + 180)
        recovered = time.perf_counter() - start
    per_number = Counter(m["to"] for m in fake.delivered)
    twice = sum(1 for c in per_number.values() if c > 1)
    with _engine().connect() as conn:
        statuses = dict(conn.execute(sa.text("SELECT status, count(*) FROM marketing_activities WHERE campaign_id = :c "
                                             "GROUP BY status"), {"c": campaign_id}).all())
    return [f"| fault: sms {n:,}, SIGKILL one of 2 workers after {killed_at:,} sent, restart | "
            f"{recovered:.1f} s to finish | {len(per_number):,} recipients at the fake, {twice} twice |",
            f"| - replays answered by idempotency key | {fake.replays} | statuses {statuses} |"]


def main(flags: list[str]) -> str:
    quick = "--quick" in flags
    only = next((f.split("=", 1)[1] for f in flags if f.startswith("--only=")), None)
    env = _setup_env(quick)
    rows = ["| measure | time | rate / result |", "| --- | --- | --- |"]
    try:
        if only in (None, "email"):
            rows += email(env, 5_000 if quick else 50_000)
        if only in (None, "sms"):
            rows += sms(env, 1_000 if quick else 10_000)
        if only in (None, "fault"):
            rows += fault(env, 1_000 if quick else 10_000)
    finally:
        _cleanup_redis(env)
    table = "\n".join(rows)
    print(table, flush=True)
    return table


def _cleanup_redis(env: dict[str, str]) -> None:
    import redis

    client = redis.Redis.from_url(env["MKT_REDIS_URL"])
    for key in client.scan_iter(f"{env['MKT_QUEUE_NAMESPACE']}*"):
        client.delete(key)
