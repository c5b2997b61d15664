"""Chainlit's own tables (thread history per user), kept apart from ours: our `users` table would clash with
Chainlit's. SQLite: a separate file var/chainlit.db. PostgreSQL: a schema `chainlit`, reached through the
connection's search_path. Chainlit never creates its tables, so we do (its documented DDL plus the step columns
it writes but the DDL lacks: defaultOpen, autoCollapse, icon, modes; STACK.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from settings import Settings, get_settings

SCHEMA = "chainlit"
TABLES: dict[str, list[tuple[str, str]]] = {
    "users": [("id", "UUID PRIMARY KEY"), ("identifier", "TEXT NOT NULL UNIQUE"), ("metadata", "JSONB NOT NULL"),
              ("createdAt", "TEXT")],
    "threads": [("id", "UUID PRIMARY KEY"), ("createdAt", "TEXT"), ("name", "TEXT"),
                ("userId", 'UUID REFERENCES users("id") ON DELETE CASCADE'), ("userIdentifier", "TEXT"),
                ("tags", "TEXT[]"), ("metadata", "JSONB")],
    "steps": [("id", "UUID PRIMARY KEY"), ("name", "TEXT NOT NULL"), ("type", "TEXT NOT NULL"),
              ("threadId", 'UUID NOT NULL REFERENCES threads("id") ON DELETE CASCADE'), ("parentId", "UUID"),
              ("streaming", "BOOLEAN NOT NULL"), ("waitForAnswer", "BOOLEAN"), ("isError", "BOOLEAN"),
              ("metadata", "JSONB"), ("tags", "TEXT[]"), ("input", "TEXT"), ("output", "TEXT"),
              ("createdAt", "TEXT"), ("command", "TEXT"), ("start", "TEXT"), ("end", "TEXT"),
              ("generation", "JSONB"), ("showInput", "TEXT"), ("language", "TEXT"), ("indent", "INT"),
              ("defaultOpen", "BOOLEAN DEFAULT false"), ("autoCollapse", "BOOLEAN DEFAULT false"),
              ("icon", "TEXT"), ("modes", "JSONB")],
    "elements": [("id", "UUID PRIMARY KEY"), ("threadId", 'UUID REFERENCES threads("id") ON DELETE CASCADE'),
                 ("type", "TEXT"), ("url", "TEXT"), ("chainlitKey", "TEXT"), ("name", "TEXT NOT NULL"),
                 ("display", "TEXT"), ("objectKey", "TEXT"), ("size", "TEXT"), ("page", "INT"),
                 ("language", "TEXT"), ("forId", "UUID"), ("mime", "TEXT"), ("props", "JSONB"),
                 ("autoPlay", "BOOLEAN"), ("playerConfig", "JSONB")],
    "feedbacks": [("id", "UUID PRIMARY KEY"), ("forId", "UUID NOT NULL"),
                  ("threadId", 'UUID NOT NULL REFERENCES threads("id") ON DELETE CASCADE'),
                  ("value", "INT NOT NULL"), ("comment", "TEXT")],
}


def sqlite_path(settings: Settings) -> Path:
    return Path(settings.var_dir) / "chainlit.db"


def async_url(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The data layer's async URL and connect_args."""
    if settings.is_sqlite:
        return f"sqlite+aiosqlite:///{sqlite_path(settings)}", {}
    url = make_url(settings.effective_database_url).set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False), {"options": f"-c search_path={SCHEMA}"}


def sync_engine(settings: Settings) -> sa.Engine:
    if settings.is_sqlite:
        sqlite_path(settings).parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(f"sqlite:///{sqlite_path(settings)}")
    url = make_url(settings.effective_database_url).set(drivername="postgresql+psycopg")
    return sa.create_engine(url, connect_args={"options": f"-c search_path={SCHEMA}"})


def _type_only(ddl: str) -> str:
    """The column type without constraints (for ALTER TABLE ADD COLUMN)."""
    return ddl.split(" PRIMARY")[0].split(" NOT NULL")[0].split(" REFERENCES")[0].split(" UNIQUE")[0]


def ensure_tables(settings: Settings | None = None) -> None:
    """Create Chainlit's tables if missing and add any column a newer Chainlit writes. Idempotent."""
    settings = settings or get_settings()
    engine = sync_engine(settings)
    try:
        with engine.begin() as conn:
            if not settings.is_sqlite:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
            for table, columns in TABLES.items():
                cols = ", ".join(f'"{name}" {ddl}' for name, ddl in columns)
                conn.execute(sa.text(f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})'))
                have = {c["name"] for c in sa.inspect(conn).get_columns(table)}
                for name, ddl in columns:
                    if name not in have:
                        conn.execute(sa.text(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {_type_only(ddl)}'))
    finally:
        engine.dispose()


# what Chainlit would name a thread after when its first interaction is not typed words: a dropped file alone ("")
# or a button (the action's name); the chat names those threads itself (agent/ui/chat.py)
NOT_TITLES = frozenset({"", "say", "card_approve", "card_cancel", "import_go", "import_cancel"})


def data_layer(settings: Settings | None = None) -> Any:
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
    from chainlit.data.utils import queue_until_user_message

    from agent.ui.element_store import storage_client

    class DataLayer(SQLAlchemyDataLayer):
        @queue_until_user_message()
        async def create_element(self, element: Any) -> None:
            """The thread first: a file dropped with a thread's first message can be stored before the step that
            creates the thread, and PostgreSQL's foreign key then refused it (the file was missing on reopening)."""
            if element.thread_id and element.for_id:
                await self.update_thread(element.thread_id)
            await SQLAlchemyDataLayer.create_element.__wrapped__(self, element)  # queued once already, above

        async def update_thread(self, thread_id: str, name: str | None = None, user_id: str | None = None,
                                metadata: dict | None = None, tags: list[str] | None = None) -> None:
            if name is not None and name.strip() in NOT_TITLES:
                name = None  # never "say" or empty: the chat sets the user's words (whichever runs first)
            await super().update_thread(thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags)

    settings = settings or get_settings()
    url, connect_args = async_url(settings)
    return DataLayer(conninfo=url, connect_args=connect_args or None, show_logger=False,
                     storage_provider=storage_client(settings))
