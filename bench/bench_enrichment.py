"""Enrichment offline, per contact, against the test site served on loopback.

Measures, in one run, for N contacts (200; --quick: 20), medians of 3:
- baseline: bare httpx GETs of the same 4 pages per contact (no guard, no parsing): the network floor;
- cold pipeline: the whole LangGraph pipeline (guarded fetcher, extraction, rules, verification) with an empty cache;
- warm pipeline, in-memory cache: the same with every page cached (no HTTP at all);
- warm pipeline, fetched_pages cache: the same reading the real cache table (a fresh SQLite file), one short
  transaction per page, as the worker does.
Run: `python -m bench enrichment [--quick]`."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _timed(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class MemoryCache:
    def __init__(self) -> None:
        self.pages: dict[str, object] = {}

    def get(self, url: str, max_age_seconds: int):
        return self.pages.get(url)

    def put(self, page) -> None:
        self.pages[page.url] = page


def main(flags: list[str]) -> None:
    n = 20 if "--quick" in flags else 200
    var = Path(tempfile.mkdtemp(prefix="mkt-bench-enrich-"))
    url = f"sqlite:///{var / 'bench.db'}"
    os.environ["MKT_DATABASE_URL"] = url
    os.environ["MKT_VAR_DIR"] = str(var)
    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade(url)
    _run(n)


def _run(n: int) -> None:
    import httpx

    from db.session import unit_of_work
    from integrations.errors import PermanentError
    from integrations.fetcher import Fetcher
    from tests.fakes.server import serve_app
    from tests.fakes.site import site_app
    from tools.enrichment.pipeline import Subject, run_pipeline
    from tools.enrichment.sources import SessionCache, Sources

    def resolver(host: str, port: int) -> list[str]:
        if host != "acme.test":
            raise PermanentError(host)
        return ["127.0.0.1"]

    with serve_app(site_app()) as base:
        site = f"http://acme.test:{base.rsplit(':', 1)[1]}"
        subject = Subject(1, "Jane", "Doe", "jane@acme.test", None, site + "/", None, {})
        fetcher = Fetcher(allow_loopback=True, resolver=resolver)
        client = httpx.Client()

        def baseline() -> None:
            for _ in range(n):
                for path in ("/", "/about", "/contact", "/team"):
                    client.get(base + path)

        def pipeline(cache_factory: Callable[[], object]) -> Callable[[], None]:
            def go() -> None:
                for _ in range(n):
                    sources = Sources(fetcher=fetcher, cache=cache_factory(), allow_loopback=True)
                    assert run_pipeline(subject, sources).suggestions
            return go

        shared = MemoryCache()
        pipeline(lambda: shared)()  # fill it
        db_cache = SessionCache(unit_of_work)
        pipeline(lambda: db_cache)()
        rows = [("baseline: bare httpx GET of the 4 pages", _timed(baseline)),
                ("cold pipeline (guarded fetch + extract + rules + verify)", _timed(pipeline(MemoryCache))),
                ("warm pipeline, in-memory cache (no HTTP)", _timed(pipeline(lambda: shared))),
                ("warm pipeline, fetched_pages cache on SQLite", _timed(pipeline(lambda: db_cache)))]
        client.close()
        fetcher.close()
    floor = rows[0][1]
    print(f"{n} contacts, 4 pages each; medians of 3")
    print(f"{'measure':60} {'seconds':>9} {'per contact ms':>15} {'ratio':>7}")
    for name, seconds in rows:
        print(f"{name:60} {seconds:9.3f} {seconds / n * 1000:15.2f} {seconds / floor:7.2f}")
