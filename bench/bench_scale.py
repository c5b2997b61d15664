"""A million contacts on PostgreSQL + Redis (issue 21): the chat's filters, the contact card, the campaign preview,
and a 1,000,000-recipient email launch with its dispatch, each with the bare SQL (or bare HTTP) of the same
question in the same run and the ratio.

Data (generated once with generate_series into database `mkt_bench_scale` and reused while the row counts match;
`--fresh` regenerates): 1,000,000 contacts (5% without email, a third without phone, 40 cities of which some
accented, tags from 10 sets, attributes {plan, score}, 2% opted out of email, 3.3% of SMS, 0.5% bounced) and
5,000,000 marketing activities (100 campaigns over the last 180 days, 5 per contact), 100k inbound replies.

Measures:
- filters: count (`count_contacts`) and first page of 25 (the page query of `query_contacts`) for region, city,
  tag, without email, not contacted in 30 days, attribute equality, opted out: p50/p95 against the hand-written SQL;
- the contact card (`contact_card`) and timeline (`contact_history`) of one contact: p50 against bare SQL;
- campaign preview (`preview_campaign`) for a 500k audience against one set-based SQL counting the exclusions;
- launch and dispatch: bench/scale_send.py (`--send`; `--send-only` skips the read measures).

Run: `nice -n 10 python -m bench scale [--fresh] [--only=filters,card,preview] [--send] [--send-only] [--dispatch=N]` with MKT_BENCH_DATABASE_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/postgres: only its server is used) and MKT_BENCH_REDIS_URL."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DB_NAME = "mkt_bench_scale"
CONTACTS = 1_000_000
ACTIVITIES = 5_000_000
CAMPAIGNS = 100
CITIES = ["Austin", "Dallas", "Houston", "Montréal", "Québec", "Toronto", "Zürich", "São Paulo", "Köln", "Málaga",
          "Denver", "Boston", "Seattle", "Chicago", "Miami", "Atlanta", "Phoenix", "Portland", "Nashville", "Tampa",
          "Orlando", "Detroit", "Memphis", "El Paso", "Fresno", "Omaha", "Tulsa", "Wichita", "Mesa", "Raleigh",
          "Bogotá", "Medellín", "Kraków", "Gdańsk", "Málmo", "Reykjavík", "Córdoba", "Sevilla", "Lyon", "Nîmes"]
REGIONS = ["TX", "TX", "TX", "QC", "QC", "ON", "ZH", "SP", "NRW", "Andalucía", "CO", "MA", "WA", "IL", "FL", "GA",
           "AZ", "OR", "TN", "FL", "FL", "MI", "TN", "TX", "CA", "NE", "OK", "KS", "AZ", "NC", "Bogotá", "Antioquia",
           "Małopolska", "Pomorskie", "Skåne", "Höfuðborgarsvæðið", "Córdoba", "Andalucía", "Rhône", "Gard"]
TAGS = ['["newsletter","lead"]', '["customer"]', '["newsletter","vip"]', '[]', '["newsletter"]', '["lead"]',
        '["newsletter","customer"]', '["webinar"]', '["newsletter","lead","webinar"]', '["partner"]']
FIRST = ["Jane", "John", "José", "Zoë", "Ana", "Björn", "Chloé", "Li", "Omar", "Priya", "Renée", "Sven", "Ólafur",
         "Maria", "Luis", "Emma", "Noah", "Mia", "Lucas", "Sofia"]
LAST = ["Doe", "Smith", "Müller", "García", "O'Brien", "Nguyen", "Søren", "Dubois", "Kowalski", "Patel", "Martínez",
        "Brown", "Lee", "Wilson", "Moore", "Taylor", "Clark", "Lopez", "Young", "King"]

CONTACTS_SQL = """
INSERT INTO contacts (id, email, phone, first_name, last_name, company, company_folded, job_title, city, city_folded,
    region, region_folded, country, tags, attributes, source, enrichment_status, opted_out_sms, opted_out_sms_at,
    opted_out_email, opted_out_email_at, email_status, is_sample, created_at, updated_at)
SELECT g, CASE WHEN g % 20 = 0 THEN NULL ELSE 'c' || g || '@bench.example.com' END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE '+1512' || lpad(g::text, 7, '0') END,
       (CAST(:first AS text[]))[1 + g % 20], (CAST(:last AS text[]))[1 + (g / 20) % 20],
       'Company ' || (g % 5000), 'company ' || (g % 5000), 'Manager',
       (CAST(:cities AS text[]))[1 + (g * 7) % 40], (CAST(:cities_f AS text[]))[1 + (g * 7) % 40],
       (CAST(:regions AS text[]))[1 + (g * 7) % 40], (CAST(:regions_f AS text[]))[1 + (g * 7) % 40], 'US',
       CAST((CAST(:tags AS text[]))[1 + g % 10] AS jsonb),
       jsonb_build_object('plan', (ARRAY['free', 'pro', 'gold'])[1 + g % 3], 'score', g % 100), 'import', 'none',
       g % 30 = 11, CASE WHEN g % 30 = 11 THEN :t0 END, g % 50 = 7, CASE WHEN g % 50 = 7 THEN :t0 END,
       CASE WHEN g % 200 = 3 THEN 'bounced' ELSE 'ok' END, false,
       :t0 + (g % 730) * interval '1 day', :t0 + (g % 730) * interval '1 day'
