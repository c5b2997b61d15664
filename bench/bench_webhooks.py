"""Webhook intake on loopback: signed Chatwoot `message_created` events POSTed to the real companion app
(uvicorn, one server process; the client runs in another) -> signature check -> stored once in webhook_events -> `webhooks.process` enqueued.

Reports events persisted per second and latency percentiles (p50, p99) with C concurrent clients, against a
baseline in the same run: a bare FastAPI endpoint (same server, same client) that reads the body and does nothing.
Goal (issue 7): >= 1,000 events/s and p99 < 100 ms. Also checks every event was stored exactly once.
With --redis the queue is Redis (MKT_BENCH_REDIS_URL, default redis://127.0.0.1:6379/0; keys removed after).
Database: a fresh SQLite file (default) or, with --pg, a fresh PostgreSQL database `mkt_bench_webhooks` on
MKT_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres). Queue: in-process by default.
Run: `python -m bench webhooks [--quick] [--pg] [--redis]`  (--quick: 600 events; default 4,000; 16 clients)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI, Request
from sqlalchemy.engine import make_url

SECRET = "bench-secret"
CONCURRENCY = 16


def _url(pg: bool) -> str:
    if not pg:
        return f"sqlite:///{Path(tempfile.mkdtemp(prefix='mkt-bench-webhooks-')) / 'bench.db'}"
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "mkt_bench_webhooks" WITH (FORCE)'))
        conn.execute(sa.text('CREATE DATABASE "mkt_bench_webhooks"'))
    admin.dispose()
    return make_url(base).set(database="mkt_bench_webhooks").render_as_string(hide_password=False)


def baseline_app() -> FastAPI:
    """The baseline: the same framework and server, an endpoint that reads the body and does nothing."""
    app = FastAPI()

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/webhooks/chatwoot")
    async def nothing(request: Request) -> dict[str, str]:
        await request.body()
        return {"status": "accepted"}

    return app


def _bodies(n: int) -> list[tuple[bytes, dict[str, str]]]:
    from tests.fakes import chatwoot as cw

    out = []
    for i in range(n):
        body = cw.dumps(cw.message_created(message_id=1_000_000 + i, content=f"reply {i}"))
        out.append((body, cw.signed_headers(SECRET, body)))
    return out


async def _fire(base: str, bodies: list[tuple[bytes, dict[str, str]]]) -> tuple[float, list[float], int]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    queue = list(reversed(bodies))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while queue:
            body, headers = queue.pop()
            start = time.perf_counter()
            async with session.post(base + "/webhooks/chatwoot", data=body, headers=headers) as response:
                await response.read()
                errors += response.status != 200
            latencies.append(time.perf_counter() - start)

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    return elapsed, latencies, errors


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(target: str) -> tuple[subprocess.Popen, str]:
    """uvicorn in its own process (the client must not share the server's GIL)."""
    import httpx

    port = _free_port()
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", target, "--factory", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--no-access-log"], cwd=root, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/healthz", timeout=0.5)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{target} did not start")


def _run(target: str, bodies) -> tuple[float, float, float, int]:
    proc, base = _serve(target)
    try:
        asyncio.run(_fire(base, bodies[:50]))  # warm-up (connections, first queries)
        elapsed, latencies, errors = asyncio.run(_fire(base, bodies[50:]))
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return (len(bodies) - 50) / elapsed, _pct(latencies, 0.5), _pct(latencies, 0.99), errors


def _forget_queue(redis_url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{namespace}*"):
        client.delete(key)


def main(flags: list[str]) -> str:
    n = 600 if "--quick" in flags else 4000
    url = _url("--pg" in flags)
    redis_url = os.environ.get("MKT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0") if "--redis" in flags else ""
    namespace = f"mkt-bench-{os.getpid()}"
    os.environ.update(MKT_DATABASE_URL=url, MKT_REDIS_URL=redis_url, MKT_QUEUE_NAMESPACE=namespace,
                      MKT_CHATWOOT_WEBHOOK_SECRET=SECRET, MKT_VAR_DIR=tempfile.mkdtemp(prefix="mkt-bench-var-"),
                      MKT_LOG_LEVEL="WARNING")
    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade(url)
    from db.models import WebhookEvent
    from db.session import get_engine
    bodies = _bodies(n)
    base_rate, base_p50, base_p99, base_err = _run("bench.bench_webhooks:baseline_app", bodies)
    rate, p50, p99, errors = _run("webhooks.app:create_app", bodies)
    with get_engine().connect() as conn:
        stored = conn.scalar(sa.select(sa.func.count()).select_from(WebhookEvent))
    if redis_url:
        _forget_queue(redis_url, namespace)
    backend = ("PostgreSQL" if "--pg" in flags else "SQLite") + (" + Redis queue" if redis_url else "")
    lines = [
        f"webhooks ({backend}, {n - 50} events after 50 warm-up, {CONCURRENCY} concurrent clients, loopback)",
        f"  baseline bare endpoint: {base_rate:8.0f} req/s   p50 {base_p50:6.1f} ms   p99 {base_p99:6.1f} ms   errors {base_err}",
        f"  signed -> stored -> enqueued: {rate:8.0f} events/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   errors {errors}",
        f"  ratio (ours / baseline throughput): {rate / base_rate:.2f}   stored rows: {stored} (expected {n})",
        f"  goal >= 1,000/s and p99 < 100 ms: {'met' if rate >= 1000 and p99 < 100 else 'NOT met'}",
    ]
    text = "\n".join(lines)
    print(text, flush=True)
    return text
