"""Accent-insensitive contact matching on 100k contacts (issue 15), PostgreSQL and SQLite, same rows.

Measures `count(*)` of:
- baseline: the old case-only filters (`lower(city) = 'montréal'`, served by ix_contacts_lower_city, and the old
  name match `trim(lower(first) || ' ' || lower(last)) = ...`, a full scan);
- regex (issue 15, before migration 0009): `lower(city) ~ pattern` through db/fold.fold_match, a scan;
- now: the same filters through db/filters.compile_filter, which ignores accents ("Montreal" finds "Montréal"):
  city compares the stored contacts.city_folded (ix_contacts_city_folded);
- `resolve_contact(session, "jose martinez")` (tools/contacts/lookup.py).
Data: its own database (PostgreSQL `mkt_bench_conversation` on MKT_BENCH_DATABASE_URL or
postgresql+psycopg://postgres@127.0.0.1:5432/postgres; SQLite in a temp folder), generated each run.
Run: `python -m bench conversation [--quick]` (--quick: 20k contacts)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

CITIES = ["Austin", "Dallas", "Montréal", "Québec", "São Paulo", "Zürich", "Houston", "Köln", "Málaga", "Denver"]


def _timed(fn: Callable[[], object], repeat: int = 7) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


def _pg_url() -> str:
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "mkt_bench_conversation"'))
        conn.execute(sa.text('CREATE DATABASE "mkt_bench_conversation"'))
    admin.dispose()
    return make_url(base).set(database="mkt_bench_conversation").render_as_string(hide_password=False)


def _fill(engine: sa.Engine, n: int) -> None:
    from db.models import Base

    Base.metadata.create_all(engine)
    rows = [{"email": f"c{i}@bench.example", "first_name": "José" if i % 1000 == 7 else f"First{i}",
             "last_name": "Martínez" if i % 1000 == 7 else f"Last{i % 5000}", "city": CITIES[i % 10]
             if i % 4 == 0 else f"City{i % 2000}", "region": "QC" if i % 3 else "TX", "tags": [], "attributes": {},
             "source": "import", "enrichment_status": "none", "opted_out_sms": False, "opted_out_email": False,
             "email_status": "ok", "is_sample": False} for i in range(n)]
    from db.models import Contact

    with Session(engine) as s:
        for start in range(0, n, 5000):
            s.execute(sa.insert(Contact), rows[start:start + 5000])
        s.commit()
    with engine.connect() as conn:  # the baseline's index (migration 0009 dropped it from the schema)
        conn.execute(sa.text("CREATE INDEX ix_bench_lower_city ON contacts (lower(city))"))
        conn.execute(sa.text("ANALYZE" if engine.dialect.name == "sqlite" else "ANALYZE contacts"))
        conn.commit()


def _measure(label: str, engine: sa.Engine) -> None:
    from db.filters import compile_filter
    from db.fold import fold_match
    from db.models import Contact
    from domain.filters import parse
    from tools.contacts.lookup import resolve_contact

    def count(cond: sa.ColumnElement[bool]) -> Callable[[], int]:
        def run() -> int:
            with Session(engine) as s:
                return s.scalar(sa.select(sa.func.count()).select_from(Contact).where(cond))
        return run

    old_city = sa.func.lower(Contact.city) == "montréal"
    new_city = compile_filter(parse({"field": "city", "op": "eq", "value": "Montreal"}))
    full = sa.func.trim(sa.func.lower(sa.func.coalesce(Contact.first_name, "")) + " " +
                        sa.func.lower(sa.func.coalesce(Contact.last_name, "")))
    old_name = full == "josé martínez"
    new_name = compile_filter(parse({"field": "name", "op": "eq", "value": "jose martinez"}))
    regex_city = sa.and_(Contact.city.is_not(None), fold_match(Contact.city, "Montreal"))
    t_old, n_old = _timed(count(old_city))
    t_regex, n_regex = _timed(count(regex_city))
    t_new, n_new = _timed(count(new_city))
    print(f"{label}: city = Montreal: case-only {t_old:.1f} ms ({n_old}), regex scan {t_regex:.1f} ms ({n_regex}), "
          f"folded column {t_new:.1f} ms ({n_new}); ratios to case-only {t_regex / t_old:.1f}x / {t_new / t_old:.1f}x")
    t_old, n_old = _timed(count(old_name))
    t_new, n_new = _timed(count(new_name))
    print(f"{label}: name = jose martinez: case-only {t_old:.1f} ms ({n_old}), accent-insensitive {t_new:.1f} ms "
          f"({n_new}), ratio {t_new / t_old:.1f}x")

    def lookup() -> object:
        with Session(engine) as s:
            return resolve_contact(s, "jose martinez")
    t, match = _timed(lookup, 3)
    print(f"{label}: resolve_contact('jose martinez'): {t:.1f} ms ({len(match.candidates)} candidates)")


def main(flags: list[str]) -> None:
    from db.session import create_engine_for

    n = 20_000 if "--quick" in flags else 100_000
    print(f"{n} contacts")
    pg = create_engine_for(_pg_url())
    _fill(pg, n)
    _measure("PostgreSQL", pg)
    pg.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        lite = create_engine_for(f"sqlite:///{Path(tmp) / 'bench.db'}")
        _fill(lite, n)
        _measure("SQLite", lite)
        lite.dispose()
