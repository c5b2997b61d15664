"""Alembic, driven from code: `mkt db upgrade` and the tests use these."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from db.session import describe_url
from settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().effective_database_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def current(url: str | None = None) -> tuple[list[str], list[str]]:
    """(revisions the database is at, latest revisions of the code)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from db.session import get_engine

    heads = list(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    engine = get_engine() if url is None else None
    if engine is None:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
    with engine.connect() as conn:
        at = list(MigrationContext.configure(conn).get_current_heads())
    return sorted(at), sorted(heads)


def steps_down(target: str, url: str | None = None) -> list[str]:
    """The revisions a downgrade to `target` (a revision id or -N) would undo, newest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))
    at, _ = current(url)
    if not at:
        return []
    if target.startswith("-"):
        undone: list[str] = []
        frontier = list(at)
        for _ in range(int(target[1:])):
            if not frontier:
                break
            rev = script.get_revision(frontier.pop(0))
            undone.append(rev.revision)
            frontier.extend(r for r in rev._normalized_down_revisions if r not in frontier)  # noqa: SLF001
        return undone
    script.get_revision(target)  # raises for an unknown revision
    keep = {r.revision for r in script.iterate_revisions(target, "base")}
    return [r.revision for r in script.iterate_revisions(at, "base") if r.revision not in keep]


def downgrade(revision: str, url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)


def check(url: str | None = None) -> None:
    """Raise if the models and the migrations differ (alembic check)."""
    command.check(alembic_config(url))


def revision(message: str, url: str | None = None) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)


__all__ = ["upgrade", "check", "revision", "describe_url"]
