"""Follow-up sequences on PostgreSQL (issue 23): the periodic tick with 100,000 contacts enrolled (--quick 10,000),

1. with nothing due (what every tick costs most of the time), against a baseline of one trivial round trip;
2. with 10,000 steps due (--quick 1,000): claim, facts, send rules, one outbox row per contact, send jobs enqueued
   (the in-process stub broker: no worker consumes them, so only the dispatch is timed), against the campaign
   dispatch of the same number of contacts in the same run (`launch_campaign`: audience, send rules, outbox rows,
   jobs), which is the rate the sequence step should match.

Run: `python -m bench sequences [--quick]`. Needs PostgreSQL (MKT_BENCH_DATABASE_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; a database mkt_bench_sequences is recreated). Medians of 3."""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DB_NAME = "mkt_bench_sequences"


def _setup() -> str:
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = make_url(base).set(drivername="postgresql+psycopg", database=DB_NAME).render_as_string(hide_password=False)
    os.environ.update({"MKT_DATABASE_URL": url, "MKT_REDIS_URL": "", "MKT_SENDER_POSTAL_ADDRESS": "1 Main St, Austin",
                       "MKT_UNSUBSCRIBE_SECRET": "bench", "MKT_LOG_LEVEL": "WARNING", "MKT_VAR_DIR": "/tmp/mkt-bench-var",
                       "MKT_SEND_CAP_24H": "0", "MKT_SEND_CAP_7D": "0"})
    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade(url)
    return url


def _contacts(n: int, tag: str) -> None:
    """`n` reachable contacts (email + phone) in a zone where it is midday now, tagged `tag`."""
    offset = (12 - datetime.now(UTC).hour + 36) % 24 - 12
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    from db.session import get_engine

    with get_engine().begin() as conn:
        start = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM contacts"))
        conn.execute(sa.text("""
INSERT INTO contacts (email, phone, first_name, timezone, tags, attributes, source, enrichment_status, opted_out_sms,
                      opted_out_email, email_status, is_sample, created_at, updated_at)
SELECT 'c' || g || '@bench.example.com', '+1512' || lpad((2000000 + g)::text, 7, '0'), 'Person' || g, :zone,
       CAST(:tags AS jsonb), '{}', 'import', 'none', false, false, 'ok', false, now(), now()
FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) AS g"""), {"a": start + 1, "b": start + n, "zone": zone, "tags": f'["{tag}"]'})


def _actor():
    from domain.roles import Role
    from tools.users import Actor

    return Actor("bench@example.com", Role.MARKETER)


def _launch_sequence(now: datetime) -> int:
    from db.session import unit_of_work
    from tools.sequences import lifecycle

    steps = [{"channel": "sms", "body_text": "Hi {first_name|there}, spring roof check?"},  # due at launch
             {"channel": "email", "subject": "Spring offer", "body_text": "Hi {first_name|there}, 10% off.",
              "wait": {"after_days": 2}, "condition": "no_reply"},
             {"channel": "sms", "body_text": "Last call", "wait": {"after_days": 3}, "condition": "no_booking"}]
    with unit_of_work() as uow:
        p = lifecycle.draft_sequence(uow.session, _actor(), name="Bench sequence",
                                     filter={"field": "tags", "op": "has", "value": "enrolled"}, steps=steps)
    with unit_of_work() as uow:
        lifecycle.launch_sequence(uow.session, _actor(), p.sequence_id, now=now)
    return p.sequence_id


def _timed(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _make_due(sequence_id: int, due: int, now: datetime) -> None:
    """`due` active enrolments of step 1 due now (the rest stay a day away); earlier step rows removed."""
    from db.session import get_engine

    with get_engine().begin() as conn:
        conn.execute(sa.text("DELETE FROM marketing_activities WHERE campaign_id IN "
                             "(SELECT campaign_id FROM sequence_steps WHERE sequence_id = :s)"), {"s": sequence_id})
        conn.execute(sa.text("UPDATE sequence_enrolments SET status = 'active', position = 0, next_due_at = :later, "
                             "last_step_at = NULL WHERE sequence_id = :s"),
                     {"s": sequence_id, "later": now + timedelta(days=1)})
        conn.execute(sa.text("UPDATE sequence_enrolments SET next_due_at = :now WHERE id IN (SELECT id FROM "
                             "sequence_enrolments WHERE sequence_id = :s ORDER BY id LIMIT :n)"),
                     {"s": sequence_id, "now": now, "n": due})


def _campaign_dispatch(tag: str, runs: int = 3) -> float:
    from db.session import get_engine, unit_of_work
    from tools.campaigns.drafting import draft_campaign
    from tools.campaigns.lifecycle import launch_campaign

    times = []
    for run in range(runs):
        with unit_of_work() as uow:
            view = draft_campaign(uow.session, _actor(), name=f"Bench campaign {run}", channel="sms",
                                  filter={"field": "tags", "op": "has", "value": tag},
                                  body_text="Hi {first_name|there}, spring roof check?")
        start = time.perf_counter()
        with unit_of_work() as uow:
            launch_campaign(uow.session, _actor(), view.id)
        times.append(time.perf_counter() - start)
        with get_engine().begin() as conn:
            conn.execute(sa.text("DELETE FROM marketing_activities WHERE campaign_id = :c"), {"c": view.id})
    return statistics.median(times)


def main(flags: list[str]) -> str:
    quick = "--quick" in flags
    enrolled, due = (10_000, 1_000) if quick else (100_000, 10_000)
    _setup()
    import workers.actors  # noqa: F401  (every actor declared: the tick enqueues campaigns.send_batch by name)
    from db.session import get_engine
    from workers.sequences import run_tick

    _contacts(enrolled, "enrolled")
    _contacts(due, "campaign")
    now = datetime.now(UTC)
    start = time.perf_counter()
    sequence_id = _launch_sequence(now)
    enrol_s = time.perf_counter() - start
    _make_due(sequence_id, 0, now)  # everyone's first step a day away: nothing due
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE sequence_enrolments"))  # as autovacuum does after such a rewrite

    def round_trip() -> None:
        with get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    baseline = _timed(round_trip, 5)
    idle = _timed(lambda: run_tick(now), 5)
    dispatch = []
    for _ in range(3):
        _make_due(sequence_id, due, now)
        start = time.perf_counter()
        done = run_tick(now)
        dispatch.append(time.perf_counter() - start)
        assert done.get("queued") == due, done
    step_s = statistics.median(dispatch)
    campaign_s = _campaign_dispatch("campaign")
    rows = ["| measure | seconds | rate | ratio |", "| --- | --- | --- | --- |",
            f"| draft + launch: enrol {enrolled:,} contacts | {enrol_s:.2f} | {enrolled / enrol_s:,.0f} contacts/s | |",
            f"| baseline: one `SELECT 1` round trip | {baseline * 1000:.2f} ms | | 1 |",
            f"| tick, {enrolled:,} enrolled, nothing due | {idle * 1000:.2f} ms | | {idle / baseline:.1f} |",
            f"| campaign dispatch: `launch_campaign` of {due:,} contacts (outbox rows + jobs) | {campaign_s:.2f} | "
            f"{due / campaign_s:,.0f} msg/s | 1.00 |",
            f"| sequence tick, {due:,} steps due of {enrolled:,} enrolled (claim + rules + outbox rows + jobs) | "
            f"{step_s:.2f} | {due / step_s:,.0f} msg/s | {step_s / campaign_s:.2f} |"]
    table = "\n".join(rows)
    print(table, flush=True)
    return table
