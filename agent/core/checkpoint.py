"""The graph's checkpointer, in the app's own database: AsyncSqliteSaver on a file under var/ for the embedded
SQLite, AsyncPostgresSaver (libpq URL, autocommit, dict rows, schema "agent") on PostgreSQL. A pending approval survives a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from settings import Settings, get_settings

SCHEMA = "agent"  # PostgreSQL: the checkpoint tables live in their own schema, apart from our migrations


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://u:p@h/db -> postgresql://u:p@h/db (what psycopg and the saver expect)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.var_dir) / "agent_checkpoints.sqlite"


@asynccontextmanager
async def open_checkpointer(settings: Settings | None = None) -> AsyncIterator[Any]:
    settings = settings or get_settings()
    if settings.is_sqlite:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = sqlite_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
            await saver.setup()
            yield saver
        return
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    url = libpq_url(settings.effective_database_url)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
    pool = AsyncConnectionPool(url, open=False, min_size=1, max_size=4,
                               kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row,
                                       "options": f"-c search_path={SCHEMA}"})
    async with pool:
        saver = AsyncPostgresSaver(pool)
        await saver.setup()
        yield saver