FROM generate_series(:lo, :hi) AS g"""

CAMPAIGNS_SQL = """
INSERT INTO campaigns (id, name, channel, status, target_filter, body_text, variants, send_rules, stats, is_sample,
                       created_at, updated_at, launched_at)
SELECT c, 'Scale campaign ' || c, CASE WHEN c % 2 = 0 THEN 'sms' ELSE 'email' END, 'completed', '{}', 'Hi',
       '[]', '{}', '{}', false, :now - interval '200 days', :now - interval '200 days',
       :now - (180 - c * 1.8) * interval '1 day'
FROM generate_series(1, :campaigns) AS c;
SELECT setval('campaigns_id_seq', :campaigns)"""

# 5 activities per contact, each in another campaign (the campaign shifts by 37 per round of 1M)
ACTIVITIES_SQL = """
INSERT INTO marketing_activities (campaign_id, contact_id, channel, type, status, to_address, provider, cost_micros,
    attempts, segments, sent_at, delivered_at, created_at, updated_at)
SELECT camp, contact, CASE WHEN camp % 2 = 0 THEN 'sms' ELSE 'email' END, 'campaign',
       CASE WHEN g % 33 = 0 THEN 'failed' ELSE 'delivered' END,
       CASE WHEN camp % 2 = 0 THEN '+1512' || lpad(contact::text, 7, '0') ELSE 'c' || contact || '@bench.example.com' END,
       'sandbox', CASE WHEN camp % 2 = 0 THEN 8000 ELSE 1800 END, 1, 1, sent,
       CASE WHEN g % 33 <> 0 THEN sent + interval '30 seconds' END, sent, sent
