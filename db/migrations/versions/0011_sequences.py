"""sequences, sequence_steps, sequence_enrolments (follow-up sequences, issue 23)

Revision ID: 0011
Revises: 0009
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.models.base

revision: str = "0011"
down_revision: str | tuple[str, ...] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when() -> sa.types.TypeEngine:
    return db.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("target_filter", JSON, nullable=False),
        sa.Column("enrol_new", sa.Boolean(), nullable=False),
        sa.Column("exit_rules", JSON, nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("launched_at", _when(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequences")),
        sa.UniqueConstraint("name", name=op.f("uq_sequences_name")),
    )
    op.create_table(
        "sequence_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("wait", JSON, nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], name=op.f("fk_sequence_steps_campaign_id_campaigns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sequence_id"], ["sequences.id"], name=op.f("fk_sequence_steps_sequence_id_sequences"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_steps")),
        sa.UniqueConstraint("campaign_id", name=op.f("uq_sequence_steps_campaign_id")),
        sa.UniqueConstraint("sequence_id", "position", name=op.f("uq_sequence_steps_sequence_id_position")),
    )
    op.create_table(
        "sequence_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sequence_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("next_due_at", _when(), nullable=True),
        sa.Column("enrolled_at", _when(), nullable=False),
        sa.Column("last_step_at", _when(), nullable=True),
        sa.Column("exited_at", _when(), nullable=True),
        sa.Column("exit_reason", sa.String(length=40), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_sequence_enrolments_contact_id_contacts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sequence_id"], ["sequences.id"],
                                name=op.f("fk_sequence_enrolments_sequence_id_sequences"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sequence_enrolments")),
    )
    op.create_index(op.f("ix_sequence_enrolments_contact_id"), "sequence_enrolments", ["contact_id"], unique=False)
    op.create_index("ix_sequence_enrolments_status_due", "sequence_enrolments", ["status", "next_due_at"],
                    unique=False)
    op.create_index("ix_sequence_enrolments_sequence_status", "sequence_enrolments", ["sequence_id", "status"],
                    unique=False)
    op.create_index("uq_sequence_enrolments_active", "sequence_enrolments", ["sequence_id", "contact_id"],
                    unique=True, sqlite_where=sa.text("status = 'active'"),
                    postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    op.drop_index("uq_sequence_enrolments_active", table_name="sequence_enrolments")
    op.drop_index("ix_sequence_enrolments_sequence_status", table_name="sequence_enrolments")
    op.drop_index("ix_sequence_enrolments_status_due", table_name="sequence_enrolments")
    op.drop_index(op.f("ix_sequence_enrolments_contact_id"), table_name="sequence_enrolments")
    op.drop_table("sequence_enrolments")
    op.drop_table("sequence_steps")
    op.drop_table("sequences")
