"""marketing_activities.requested_at: set right before the provider call, so a send is "in doubt" only once its request
may have left (a row claimed but never requested goes back to the queue by itself)

Revision ID: 0006
Revises: 0005
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models.base

revision: str = "0006"
down_revision: str | tuple[str, ...] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("marketing_activities",
                  sa.Column("requested_at", db.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("marketing_activities", "requested_at")