FROM (SELECT g, 1 + (g::bigint * 7919) % :contacts AS contact, 1 + (g + (g / :contacts) * 37) % :campaigns AS camp
      FROM generate_series(:lo, :hi) AS g) s,
     LATERAL (SELECT :now - (180 - camp * 1.8) * interval '1 day' + (g % 3600) * interval '1 second' AS sent) t"""

REPLIES_SQL = """
INSERT INTO conversation_messages (contact_id, campaign_id, channel, direction, body, occurred_at)
SELECT contact_id, campaign_id, channel, 'inbound', 'Yes please', sent_at + interval '2 hours'
FROM marketing_activities WHERE id % 50 = 0"""


def database_url() -> str:
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}):
            conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return make_url(base).set(database=DB_NAME).render_as_string(hide_password=False)


def percentiles(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """p50 and p95 in ms of `repeat` runs (after one warm-up run), and the last result."""
    fn()
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], result


def prepare(fresh: bool) -> sa.Engine:
    url = database_url()
    os.environ["MKT_DATABASE_URL"] = url
    from db import migrate
    from db.session import get_engine
    from settings import reset_settings

    reset_settings()
    migrate.upgrade(url)
    engine = get_engine(url)
    with engine.connect() as conn:
        have = (conn.scalar(sa.text("SELECT count(*) FROM contacts")),
                conn.scalar(sa.text("SELECT count(*) FROM marketing_activities WHERE campaign_id <= :c"),
                            {"c": CAMPAIGNS}))
    if fresh or have != (CONTACTS, ACTIVITIES):
        _generate(engine)
    return engine


def _generate(engine: sa.Engine) -> None:
    from db.models import Base, Contact, MarketingActivity
    from domain.folding import fold_key

    now = datetime.now(UTC)
    t0 = now - timedelta(days=800)
    params: dict[str, Any] = {"t0": t0, "now": now, "contacts": CONTACTS, "campaigns": CAMPAIGNS, "first": FIRST,
                              "last": LAST, "cities": CITIES, "cities_f": [fold_key(c) for c in CITIES],
                              "regions": REGIONS, "regions_f": [fold_key(r) for r in REGIONS], "tags": TAGS}
    print(f"generating {CONTACTS:,} contacts and {ACTIVITIES:,} activities ...", flush=True)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    started = time.perf_counter()
    for table, sql, total in ((Contact.__table__, CONTACTS_SQL, CONTACTS),
                              (MarketingActivity.__table__, ACTIVITIES_SQL, ACTIVITIES)):
        indexes = list(table.indexes)
        with engine.begin() as conn:
            for index in indexes:
                index.drop(conn)
            if table is MarketingActivity.__table__:
                for statement in CAMPAIGNS_SQL.split(";"):
                    conn.execute(sa.text(statement), params)
        lo = 1 if table is Contact.__table__ else 0
        for start in range(lo, total + lo, 1_000_000):
            with engine.begin() as conn:
                conn.execute(sa.text(sql), {**params, "lo": start, "hi": min(start + 1_000_000, total + lo) - 1})
            print(f"  {table.name} {min(start + 1_000_000 - lo, total):,} ({time.perf_counter() - started:.0f} s)",
                  flush=True)
        with engine.begin() as conn:
            for index in indexes:
                index.create(conn)
        print(f"  {table.name} indexes rebuilt ({time.perf_counter() - started:.0f} s)", flush=True)
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT setval('contacts_id_seq', :n)"), {"n": CONTACTS})
        conn.execute(sa.text(REPLIES_SQL))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)


# the chat's common filters and the hand-written SQL of the same question
FILTERS: list[tuple[str, Any, str]] = [
    ("region = TX", {"field": "region", "op": "eq", "value": "tx"}, "region_folded = 'tx'"),
    ("city = Montreal", {"field": "city", "op": "eq", "value": "Montreal"}, "city_folded = 'montreal'"),
    ("tag vip", {"field": "tags", "op": "has", "value": "vip"}, "tags @> '[\"vip\"]'"),
    ("without email", {"field": "email", "op": "missing"}, "(email IS NULL OR email = '')"),
    ("not contacted in 30 days", {"not": {"field": "contacted", "op": "within_days", "value": 30}},
     "NOT EXISTS (SELECT 1 FROM marketing_activities a WHERE a.contact_id = contacts.id "
     "AND a.sent_at >= now() - interval '30 days')"),
    ("attribute plan = gold", {"field": "attributes.plan", "op": "eq", "value": "gold"},
     "lower(attributes ->> 'plan') = 'gold'"),
    ("opted out (any channel)", {"field": "opted_out", "op": "eq", "value": "any"},
     "(opted_out_sms OR opted_out_email)"),
]


def measure_filters(engine: sa.Engine, repeat: int) -> list[str]:
    from db.filters import compile_filter
    from db.models import Contact
    from db.session import session_factory
    from domain.filters import parse
    from domain.roles import Role
    from tools.contacts.records import ContactView, count_contacts
    from tools.users import Actor

    actor, Session = Actor("bench@example.com", Role.MARKETER), session_factory(engine)
    rows = ["| filter | matches | count p50 / p95 ms | bare SQL count p50 | ratio | page p50 / p95 ms | "
            "bare SQL page p50 | ratio |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, raw, where in FILTERS:
        def tool_count(raw: Any = raw) -> int:
            with Session() as s:
                return count_contacts(s, actor, raw)

        def tool_page(raw: Any = raw) -> int:  # the page query of query_contacts (default sort, 25 rows)
            with Session() as s:
                stmt = (sa.select(Contact).where(compile_filter(parse(raw)))
                        .order_by(Contact.created_at.desc(), Contact.id.desc()).limit(25))
                return len([ContactView.of(c) for c in s.scalars(stmt)])

        def bare(sql: str) -> Callable[[], object]:
            def run() -> object:
                with engine.connect() as conn:
                    return conn.execute(sa.text(sql)).all()
            return run

        c50, c95, n = percentiles(tool_count, repeat)
        b50, _, _ = percentiles(bare(f"SELECT count(*) FROM contacts WHERE {where}"), repeat)
        p50, p95, _ = percentiles(tool_page, repeat)
        bp50, _, _ = percentiles(bare(f"SELECT * FROM contacts WHERE {where} ORDER BY created_at DESC, id DESC "
                                      "LIMIT 25"), repeat)
        rows.append(f"| {label} | {n:,} | {c50:,.0f} / {c95:,.0f} | {b50:,.0f} | {c50 / b50:.2f} | "
                    f"{p50:,.1f} / {p95:,.1f} | {bp50:,.1f} | {p50 / bp50:.2f} |")
        print(rows[-1], flush=True)
    return rows


CARD_BARE = """
SELECT * FROM contacts WHERE id = :id;
SELECT a.*, c.name FROM marketing_activities a LEFT JOIN campaigns c ON c.id = a.campaign_id
 WHERE a.contact_id = :id ORDER BY a.created_at DESC LIMIT 50;
