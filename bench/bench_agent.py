"""Chat turn overhead with the offline model: what the agent adds on top of the tool call it makes.

For two messages, "show contacts in Austin without email" (query_contacts, a page of 25) and "how many roofers in
Texas" (count_contacts), on 100,000 contacts (--quick: 10,000), it times:
- baseline: the bare tools call (`tools.contacts.records.query_contacts` / `count_contacts` with the same filter, in its own
  unit of work), as the chat's tool node would run it;
- the whole chat turn: `Agent.send` through the LangGraph graph (offline model parse -> approve node -> tool node in
  a worker thread with its own unit of work -> offline answer), checkpointed in the database checkpointer, all turns
  in one thread (the history grows as in a real conversation).
p50 and p95 of 40 turns each, alternating bare call and turn (after 3 warm-ups); prints the overhead (turn - baseline) and the ratio.
Database: a fresh SQLite file (default) or, with --pg, a fresh PostgreSQL database `mkt_bench_agent` on
MKT_BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
Run: `python -m bench agent [--quick] [--pg]`."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

CITIES = ("Austin", "Dallas", "Houston", "San Antonio", "Denver")
REGIONS = ("TX", "TX", "TX", "TX", "CO")
MESSAGES = ("show contacts in Austin without email", "how many roofers in Texas")
TURNS, WARMUP = 40, 3


def _prepare(pg: bool) -> str:
    var = Path(tempfile.mkdtemp(prefix="mkt-bench-agent-"))
    os.environ["MKT_VAR_DIR"] = str(var)
    os.environ.pop("OPENAI_API_KEY", None)
    if not pg:
        return f"sqlite:///{var / 'bench.db'}"
    base = os.environ.get("MKT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.create_engine(make_url(base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "mkt_bench_agent" WITH (FORCE)'))
        conn.execute(sa.text('CREATE DATABASE "mkt_bench_agent"'))
    admin.dispose()
    return make_url(base).set(database="mkt_bench_agent").render_as_string(hide_password=False)


def _seed(engine: sa.Engine, total: int) -> None:
    from db.models import Contact

    batch = []
    with engine.begin() as conn:
        for i in range(total):
            batch.append({"email": None if i % 4 == 0 else f"c{i}@bench.example", "phone": f"+1512{i:07d}",
                          "first_name": f"First{i}", "last_name": f"Last{i}", "city": CITIES[i % 5],
                          "region": REGIONS[i % 5], "country": "US", "tags": ["roofer" if i % 3 else "plumber"],
                          "attributes": {}, "source": "bench"})
            if len(batch) == 5000:
                conn.execute(sa.insert(Contact), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(Contact), batch)


def _pcts(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


async def _timed(*fns: Callable[[], Awaitable[object]]) -> list[list[float]]:
    """Time the functions alternately (bare, turn, bare, turn...) so load from other work hits both alike."""
    for _ in range(WARMUP):
        for fn in fns:
            await fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(TURNS):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            await fn()
            times[i].append(time.perf_counter() - start)
    return times


def _bare(text: str, actor) -> Callable[[], Awaitable[object]]:
    from agent.offline.parser import parse
    from db.session import unit_of_work
    from tools.contacts import records as contacts

    call = parse(text)[0]

    def run() -> object:
        with unit_of_work() as uow:
            if call.name == "count_contacts":
                return contacts.count_contacts(uow.session, actor, call.args["filter"])
            return contacts.query_contacts(uow.session, actor, call.args["filter"], page_size=25)

    async def bare() -> object:
        return await asyncio.to_thread(run)  # the tool node runs tools in a worker thread too
    return bare


async def _measure(actor) -> list[tuple[str, list[float], list[float]]]:
    from agent.core.runner import open_agent

    rows = []
    async with open_agent() as agent:
        thread = f"bench-{uuid.uuid4()}"
        for text in MESSAGES:
            async def turn(text: str = text) -> object:
                result = await agent.send(text, thread_id=thread, actor=actor)
                assert result.tool_calls and not result.text.startswith("Error"), result.text
                return result
            bare, turns = await _timed(_bare(text, actor), turn)
            rows.append((text, bare, turns))
    return rows


def main(flags: list[str]) -> None:
    quick, pg = "--quick" in flags, "--pg" in flags
    total = 10_000 if quick else 100_000
    url = _prepare(pg)
    os.environ["MKT_DATABASE_URL"] = url
    from db import migrate
    from db.session import get_engine
    from settings import reset_settings
    from tools.users import Actor

    reset_settings()
    migrate.upgrade(url)
    started = time.perf_counter()
    _seed(get_engine(), total)
    print(f"seeded {total:,} contacts in {time.perf_counter() - started:.1f}s on {get_engine().dialect.name}; "
          f"{TURNS} turns per message after {WARMUP} warm-ups", flush=True)
    for text, bare, turn in asyncio.run(_measure(Actor.system("bench"))):
        b50, b95 = _pcts(bare)
        t50, t95 = _pcts(turn)
        print(f"{text!r}: bare tools call p50 {b50:.1f} ms p95 {b95:.1f} ms | chat turn p50 {t50:.1f} ms "
              f"p95 {t95:.1f} ms | overhead p50 {t50 - b50:.1f} ms | ratio {t50 / b50:.2f}", flush=True)
