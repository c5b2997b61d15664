"""merge the contacts and analytics branches into one head

Revision ID: 0003
Revises: 0002_analytics, 0002_contacts
"""
from collections.abc import Sequence

revision: str = "0003"
down_revision: str | tuple[str, ...] | None = ("0002_analytics", "0002_contacts")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
