"""Daily analytics, the webhook inbox, outbound events and scheduler locks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, utcnow


class DailyAnalytics(Base):
    __tablename__ = "daily_analytics"

    day: Mapped[date] = mapped_column(primary_key=True)
    new_contacts: Mapped[int] = mapped_column(default=0)
    contacted: Mapped[int] = mapped_column(default=0)
    sms_sent: Mapped[int] = mapped_column(default=0)
    sms_delivered: Mapped[int] = mapped_column(default=0)
    sms_failed: Mapped[int] = mapped_column(default=0)
    emails_sent: Mapped[int] = mapped_column(default=0)
    emails_delivered: Mapped[int] = mapped_column(default=0)
    emails_opened: Mapped[int] = mapped_column(default=0)
    emails_clicked: Mapped[int] = mapped_column(default=0)
    emails_bounced: Mapped[int] = mapped_column(default=0)
    responses: Mapped[int] = mapped_column(default=0)
    opt_outs: Mapped[int] = mapped_column(default=0)
    bookings: Mapped[int] = mapped_column(default=0)
    cost_sms_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_email_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_enrichment_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_model_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_ads_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AnalyticsCursor(Base):
    """How far the periodic analytics refresh has read one source (a row id or a change time), so that it
    recomputes only the days that changed since."""

    __tablename__ = "analytics_cursors"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    last_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_time: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """Raw inbound event, stored once per provider event id before any processing."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))  # postmark, sentdm, chatwoot, calcom, n8n
    event_id: Mapped[str] = mapped_column(sa.String(200))
    event_type: Mapped[str] = mapped_column(sa.String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")  # pending, processed, failed, ignored
    error: Mapped[str | None] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(default=0)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("provider", "event_id"),
        sa.Index("ix_webhook_events_status_received", "status", "received_at"),
    )


class OutboundSubscription(Base):
    """Where outbound events go (n8n two-way sync), signed with its secret."""

    __tablename__ = "outbound_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list[Any]] = mapped_column(default=list)  # empty: every event
    secret: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # set for a REST hook made through the API (tools/hooks.py): the key that owns it; null for `mkt outbound add`
    api_key_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)


class OutboundDelivery(Base):
    """One event to one subscription, with its attempts (the delivery log)."""

    __tablename__ = "outbound_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("outbound_subscriptions.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_outbound_deliveries_status_next", "status", "next_attempt_at"),)


class SchedulerLock(Base):
    """A lease so that a periodic tick runs in one worker at a time."""

    __tablename__ = "scheduler_locks"

    name: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(sa.String(200))
    locked_until: Mapped[datetime]


class AccountSetting(Base):
    """A setting admins change from the chat (the email sender's name, address and postal address). An environment
    variable for the same setting overrides it (tools/sender.py)."""

    __tablename__ = "account_settings"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by: Mapped[str | None] = mapped_column(sa.String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
