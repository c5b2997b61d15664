"""Persistence: SQLAlchemy 2 models, engine/session and the unit of work, Alembic migrations, queries."""
