"""Analytics at scale on PostgreSQL: 10M marketing activities over a year for 1M contacts (--quick: 1M for 100k).

Measures, on the same rows:
- baseline: a bare `SELECT count(*) FROM marketing_activities`;
- the 30-day dashboard (`tools.analytics.analytics_report`, which reads daily_analytics);
- the same 30 days aggregated live from the activities (what the dashboard would cost without daily_analytics);
- a one-day rebuild (`rebuild_daily` for one day: every metric from the source tables) and a 30-day rebuild;
- the periodic refresh: its first run (builds every day), a run with nothing new, a run after 30,000 activities
  changed (their days are recomputed).
Goals (issue 8): dashboard < 500 ms, one-day rebuild < 10 s.

Data lives in its own database (default `mkt_bench_analytics` on MKT_BENCH_DATABASE_URL or
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); it is generated once with generate_series and reused
when the row counts already match. `--fresh` regenerates. Run: `python -m bench analytics [--quick] [--fresh]`."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DAYS = 365
CAMPAIGNS = 200


def _database_url(quick: bool) -> str:
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    name = "mkt_bench_analytics_quick" if quick else "mkt_bench_analytics"
    admin = sa.create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median seconds of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


GENERATE = [
    ("campaigns", """
INSERT INTO campaigns (id, name, channel, status, target_filter, body_text, variants, send_rules, stats, is_sample,
                       created_at, updated_at, launched_at)
SELECT c, 'Bench campaign ' || c, CASE WHEN c % 2 = 0 THEN 'sms' ELSE 'email' END, 'completed', '{}', 'Hi',
       '[]', '{}', '{}', false, :t0, :t0, :t0 + (c * 365 / 200) * interval '1 day'
FROM generate_series(1, 200) AS c"""),
    ("contacts", """
INSERT INTO contacts (id, email, phone, first_name, tags, attributes, source, enrichment_status, opted_out_sms,
                      opted_out_email, email_status, is_sample, created_at, updated_at)
SELECT g, 'c' || g || '@bench.example', '+1555' || lpad(g::text, 7, '0'), 'Person', '[]', '{}', 'import', 'none',
       false, false, 'ok', false, :t0 + (g % 365) * interval '1 day' + (g % 86400) * interval '1 second', :t0
FROM generate_series(1, :contacts) AS g"""),
]

ACTIVITIES = """
INSERT INTO marketing_activities (campaign_id, contact_id, channel, type, status, variant, to_address, provider,
    cost_micros, attempts, segments, sent_at, delivered_at, opened_at, clicked_at, failed_at, created_at, updated_at)
SELECT camp, contact, CASE WHEN camp % 2 = 0 THEN 'sms' ELSE 'email' END, 'campaign',
       CASE WHEN g % 33 = 0 THEN (CASE WHEN camp % 2 = 0 THEN 'failed' ELSE 'bounced' END)
            WHEN camp % 2 = 1 AND g % 20 = 1 THEN 'clicked' WHEN camp % 2 = 1 AND g % 4 = 1 THEN 'opened'
            ELSE 'delivered' END,
       CASE WHEN g % 2 = 0 THEN 'A' ELSE 'B' END, 'c' || contact || '@bench.example', 'sandbox',
       CASE WHEN camp % 2 = 0 THEN 8000 ELSE 1800 END, 1, 1,
       sent, CASE WHEN g % 33 <> 0 THEN sent + interval '30 seconds' END,
       CASE WHEN camp % 2 = 1 AND g % 33 <> 0 AND g % 4 = 1 THEN sent + (g % 72) * interval '1 hour' END,
       CASE WHEN camp % 2 = 1 AND g % 33 <> 0 AND g % 20 = 1 THEN sent + (g % 72) * interval '1 hour' + interval '1 minute' END,
       CASE WHEN g % 33 = 0 THEN sent + interval '20 seconds' END, sent, sent
