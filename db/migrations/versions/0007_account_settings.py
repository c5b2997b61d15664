"""account_settings: settings admins change from the chat (email sender name, address, postal address)

Revision ID: 0007
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models.base

revision: str = "0007"
down_revision: str | tuple[str, ...] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("account_settings",
                    sa.Column("key", sa.String(length=100), nullable=False),
                    sa.Column("value", sa.Text(), nullable=False),
                    sa.Column("updated_by", sa.String(length=320), nullable=True),
                    sa.Column("updated_at", db.models.base.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("key", name=op.f("pk_account_settings")))


def downgrade() -> None:
    op.drop_table("account_settings")
