"""drop ix_contacts_region: region filters compare lower(region) (ix_contacts_lower_region) and region is not a sort
key, so the plain index only cost every insert and update of a contact

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | tuple[str, ...] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_contacts_region", table_name="contacts")


def downgrade() -> None:
    op.create_index("ix_contacts_region", "contacts", ["region"], unique=False)