FROM (SELECT g, 1 + g % :contacts AS contact,
             1 + ((g / :contacts) * 20 + (g % :contacts) % 20) % 200 AS camp
      FROM generate_series(:lo, :hi) AS g) s,
     LATERAL (SELECT :t0 + (((camp - 1) * 362 / 200) + (g % 3)) * interval '1 day'
                         + (g % 50000) * interval '1 second' AS sent) t"""

EXTRAS = [
    ("replies", """
INSERT INTO conversation_messages (contact_id, campaign_id, channel, direction, body, occurred_at)
SELECT contact_id, campaign_id, channel, 'inbound', 'Yes please', sent_at + interval '2 hours'
FROM marketing_activities WHERE id % 40 = 0"""),
    ("bookings", """
INSERT INTO calendar_bookings (contact_id, campaign_id, calcom_uid, title, status, data, created_at, updated_at)
SELECT contact_id, campaign_id, 'uid-' || id, 'Intro call', 'accepted', '{}', sent_at + interval '1 day', sent_at
FROM marketing_activities WHERE id % 400 = 0"""),
    ("opt-outs", """
INSERT INTO contact_events (contact_id, kind, field, source, data, occurred_at)
SELECT contact_id, 'opted_out', channel, 'sms_keyword', '{"reason": "opt_out"}', sent_at + interval '5 minutes'
FROM marketing_activities WHERE id % 500 = 0"""),
    ("enrichment", """
INSERT INTO enrichment_queue (contact_id, status, priority, suggestions, decisions, scrape_credits, search_credits,
                              model_tokens, cost_micros, attempts, created_at, updated_at, finished_at)
SELECT g, 'approved', 0, '[]', '{}', 2, 1, 3000, 20000, 1, :t0 + (g % 365) * interval '1 day',
       :t0 + (g % 365) * interval '1 day', :t0 + (g % 365) * interval '1 day' + interval '1 hour'
FROM generate_series(1, :contacts / 10) AS g"""),
    ("ads", """
INSERT INTO ad_campaigns (id, name, platform, status, target_filter, brief, variants, targeting, spend_micros,
                          impressions, clicks, conversions, is_sample, created_at, updated_at)
