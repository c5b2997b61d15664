"""imports as jobs (issue 19): the file, the region, where the run stands (done_line, bytes), the counts the result
shows (opted_out, probable_duplicates), the run holding it (runner, attempts, heartbeat_at) for resume and the sweep

Revision ID: 0016
Revises: 0015
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models.base

revision: str = "0016"
down_revision: str | tuple[str, ...] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTERS = ("done_line", "opted_out", "probable_duplicates", "attempts")


def upgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("path", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("region", sa.String(length=8), nullable=True))
        for name in _COUNTERS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("bytes_done", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("bytes_total", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("runner", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", db.models.base.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("imports") as batch:  # the model has Python-side defaults only
        for name in (*_COUNTERS, "bytes_done", "bytes_total"):
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        for name in ("heartbeat_at", "runner", "bytes_total", "bytes_done", *reversed(_COUNTERS), "region", "path"):
            batch.drop_column(name)
