"""contacts: GIN index on contacts.tags for the "tags has" filters (JSONB containment on PostgreSQL), and
lower(city|company|region) indexes for case-insensitive equality filters

Revision ID: 0002_contacts
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002_contacts'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_tags', ['tags'], unique=False, postgresql_using='gin')
        for column in ('city', 'company', 'region'):
            batch_op.create_index(f'ix_contacts_lower_{column}', [sa.text(f'lower({column})')], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        for column in ('city', 'company', 'region'):
            batch_op.drop_index(f'ix_contacts_lower_{column}')
        batch_op.drop_index('ix_contacts_tags', postgresql_using='gin')
