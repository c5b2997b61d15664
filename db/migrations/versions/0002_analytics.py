"""analytics: refresh cursors, and indexes that count each status and new contacts per day

Revision ID: 0002_analytics
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models.base

revision: str = '0002_analytics'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVITY_COLUMNS = ("delivered_at", "opened_at", "clicked_at", "failed_at", "updated_at")


def upgrade() -> None:
    op.create_table('analytics_cursors',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('last_time', db.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', db.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_analytics_cursors'))
    )
    with op.batch_alter_table('marketing_activities', schema=None) as batch_op:
        for column in _ACTIVITY_COLUMNS:
            batch_op.create_index(f'ix_marketing_activities_{column}', [column], unique=False)
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('contact_events', schema=None) as batch_op:
        batch_op.create_index('ix_contact_events_kind_time', ['kind', 'occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact_events', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_events_kind_time')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_created_at')
    with op.batch_alter_table('marketing_activities', schema=None) as batch_op:
        for column in _ACTIVITY_COLUMNS:
            batch_op.drop_index(f'ix_marketing_activities_{column}')
    op.drop_table('analytics_cursors')
