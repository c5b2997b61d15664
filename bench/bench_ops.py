"""What operations cost: structured logging, the request middleware, and a /metrics scrape.

1. Logging: N records through our handler (ContextFilter with redaction of the settings' secrets + JsonFormatter /
   KeyValueFormatter) against a baseline of the stdlib Formatter on the same handler; microseconds per record.
2. Request middleware: N GET /healthz through the companion app (in-process ASGI calls, no network) with and
   without RequestContextMiddleware (request id, log line, counters); microseconds per request.
3. /metrics: one scrape (GROUP BY over marketing_activities and webhook_events, queue depth, job counters, text
   rendering) over R activity rows on a fresh SQLite file, against a baseline of the same two GROUP BY queries alone.

Run: `python -m bench ops [--quick]` (--quick: 5,000 log records, 2,000 requests, 20,000 rows; default 50,000 /
10,000 / 200,000). Medians of 5."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median(fn: Callable[[], float], runs: int = 5) -> float:
    return statistics.median(fn() for _ in range(runs))


def _logger(formatter: logging.Formatter, filters: list[logging.Filter]) -> logging.Logger:
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(formatter)
    for f in filters:
        handler.addFilter(f)
    logger = logging.getLogger(f"bench.ops.{id(handler)}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    return logger


def bench_logging(n: int) -> list[tuple[str, float]]:
    from ops.logging import ContextFilter, JsonFormatter, KeyValueFormatter, request_id_var

    secrets = [f"secret-value-{i:02d}-abcdefgh" for i in range(12)]
    cases = [("baseline: stdlib Formatter, no filter", logging.Formatter("%(asctime)s %(levelname)s %(message)s"), []),
             ("key=value + redaction (12 secrets, 4 patterns)", KeyValueFormatter(), [ContextFilter(secrets)]),
             ("JSON + redaction (12 secrets, 4 patterns)", JsonFormatter(), [ContextFilter(secrets)])]
    request_id_var.set("bench-request-id-0001")
    out = []
    for label, fmt, filters in cases:
        logger = _logger(fmt, filters)

        def run(logger=logger) -> float:
            start = time.perf_counter()
            for i in range(n):
                logger.info("campaign %s batch of %d: %s", i, 25, "sent 25, failed 0", extra={"actor": "x"})
            return (time.perf_counter() - start) / n * 1e6

        out.append((label, _median(run)))
    return out


async def _asgi_get(app, path: str) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench")], "client": ("127.0.0.1", 1), "server": ("bench", 80)}
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.sleep(3600)

    async def send(_message):
        return None

    await app(scope, receive, send)


def bench_middleware(n: int) -> list[tuple[str, float]]:
    from fastapi import FastAPI

    from ops.http import RequestContextMiddleware
    from webhooks.health import router

    logging.getLogger("mkt.http").setLevel(logging.WARNING)  # the line is built, not written: measure our code
    out = []
    for label, wrap in (("baseline: FastAPI /healthz, no middleware", False),
                        ("with RequestContextMiddleware (id, header, counters; log line below level)", True)):
        app = FastAPI()
        app.include_router(router)
        if wrap:
            app.add_middleware(RequestContextMiddleware)

        async def many(app=app) -> float:
            start = time.perf_counter()
            for _ in range(n):
                await _asgi_get(app, "/healthz")
            return (time.perf_counter() - start) / n * 1e6

        out.append((label, _median(lambda many=many: asyncio.run(many()))))
    return out


def _seed(rows: int) -> None:
    import sqlalchemy as sa

    from db.models import Campaign, Contact, MarketingActivity
    from db.session import get_engine

    statuses = ["queued", "sending", "sent", "delivered", "failed", "bounced"]
    with get_engine().begin() as conn:
        conn.execute(sa.insert(Campaign), [{"name": "bench", "channel": "sms", "status": "running"}])
        conn.execute(sa.insert(Contact), [{"phone": f"+1415{i:07d}"} for i in range(rows)])
        ids = conn.execute(sa.select(Contact.id)).scalars().all()
        conn.execute(sa.insert(MarketingActivity), [
            {"campaign_id": 1, "contact_id": cid, "channel": "sms" if i % 2 else "email",
             "status": statuses[i % len(statuses)]} for i, cid in enumerate(ids)])


def bench_metrics(rows: int) -> list[tuple[str, float]]:
    from ops import metrics

    _seed(rows)

    def baseline() -> float:
        start = time.perf_counter()
        metrics._sends_and_inbox()
        return (time.perf_counter() - start) * 1000

    def scrape() -> float:
        metrics.collector.invalidate()
        start = time.perf_counter()
        body = metrics.render()
        assert b"mkt_sends" in body
        return (time.perf_counter() - start) * 1000

    return [("baseline: the two GROUP BY queries alone", _median(baseline)),
            ("full /metrics render (queries + queue depth + jobs + text)", _median(scrape))]


def _setup_database() -> None:
    folder = Path(tempfile.mkdtemp(prefix="mkt-bench-ops-"))
    os.environ.update({"MKT_VAR_DIR": str(folder), "MKT_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                       "MKT_REDIS_URL": ""})
    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade()


def _print(title: str, unit: str, results: list[tuple[str, float]]) -> None:
    base = results[0][1]
    print(f"\n{title}")
    print(f"| measure | {unit} | ratio |\n| --- | --- | --- |")
    for label, value in results:
        print(f"| {label} | {value:.2f} | {value / base:.2f} |")


def main(flags: list[str]) -> None:
    quick = "--quick" in flags
    records, requests, rows = (5_000, 2_000, 20_000) if quick else (50_000, 10_000, 200_000)
    _setup_database()
    _print(f"logging: {records} records", "us/record", bench_logging(records))
    _print(f"request middleware: {requests} GET /healthz (in-process ASGI)", "us/request", bench_middleware(requests))
    _print(f"/metrics scrape over {rows} activities (SQLite)", "ms/scrape", bench_metrics(rows))
