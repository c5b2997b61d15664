"""outbound_subscriptions.api_key_id: REST hooks made through the API belong to the key that made them

Revision ID: 0012
Revises: 0011
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | tuple[str, ...] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbound_subscriptions_api_key_id"), ["api_key_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_outbound_subscriptions_api_key_id_api_keys"), "api_keys",
                                    ["api_key_id"], ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("outbound_subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbound_subscriptions_api_key_id_api_keys"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbound_subscriptions_api_key_id"))
        batch_op.drop_column("api_key_id")
