"""Ads at scale: drafting for a large segment, and holding model answers to the limits.

Measures, in one run:
- baseline: a bare SELECT of the profile's columns for the segment (rows fetched, nothing computed);
- `segment_profile` (one statement: the segment materialised once, then grouped per dimension) and a whole offline `draft_ads` (profile, templates,
  targeting, insert) for a segment of N contacts out of 2N (100k of 200k; --quick: 10k of 20k);
- copy checking: `repair_variant` + `validate_variant` over 20k model-like Google answers (a third broken), against a
  baseline of bare `len()` checks of the same fields.
Database: a fresh SQLite file (default) or, with --pg, a fresh PostgreSQL database `mkt_bench_ads` on
MKT_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
Run: `python -m bench ads [--quick] [--pg]`."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

FILTER = {"all": [{"field": "region", "op": "eq", "value": "TX"},
                  {"field": "attributes.industry", "op": "eq", "value": "roofing"}]}
CITIES = ("Austin", "Dallas", "Houston", "San Antonio", "El Paso")


def _timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _url(pg: bool) -> str:
    if not pg:
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix='mkt-bench-ads-')) / 'bench.db'}"
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "mkt_bench_ads" WITH (FORCE)'))
        conn.execute(sa.text('CREATE DATABASE "mkt_bench_ads"'))
    admin.dispose()
    return make_url(base).set(database="mkt_bench_ads").render_as_string(hide_password=False)


def _seed(engine: sa.Engine, total: int) -> None:
    from db.models import Contact

    rows = []
    for i in range(total):
        texas_roofer = i % 2 == 0
        rows.append({"email": f"c{i}@bench.example", "city": CITIES[i % 5] if texas_roofer else "Denver",
                     "region": "TX" if texas_roofer else "CO", "country": "US", "company": f"Company {i % 5000}",
                     "job_title": ("Owner", "Estimator", "Office Manager")[i % 3], "tags": ["roofing", f"t{i % 7}"],
                     "attributes": {"industry": "roofing" if texas_roofer else "plumbing", "employees": 5 + i % 400},
                     "source": "import"})
    with engine.begin() as conn:
        for at in range(0, total, 10_000):
            conn.execute(sa.insert(Contact), rows[at:at + 10_000])


def _model_like_answers(count: int) -> list[dict]:
    good = {"headlines": ["Roof Reports in 24 Hours", "Built for Texas Roofers", "Drone Inspections Made Easy",
                          "Book a Free Demo", "Win More Roofing Jobs"],
            "descriptions": ["Send homeowners a photo report the same day. Try it free for 14 days.",
                             "Made for roofing crews in Texas."], "path1": "roofing", "path2": "texas"}
    broken = {**good, "headlines": ["Same-Day Drone Roof Reports For Texas Crews!", *good["headlines"][1:]],
              "descriptions": [good["descriptions"][0] + " No credit card needed, cancel any time you like.",
                               good["descriptions"][1]], "path1": "roof reports"}
    return [broken if i % 3 == 0 else good for i in range(count)]


def _bench_copy(count: int) -> tuple[float, float]:
    from domain.ads import SPECS, repair_variant, validate_variant

    answers = _model_like_answers(count)

    def baseline() -> int:
        bad = 0
        for a in answers:
            bad += any(len(t) > 30 for t in a["headlines"]) or any(len(t) > 90 for t in a["descriptions"])
        return bad

    def ours() -> int:
        bad = 0
        for a in answers:
            fixed, _ = repair_variant("google", a)
            bad += bool(validate_variant("google", fixed))
        return bad

    assert SPECS["google"]
    base, _ = _timed(baseline, 3)
    full, left = _timed(ours, 3)
    assert left == 0, "every model-like answer should be repaired"
    return base, full


def main(flags: list[str]) -> str:
    quick, pg = "--quick" in flags, "--pg" in flags
    total = 20_000 if quick else 200_000
    url = _url(pg)
    os.environ["MKT_DATABASE_URL"] = url
    from db import migrate
    from db.filters import compile_filter
    from db.models import Contact
    from db.session import create_engine_for, session_factory
    from domain.filters import parse
    from settings import reset_settings
    from tools.ads.drafts import draft_ads, segment_profile
    from tools.users import Actor

    reset_settings()
    migrate.upgrade(url)
    engine = create_engine_for(url)
    started = time.perf_counter()
    _seed(engine, total)
    print(f"seeded {total:,} contacts in {time.perf_counter() - started:.1f}s on {engine.dialect.name}", flush=True)
    make, actor = session_factory(engine), Actor.system("bench")
    cols = (Contact.city, Contact.region, Contact.country, Contact.company, Contact.job_title, Contact.tags,
            Contact.attributes)

    def select_only() -> int:
        with make() as s:
            return sum(1 for _ in s.execute(sa.select(*cols).where(compile_filter(parse(FILTER)))))

    def profile() -> int:
        with make() as s:
            return segment_profile(s, FILTER)[0].total

    def draft() -> int:
        with make() as s:
            result = draft_ads(s, actor, platform="google", filter=FILTER, brief="Same-day drone roof reports",
                               generator="offline")
            s.rollback()
            return result.audience

    base, matched = _timed(select_only, 3)
    prof, counted = _timed(profile, 3)
    whole, audience = _timed(draft, 3)
    assert matched == counted == audience == total // 2
    copy_base, copy_full = _bench_copy(20_000)
    lines = [f"## ads ({engine.dialect.name}, segment {matched:,} of {total:,} contacts)", "",
             "| measure | seconds | ratio to baseline |", "| --- | --- | --- |",
             f"| baseline: SELECT the segment's columns | {base:.3f} | 1.0 |",
             f"| segment_profile (one statement: segment read once, grouped per dimension) | {prof:.3f} | {prof / base:.2f} |",
             f"| draft_ads offline (profile + copy + targeting + insert) | {whole:.3f} | {whole / base:.2f} |",
             f"| baseline: len() checks of 20k Google answers | {copy_base:.3f} | 1.0 |",
             f"| repair + validate 20k Google answers (1/3 broken) | {copy_full:.3f} | {copy_full / copy_base:.1f} |"]
    text = "\n".join(lines)
    print(text)
    engine.dispose()
    return text
