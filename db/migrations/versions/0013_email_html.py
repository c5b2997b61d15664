"""HTML email: campaigns.track_opens/track_links, email_templates, email_link_clicks

Revision ID: 0013
Revises: 0012
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.models.base

revision: str = "0013"
down_revision: str | tuple[str, ...] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("track_opens", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("track_links", sa.Boolean(), nullable=True))
    op.create_table("email_templates",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("name", sa.String(length=100), nullable=False),
                    sa.Column("subject", sa.String(length=500), nullable=False),
                    sa.Column("body", sa.Text(), nullable=False),
                    sa.Column("created_by", sa.String(length=320), nullable=True),
                    sa.Column("created_at", db.models.base.UTCDateTime(timezone=True), nullable=False),
                    sa.Column("updated_at", db.models.base.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_email_templates")),
                    sa.UniqueConstraint("name", name=op.f("uq_email_templates_name")))
    op.create_table("email_link_clicks",
                    sa.Column("id", sa.Integer(), nullable=False),
                    sa.Column("campaign_id", sa.Integer(), nullable=False),
                    sa.Column("activity_id", sa.Integer(), nullable=False),
                    sa.Column("url", sa.String(length=1000), nullable=False),
                    sa.Column("first_clicked_at", db.models.base.UTCDateTime(timezone=True), nullable=False),
                    sa.ForeignKeyConstraint(["activity_id"], ["marketing_activities.id"], ondelete="CASCADE",
                                            name=op.f("fk_email_link_clicks_activity_id_marketing_activities")),
                    sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                            name=op.f("fk_email_link_clicks_campaign_id_campaigns")),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_email_link_clicks")),
                    sa.UniqueConstraint("activity_id", "url", name=op.f("uq_email_link_clicks_activity_id_url")))
    op.create_index("ix_email_link_clicks_campaign_url", "email_link_clicks", ["campaign_id", "url"])


def downgrade() -> None:
    op.drop_index("ix_email_link_clicks_campaign_url", table_name="email_link_clicks")
    op.drop_table("email_link_clicks")
    op.drop_table("email_templates")
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_column("track_links")
        batch.drop_column("track_opens")