SELECT * FROM conversation_messages WHERE contact_id = :id ORDER BY occurred_at DESC LIMIT 50;
SELECT * FROM contact_events WHERE contact_id = :id ORDER BY occurred_at DESC LIMIT 50"""


def measure_card(engine: sa.Engine, repeat: int) -> list[str]:
    from db.session import session_factory
    from domain.roles import Role
    from tools.contacts.card import contact_card
    from tools.contacts.timeline import contact_history
    from tools.users import Actor

    actor, Session = Actor("bench@example.com", Role.MARKETER), session_factory(engine)
    contact_id = 424_242

    def tool(fn: Callable[..., object]) -> Callable[[], object]:
        def run() -> object:
            with Session() as s:
                return fn(s, actor, contact_id)
        return run

    def bare() -> object:
        with engine.connect() as conn:
            return [conn.execute(sa.text(q), {"id": contact_id}).all() for q in CARD_BARE.split(";")]

    b50, _, _ = percentiles(bare, repeat)
    rows = []
    for label, fn in (("contact card", contact_card), ("timeline", contact_history)):
        p50, p95, _ = percentiles(tool(fn), repeat)
        rows.append(f"| {label} of contact #{contact_id} | {p50:.1f} / {p95:.1f} | {b50:.1f} | {p50 / b50:.2f} |")
        print(rows[-1], flush=True)
    return ["| measure | p50 / p95 ms | bare SQL p50 ms (contact, activities, replies, events) | ratio |",
            "| --- | --- | --- | --- |", *rows]


PREVIEW_BARE = """
WITH aud AS (SELECT * FROM contacts WHERE tags @> '["newsletter"]' AND NOT is_sample)
SELECT count(*) AS audience,
       count(*) FILTER (WHERE opted_out_email) AS opted_out,
       count(*) FILTER (WHERE NOT opted_out_email AND email IS NULL) AS no_address,
       count(*) FILTER (WHERE NOT opted_out_email AND email IS NOT NULL AND email_status = 'bounced') AS bounced,
       count(*) FILTER (WHERE NOT opted_out_email AND email IS NOT NULL AND email_status = 'ok' AND EXISTS (
           SELECT 1 FROM marketing_activities a WHERE a.contact_id = aud.id AND a.channel = 'email'
           AND a.sent_at > now() - interval '24 hours')) AS cap_24h,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM conversation_messages m WHERE m.contact_id = aud.id
           AND m.direction = 'inbound' AND m.occurred_at > now() - interval '30 days')) AS replied
FROM aud"""


def measure_preview(engine: sa.Engine) -> list[str]:
    from db.session import session_factory
    from domain.roles import Role
    from tools.campaigns.drafting import draft_campaign
    from tools.campaigns.lifecycle import preview_campaign
    from tools.users import Actor

    actor, Session = Actor("bench@example.com", Role.MARKETER), session_factory(engine)
    with Session() as s, s.begin():
        view = draft_campaign(s, actor, name=f"Scale preview {time.time():.0f}", channel="email",
                              filter={"field": "tags", "op": "has", "value": "newsletter"},
                              subject="News for {first_name|you}", body_text="Hi {first_name|there}, news.",
                              body_html="<p>Hi {first_name|there}</p>")
    try:
        start = time.perf_counter()
        with Session() as s:
            preview = preview_campaign(s, actor, view.id)
        took = time.perf_counter() - start
        start = time.perf_counter()
        with engine.connect() as conn:
            bare = conn.execute(sa.text(PREVIEW_BARE)).one()
        floor = time.perf_counter() - start
    finally:
        with Session() as s, s.begin():
            s.execute(sa.text("DELETE FROM campaigns WHERE id = :id"), {"id": view.id})
    row = (f"| preview, audience {preview.audience:,} (bare SQL {bare.audience:,}) | {took:.1f} s | {floor:.1f} s | "
           f"{took / floor:.1f} | eligible {preview.eligible:,}, excluded {preview.excluded} |")
    print(row, flush=True)
    return ["| measure | tool | bare SQL (exclusion counts) | ratio | result |", "| --- | --- | --- | --- | --- |", row]


def main(flags: list[str]) -> None:
    fresh = "--fresh" in flags
    engine = prepare(fresh)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    out: list[str] = []
    only = next((f.split("=", 1)[1].split(",") for f in flags if f.startswith("--only=")), None)
    if "--send-only" not in flags:
        if only is None or "filters" in only:
            out += measure_filters(engine, 7)
        if only is None or "card" in only:
            out += ["", *measure_card(engine, 21)]
        if only is None or "preview" in only:
            out += ["", *measure_preview(engine)]
    if "--send" in flags or "--send-only" in flags:
        from bench.scale_send import measure_send

        dispatch = next((int(f.split("=", 1)[1]) for f in flags if f.startswith("--dispatch=")), 100_000)
        out += ["", *measure_send(engine, dispatch)]
    print("\n".join(out), flush=True)
