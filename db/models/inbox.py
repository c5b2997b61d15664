"""Conversation messages (Chatwoot, every channel) and Cal.com bookings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, utcnow


class ConversationMessage(Base):
    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(sa.String(20))  # sms, email, facebook, instagram, whatsapp, telegram, api, web
    direction: Mapped[str] = mapped_column(sa.String(10))  # inbound, outbound
    body: Mapped[str] = mapped_column(sa.Text, default="")
    sender: Mapped[str | None] = mapped_column(sa.String(320))
    chatwoot_conversation_id: Mapped[int | None] = mapped_column(index=True)
    chatwoot_message_id: Mapped[int | None] = mapped_column(unique=True)
    chatwoot_inbox_id: Mapped[int | None]
    sent_by: Mapped[str | None] = mapped_column(sa.String(320))  # our user, for replies from the chat
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_conversation_messages_contact_time", "contact_id", "occurred_at"),)


class CalendarBooking(Timestamps, Base):
    __tablename__ = "calendar_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    calcom_uid: Mapped[str] = mapped_column(sa.String(100), unique=True)
    title: Mapped[str] = mapped_column(sa.String(500), default="")
    attendee_email: Mapped[str | None] = mapped_column(sa.String(320))
    start_at: Mapped[datetime | None]
    end_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20))  # requested, accepted, cancelled, rejected, ended, no_show
    last_event_at: Mapped[datetime | None]  # order tolerance: older events do not overwrite newer ones
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
