"""Test set-up: a clean database per run (a temporary SQLite file, or a fresh PostgreSQL database when
MKT_TEST_DATABASE_URL is given), migrations applied; Redis when MKT_TEST_REDIS_URL is given, under a
namespace of its own. Every test that asks for `db` starts from empty tables.

The environment is fixed in pytest_configure, before any module of ours reads its settings."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

RUN_ID = uuid.uuid4().hex[:10]
_state: dict[str, str] = {}


def _admin_pg_engine(url: str) -> sa.Engine:
    parsed = make_url(url).set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed, isolation_level="AUTOCOMMIT")


def pytest_configure(config: pytest.Config) -> None:
    var_dir = Path(tempfile.mkdtemp(prefix=f"mkt-test-{RUN_ID}-"))
    os.environ["MKT_VAR_DIR"] = str(var_dir)
    for name in ("OPENAI_API_KEY", "FIRECRAWL_API_KEY", "POSTMARK_SERVER_TOKEN", "SENTDM_API_KEY", "DATABASE_URL",
                 "REDIS_URL", "CHAINLIT_AUTH_SECRET", "OPENAI_BASE_URL"):
        os.environ.pop(name, None)
    pg = os.environ.get("MKT_TEST_DATABASE_URL", "")
    if pg:
        dbname = f"mkt_test_{RUN_ID}"
        engine = _admin_pg_engine(pg)
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{dbname}"'))
        engine.dispose()
        url = make_url(pg).set(drivername="postgresql+psycopg", database=dbname).render_as_string(hide_password=False)
        _state["pg_admin"], _state["pg_db"] = pg, dbname
    else:
        url = f"sqlite:///{var_dir / 'test.db'}"
    os.environ["MKT_DATABASE_URL"] = url
    redis_url = os.environ.get("MKT_TEST_REDIS_URL", "")
    os.environ["MKT_REDIS_URL"] = redis_url
    os.environ["MKT_QUEUE_NAMESPACE"] = f"mkt-test-{RUN_ID}"

    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade(url)
    import workers.actors  # noqa: F401  (the test process is an entry point: every actor declared, as in the apps)


def pytest_unconfigure(config: pytest.Config) -> None:
    from db.session import dispose_engines

    dispose_engines()
    if "pg_db" in _state:
        engine = _admin_pg_engine(_state["pg_admin"])
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{_state["pg_db"]}" WITH (FORCE)'))
        engine.dispose()
    if os.environ.get("MKT_REDIS_URL"):
        import redis

        client = redis.Redis.from_url(os.environ["MKT_REDIS_URL"])
        for key in client.scan_iter(f"{os.environ['MKT_QUEUE_NAMESPACE']}*"):
            client.delete(key)


def pytest_report_header(config: pytest.Config) -> list[str]:
    from db.session import describe_url

    return [f"mkt database: {describe_url(os.environ['MKT_DATABASE_URL'])}",
            f"mkt redis: {os.environ.get('MKT_REDIS_URL') or 'none (in-process queue)'}"]


def clean_tables() -> None:
    from db.models import Base
    from db.session import get_engine

    engine = get_engine()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            if used := _used_tables(conn, tables):
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in used) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))


def _used_tables(conn: sa.Connection, tables: list[str]) -> list[str]:
    """The tables a test may have touched: those with a row, or whose id sequence has moved (an insert rolled back
    leaves no row but uses an id). Truncating only these (one look for all) leaves every table as empty, with ids
    from 1, as truncating all of them did, in a fraction of the time: TRUNCATE costs per table, rows or not."""
    moved = set(conn.scalars(sa.text(
        "SELECT t.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_sequences q ON q.sequencename = s.relname "
        "AND q.schemaname = current_schema() WHERE s.relkind = 'S' AND q.last_value IS NOT NULL")))
    rows = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    filled = set(conn.scalars(sa.text(rows))) if tables else set()
    return [t for t in tables if t in moved or t in filled]


@pytest.fixture
def db() -> Iterator[sa.Engine]:
    """Empty tables for this test; yields the engine."""
    from db.session import get_engine

    clean_tables()
    yield get_engine()


@pytest.fixture
def session(db: sa.Engine) -> Iterator[sa.orm.Session]:
    """A session on the clean database; the test commits what it needs to be seen by others."""
    from db.session import session_factory

    s = session_factory(db)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def dialect(db: sa.Engine) -> str:
    return db.dialect.name


@pytest.fixture(autouse=True)
def _empty_queues() -> None:
    """Each test starts with empty queues, as with empty tables: a message a test left behind (a batch deferred to a
    later time, in the delay queue) would otherwise run in a later test, against that test's rows with the same
    ids (seen: a mixed-storm test's activity 1 sent 0.015 s after its 429 by a deferred batch of an earlier test)."""
    import sys

    if "workers.broker" in sys.modules:
        sys.modules["workers.broker"].broker.flush_all()


@pytest.fixture(autouse=True)
def _forget_stopped_workers() -> Iterator[None]:
    """A dramatiq.Worker leaves its middleware on the broker after stop(); a stopped worker that consumed every queue
    would then start consumers for any queue declared later and take its messages, with no thread to run them (an
    order-dependent hang). After each test, drop the middleware of workers whose threads have all ended."""
    yield
    import sys

    module = sys.modules.get("workers.broker")
    if module is None:
        return
    broker = module.broker
    stale = [m for m in broker.middleware if type(m).__name__ == "_WorkerMiddleware"
             and not any(t.is_alive() for t in m.worker.workers)]
    for middleware in stale:
        broker.middleware.remove(middleware)


@pytest.fixture
def italian_account(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The account's region is Italy (MKT_DEFAULT_REGION=IT): national numbers are read as Italian ones."""
    from settings import reset_settings

    monkeypatch.setenv("MKT_DEFAULT_REGION", "IT")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def sent_jobs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple]]:
    """The jobs `db.jobs` sends after commit, caught as (actor name, args) instead of going to a queue."""
    from db import jobs

    held: list[tuple[str, tuple]] = []
    monkeypatch.setattr(jobs, "send", lambda name, *args: held.append((name, args)))
    return held


@pytest.fixture(autouse=True)
def _fresh_model_http_clients() -> Iterator[None]:
    """langchain-openai caches one async HTTP client per base URL and timeout. A test's `asyncio.run` ends its event
    loop; when a later test's fake model server gets the same port, the cached client's pooled connections belong
    to that closed loop ("language model failed: Event loop is closed"). Each test starts with none cached."""
    yield
    cached = sys.modules.get("langchain_openai.chat_models._client_utils")
    if cached is not None:
        cached._cached_async_httpx_client.cache_clear()
        cached._cached_sync_httpx_client.cache_clear()
