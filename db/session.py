"""Engine, sessions and the unit of work. Commits happen at the edge only: one tool call, one webhook,
one actor run opens a `unit_of_work()`; helpers below it may flush, never commit.

Jobs are enqueued after commit: `uow.after_commit(actor.send, id)` runs only once the transaction
has committed, and is dropped on rollback. Below the entry points, `db.jobs.enqueue(session, "area.verb", id)`
adds to the same list through `unit_of(session)`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from settings import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    from db.fold import register_sqlite

    register_sqlite(dbapi_conn)  # mkt_fold(): accent-insensitive matching (db/fold.py)


def create_engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL per process, created on first use (never at import)."""
    url = url or get_settings().effective_database_url
    with _lock:
        if url not in _engines:
            _engines[url] = create_engine_for(url)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def dispose_engine(url: str) -> None:
    """Close and forget the engine of one URL (a scratch database that is about to be deleted)."""
    with _lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


class UnitOfWork:
    """A session plus the work to do once it has committed. The session knows its unit of work
    (`unit_of(session)`), so code below the entry points (tools, `db.jobs.enqueue`) can add work to it."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._after_commit: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        session.info["unit_of_work"] = self

    def after_commit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run fn(*args) once the transaction has committed; work added before a rollback of the session is
        dropped (nothing is sent for rows that were never written)."""
        if not self._after_commit and not sa.event.contains(self.session, "after_rollback", self._forget):
            sa.event.listen(self.session, "after_rollback", self._forget)
        self._after_commit.append((fn, args))

    def run_after_commit(self) -> None:
        pending, self._after_commit = self._after_commit, []
        for fn, args in pending:
            fn(*args)

    def _forget(self, _session: Session) -> None:
        self._after_commit = []


def unit_of(session: Session) -> UnitOfWork:
    """The unit of work `session` belongs to. A bare session (a test's, a script's) gets one whose work runs
    after each of its commits."""
    uow = session.info.get("unit_of_work")
    if uow is None:
        uow = UnitOfWork(session)
        sa.event.listen(session, "after_commit", lambda _session: uow.run_after_commit())
    return uow


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[UnitOfWork]:
    """Open a transaction; commit on success, roll back on error, then run after-commit work."""
    session = session_factory(engine)()
    uow = UnitOfWork(session)
    try:
        yield uow
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    uow.run_after_commit()


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
