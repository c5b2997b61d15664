"""The migrations build the schema from empty on SQLite and PostgreSQL, and match the models."""

import os
import uuid

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from db import migrate
from db.models import Base


def _fresh_url(tmp_path) -> tuple[str, callable]:
    url = os.environ["MKT_DATABASE_URL"]
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'fresh.db'}", lambda: None
    name = f"mkt_fresh_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def test_upgrade_from_empty_creates_every_table_and_check_passes(tmp_path):
    url, drop = _fresh_url(tmp_path)
    try:
        migrate.upgrade(url)
        migrate.check(url)  # raises if models and migrations differ
        engine = sa.create_engine(url)
        names = set(sa.inspect(engine).get_table_names())
        engine.dispose()
        assert set(Base.metadata.tables) <= names
        assert "alembic_version" in names
    finally:
        drop()


def test_unique_rules_the_features_rely_on(db):
    inspector = sa.inspect(db)

    def uniques(table):
        found = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)}
        found |= {tuple(i["column_names"]) for i in inspector.get_indexes(table) if i["unique"]}
        return found

    assert ("campaign_id", "contact_id", "channel") in uniques("marketing_activities")
    assert ("email",) in uniques("contacts")
    assert ("provider", "event_id") in uniques("webhook_events")
    assert ("channel", "address") in uniques("suppressions")
