"""The enrichment queue and the cache of fetched pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps, utcnow


class EnrichmentJob(Timestamps, Base):
    """One contact's enrichment: pending -> running -> in_review -> approved / partly_approved / rejected / failed.
    `suggestions` is a list of {field, value, current, source_url, quote, confidence, verified, conflicts}."""

    __tablename__ = "enrichment_queue"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    priority: Mapped[int] = mapped_column(default=0)
    requested_by: Mapped[str | None] = mapped_column(sa.String(320))
    suggestions: Mapped[list[Any]] = mapped_column(default=list)
    decisions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    scrape_credits: Mapped[int] = mapped_column(default=0)
    search_credits: Mapped[int] = mapped_column(default=0)
    model_tokens: Mapped[int] = mapped_column(default=0)
    cost_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(320))

    __table_args__ = (sa.Index("ix_enrichment_queue_status_priority", "status", "priority"),)


class FetchedPage(Base):
    __tablename__ = "fetched_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000), unique=True)
    status_code: Mapped[int]
    title: Mapped[str | None] = mapped_column(sa.String(1000))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # JSON-LD, meta, links
    source: Mapped[str] = mapped_column(sa.String(20))  # firecrawl, fetcher
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
