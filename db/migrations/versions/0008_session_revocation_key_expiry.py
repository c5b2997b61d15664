"""revoked_sessions (chat login tokens ended by logout) and api_keys.expires_at (optional key expiry)

Revision ID: 0008
Revises: 0007
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models.base

revision: str = "0008"
down_revision: str | tuple[str, ...] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("expires_at", db.models.base.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "revoked_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_revoked_sessions")),
    )
    op.create_index(op.f("ix_revoked_sessions_expires_at"), "revoked_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
    op.drop_column("api_keys", "expires_at")
