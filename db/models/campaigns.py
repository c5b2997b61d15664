"""Campaigns and marketing activities (the outbox and the history of every send)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps


class Campaign(Timestamps, Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(10))  # sms, email
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    # draft, scheduled, running, paused, completed, cancelled
    target_filter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    subject: Mapped[str | None] = mapped_column(sa.String(500))
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    variants: Mapped[list[Any]] = mapped_column(default=list)  # A/B: [{"name","weight","subject","body_text",...}]
    send_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)  # caps, quiet hours, stop-on-reply ...
    schedule_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pause_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str | None] = mapped_column(sa.String(320))
    launched_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    is_sample: Mapped[bool] = mapped_column(default=False)
    track_opens: Mapped[bool | None]  # Postmark open tracking; None: the account's default (settings)
    track_links: Mapped[bool | None]  # Postmark link tracking (clicks counted per link); None: the default


class MarketingActivity(Timestamps, Base):
    """One message to one contact on one channel in one campaign. Created (queued) before any job is
    enqueued; claimed (sending) before the provider call; recorded after. One per campaign+contact+channel."""

    __tablename__ = "marketing_activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(10))
    type: Mapped[str] = mapped_column(sa.String(20), default="campaign")  # campaign, test, reply
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")
    # queued, deferred, sending, sent, delivered, opened, clicked, bounced, complained, failed, unknown, cancelled
    variant: Mapped[str | None] = mapped_column(sa.String(40))
    to_address: Mapped[str | None] = mapped_column(sa.String(320))
    provider: Mapped[str | None] = mapped_column(sa.String(20))  # postmark, sentdm, sandbox
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))
    segments: Mapped[int | None]
    cost_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    error_code: Mapped[str | None] = mapped_column(sa.String(40))
    error_message: Mapped[str | None] = mapped_column(sa.String(1000))
    scheduled_for: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    requested_at: Mapped[datetime | None]  # set right before the provider call: from then on the send is in doubt
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "contact_id", "channel"),
        sa.Index("ix_marketing_activities_campaign_status", "campaign_id", "status"),
        sa.Index("ix_marketing_activities_contact_sent", "contact_id", "sent_at"),
        sa.Index("ix_marketing_activities_status_scheduled", "status", "scheduled_for"),
        sa.Index("ix_marketing_activities_sent_at", "sent_at"),
        # daily analytics count each status on the day it happened (migration 0002_analytics)
        sa.Index("ix_marketing_activities_delivered_at", "delivered_at"),
        sa.Index("ix_marketing_activities_opened_at", "opened_at"),
        sa.Index("ix_marketing_activities_clicked_at", "clicked_at"),
        sa.Index("ix_marketing_activities_failed_at", "failed_at"),
        sa.Index("ix_marketing_activities_updated_at", "updated_at"),  # what changed since the last refresh
        # one message per address, re-checked at each batch's claim (tools/address_guard.py; migration 0015):
        # partial, so a launch's outbox rows (no address yet) cost it nothing
        sa.Index("ix_marketing_activities_campaign_to_address", "campaign_id", "to_address",
                 postgresql_where=sa.text("to_address IS NOT NULL"), sqlite_where=sa.text("to_address IS NOT NULL")),
    )
