"""Ad campaigns (drafts and tracked performance)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps


class AdCampaign(Timestamps, Base):
    __tablename__ = "ad_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    platform: Mapped[str] = mapped_column(sa.String(20))  # facebook, google, linkedin
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")  # draft, active, paused, ended
    target_filter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    brief: Mapped[str] = mapped_column(sa.Text, default="")
    variants: Mapped[list[Any]] = mapped_column(default=list)
    targeting: Mapped[dict[str, Any]] = mapped_column(default=dict)
    spend_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_by: Mapped[str | None] = mapped_column(sa.String(320))
    is_sample: Mapped[bool] = mapped_column(default=False)


class AdMetric(Base):
    """Performance of one ad campaign on one day, entered by chat or CSV."""

    __tablename__ = "ad_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    ad_campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("ad_campaigns.id", ondelete="CASCADE"))
    day: Mapped[date]
    spend_micros: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (sa.UniqueConstraint("ad_campaign_id", "day"),)
