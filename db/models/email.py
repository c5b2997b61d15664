"""HTML email: saved templates, and which links of a campaign's emails each recipient clicked (Postmark Click
webhooks)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, utcnow


class EmailTemplate(Timestamps, Base):
    """A reusable email (subject and Markdown body with merge fields): the starter layouts are not stored."""

    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str | None] = mapped_column(sa.String(320))


class EmailLinkClick(Base):
    """One recipient (activity) who clicked one link at least once: counted per link in the campaign card."""

    __tablename__ = "email_link_clicks"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("marketing_activities.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.String(1000))
    first_clicked_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("activity_id", "url"),
        sa.Index("ix_email_link_clicks_campaign_url", "campaign_id", "url"),
    )
