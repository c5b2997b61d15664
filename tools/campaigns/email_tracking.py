"""Opens and clicks of a campaign's emails, from Postmark's Open and Click webhooks: the activity's status moves
forward (tools/campaigns/deliveries.py) and each recipient's first click on each link is kept, so the campaign card counts
the people who clicked each link. Idempotent and order-tolerant: a replayed or late Click changes nothing."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import EmailLinkClick, MarketingActivity, utcnow

URL_LIMIT = 1000


def record_click(session: Session, activity: MarketingActivity, url: str | None, at: datetime | None) -> bool:
    """Keep that this activity's recipient clicked `url` (its first click; later ones change nothing). The caller
    holds the activity's row lock (tools/campaigns/deliveries.py), so two Click events for it cannot both insert. Returns
    whether this was the first click on that link."""
    url = (url or "").strip()[:URL_LIMIT]
    if not url or activity.campaign_id is None:
        return False
    found = session.scalar(sa.select(EmailLinkClick).where(EmailLinkClick.activity_id == activity.id,
                                                           EmailLinkClick.url == url))
    at = at or utcnow()
    if found is not None:
        found.first_clicked_at = min(found.first_clicked_at, at)  # events may arrive out of order
        return False
    session.add(EmailLinkClick(campaign_id=activity.campaign_id, activity_id=activity.id, url=url,
                               first_clicked_at=at))
    session.flush()
    return True


def link_clicks(session: Session, campaign_id: int, limit: int = 20) -> dict[str, int]:
    """People who clicked each link of a campaign, most clicked first (at most `limit` links)."""
    count = sa.func.count().label("n")
    rows = session.execute(sa.select(EmailLinkClick.url, count).where(EmailLinkClick.campaign_id == campaign_id)
                           .group_by(EmailLinkClick.url).order_by(count.desc(), EmailLinkClick.url).limit(limit))
    return {url: n for url, n in rows}