SELECT a, 'Bench ad ' || a, 'facebook', 'active', '{}', '', '[]', '{}', 0, 0, 0, 0, false, :t0, :t0
FROM generate_series(1, 5) AS a;
INSERT INTO ad_metrics (ad_campaign_id, day, spend_micros, impressions, clicks, conversions)
SELECT a, (:t0 + d * interval '1 day')::date, 25000000, 10000, 150, 3
FROM generate_series(1, 5) AS a, generate_series(0, 364) AS d"""),
]


def _generate(engine: sa.Engine, activities: int, contacts: int, t0) -> None:
    from db.models import Base, MarketingActivity

    params = {"t0": t0, "contacts": contacts}
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for name, sql in GENERATE:
            start = time.perf_counter()
            conn.execute(sa.text(sql), params)
            print(f"  generated {name} in {time.perf_counter() - start:.1f} s", flush=True)
    indexes = list(MarketingActivity.__table__.indexes)
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    chunk = 1_000_000
    for lo in range(0, activities, chunk):
        start = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(sa.text(ACTIVITIES), {**params, "lo": lo, "hi": min(lo + chunk, activities) - 1})
        print(f"  activities {min(lo + chunk, activities):,} ({time.perf_counter() - start:.1f} s)", flush=True)
    start = time.perf_counter()
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
    print(f"  activity indexes rebuilt in {time.perf_counter() - start:.1f} s", flush=True)
    for name, sql in EXTRAS:
        start = time.perf_counter()
        with engine.begin() as conn:
            for statement in sql.split(";"):
                conn.execute(sa.text(statement), params)
        print(f"  generated {name} in {time.perf_counter() - start:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def _prepare(quick: bool, fresh: bool) -> tuple[sa.Engine, int]:
    activities, contacts = (1_000_000, 100_000) if quick else (10_000_000, 1_000_000)
    url = _database_url(quick)
    os.environ["MKT_DATABASE_URL"] = url
    from db import migrate
    from db.session import get_engine
    from settings import reset_settings

    reset_settings()
    migrate.upgrade(url)
    engine = get_engine(url)
    from db.models import MarketingActivity

    with engine.begin() as conn:  # data generated before an index was added to 0002_analytics gets it too
        for index in MarketingActivity.__table__.indexes:
            index.create(conn, checkfirst=True)
    with engine.connect() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM marketing_activities"))
    if fresh or have != activities:
        from tools.analytics import today

        t0 = datetime.combine(today() - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=UTC)
        print(f"generating {activities:,} activities for {contacts:,} contacts from {t0} ...", flush=True)
        _generate(engine, activities, contacts, t0)
    return engine, activities


def main(flags: list[str]) -> None:
    quick, fresh = "--quick" in flags, "--fresh" in flags
    engine, activities = _prepare(quick, fresh)
    from db.analytics import activity_numbers
    from db.models import AnalyticsCursor
    from db.session import session_factory
    from domain.analytics import day_bounds, range_bounds
    from settings import get_settings
    from tools.analytics import analytics_report, rebuild_daily, refresh, today
    from tools.users import Actor

    actor, tz = Actor.system("bench"), get_settings().account_timezone
    end = today()
    start = end - timedelta(days=29)
    busy_day = end - timedelta(days=30)
    Session = session_factory(engine)

    def run(fn: Callable[..., object]) -> Callable[[], object]:
        def call() -> object:
            with Session() as s, s.begin():
                return fn(s)
        return call

    base, count = _timed(run(lambda s: s.scalar(sa.text("SELECT count(*) FROM marketing_activities"))), 3)
    rebuild30, _ = _timed(run(lambda s: rebuild_daily(s, start, end)), 1)
    rebuild1, _ = _timed(run(lambda s: rebuild_daily(s, busy_day, busy_day)), 3)
    dash, report = _timed(run(lambda s: analytics_report(s, actor, start, end)), 5)
    live, _ = _timed(run(lambda s: activity_numbers(s, *range_bounds(start, end, tz))), 3)
    with Session() as s, s.begin():  # the cursors exist once a first refresh ran (which builds every day)
        first = None if s.get(AnalyticsCursor, "changes") else _timed(lambda: refresh(s), 1)[0]
    idle, idle_result = _timed(run(refresh), 3)
    touch = ("UPDATE marketing_activities SET updated_at = now() "
             "WHERE id IN (SELECT id FROM marketing_activities WHERE sent_at >= :a ORDER BY id LIMIT 30000)")
    with Session() as s, s.begin():
        s.execute(sa.text(touch), {"a": day_bounds(busy_day, tz)[0]})
    busy, busy_result = _timed(run(refresh), 1)
    with Session() as s:
        day_rows = s.scalar(sa.text("SELECT count(*) FROM marketing_activities WHERE sent_at >= :a AND sent_at < :b"),
                            dict(zip(("a", "b"), day_bounds(busy_day, tz), strict=True)))
    print(f"rows: {count:,} activities; {day_rows:,} sent on {busy_day}; time zone {tz}")
    print(f"baseline  count(*) over all activities      {base * 1000:9.1f} ms")
    for label, seconds, goal in (("dashboard 30 days (daily_analytics)", dash, 0.5),
                                 ("same 30 days aggregated live      ", live, None),
                                 ("rebuild one day                   ", rebuild1, 10.0),
                                 ("rebuild 30 days                   ", rebuild30, None)):
        verdict = "" if goal is None else f"  goal < {goal * 1000:,.0f} ms: {'met' if seconds < goal else 'MISSED'}"
        print(f"{label}   {seconds * 1000:9.1f} ms  ratio to baseline {seconds / base:8.3f}{verdict}")
    print(f"refresh, first run (builds every day)    {'(done before)' if first is None else f'{first:9.1f} s'}")
    print(f"refresh, nothing changed                  {idle * 1000:9.1f} ms  ({len(idle_result.days)} days recomputed)")
    print(f"refresh after 30,000 activities changed   {busy * 1000:9.1f} ms  ({len(busy_result.days)} days recomputed)")
    print(f"dashboard check: {report.totals['contacted']:,} contacted, {report.totals['emails_sent']:,} emails, "
          f"{report.totals['sms_sent']:,} SMS in the 30 days")
