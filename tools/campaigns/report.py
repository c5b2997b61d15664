"""The campaign report: funnel (audience, excluded by reason, sent, delivered, responded, booked), costs per
response and per booking, and A/B variants side by side. Exported through tools.analytics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import CalendarBooking, Campaign, ConversationMessage, MarketingActivity
from domain import analytics as rules
from domain.roles import Permission, require
from domain.wording import money
from tools.campaigns.lookup import find_campaign
from tools.users import Actor

A = MarketingActivity
EXCLUDED_STATUSES = ("cancelled", "skipped", "excluded")  # deferred is still to be sent


@dataclass
class VariantFunnel:
    variant: str  # "all" for the whole campaign, else the A/B variant name ("-" when none)
    targeted: int  # activities created (the contacts the send reached for)
    sent: int
    delivered: int
    opened: int
    clicked: int
    failed: int
    responded: int  # distinct contacts whose reply was attributed to this campaign
    booked: int  # distinct contacts with a booking attributed to this campaign
    cost_micros: int

    @property
    def cost_per_response_micros(self) -> int | None:
        return rules.cost_per(self.cost_micros, self.responded)

    @property
    def cost_per_booking_micros(self) -> int | None:
        return rules.cost_per(self.cost_micros, self.booked)


@dataclass
class CampaignReport:
    campaign_id: int
    name: str
    channel: str
    status: str
    audience: int
    excluded: dict[str, int]  # reason -> contacts
    total: VariantFunnel
    variants: list[VariantFunnel]  # side by side; empty when the campaign has no A/B variants
    funnel: list[rules.FunnelStep]

    def summary(self) -> str:
        t = self.total
        return (f"{self.name} ({self.channel}, {self.status}): audience {self.audience}, "
                f"{sum(self.excluded.values())} excluded, {t.sent} sent, {t.delivered} delivered, "
                f"{t.responded} responded, {t.booked} booked; cost {money(t.cost_micros)} "
                f"({money(t.cost_per_response_micros)} per response, "
                f"{money(t.cost_per_booking_micros)} per booking).")


def _variant_counts(session: Session, campaign_id: int) -> dict[str, dict[str, int]]:
    delivered = sa.or_(A.delivered_at.is_not(None), A.opened_at.is_not(None), A.clicked_at.is_not(None))

    def count(cond: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    variant = sa.func.coalesce(A.variant, "-")
    stmt = (sa.select(variant.label("variant"), count(A.status.not_in(EXCLUDED_STATUSES)).label("targeted"),
                      count(A.sent_at.is_not(None)).label("sent"), count(delivered).label("delivered"),
                      count(A.opened_at.is_not(None)).label("opened"), count(A.clicked_at.is_not(None)).label("clicked"),
                      count(A.failed_at.is_not(None)).label("failed"),
                      sa.func.coalesce(sa.func.sum(A.cost_micros), 0).label("cost_micros"))
            .where(A.campaign_id == campaign_id, A.type != "test").group_by(variant))
    return {row.variant: {k: int(v) for k, v in row._mapping.items() if k != "variant"} for row in session.execute(stmt)}


def _attributed(session: Session, campaign_id: int, model: Any, extra: Any) -> dict[str, int]:
    """Distinct contacts per variant with a `model` row (message or booking) attributed to the campaign."""
    variant = sa.func.coalesce(A.variant, "-")
    stmt = (sa.select(variant, sa.func.count(sa.distinct(model.contact_id)))
            .join(A, sa.and_(A.contact_id == model.contact_id, A.campaign_id == campaign_id, A.type != "test"))
            .where(model.campaign_id == campaign_id, extra).group_by(variant))
    return {v: int(n) for v, n in session.execute(stmt)}


def _excluded(session: Session, campaign: Campaign) -> dict[str, int]:
    """Exclusions by reason: the campaign's recorded stats["excluded"] plus its cancelled/deferred activities."""
    found: dict[str, int] = {}
    recorded = (campaign.stats or {}).get("excluded")
    if isinstance(recorded, dict):
        found.update({str(k): int(v) for k, v in recorded.items() if isinstance(v, int)})
    reason = sa.func.coalesce(A.error_code, A.status)
    stmt = (sa.select(reason, sa.func.count()).where(A.campaign_id == campaign.id, A.type != "test",
                                                     A.status.in_(EXCLUDED_STATUSES)).group_by(reason))
    for key, n in session.execute(stmt):
        found[str(key)] = found.get(str(key), 0) + int(n)
    return found


def _funnel(name: str, counts: dict[str, int], responded: int, booked: int) -> VariantFunnel:
    return VariantFunnel(variant=name, targeted=counts.get("targeted", 0), sent=counts.get("sent", 0),
                         delivered=counts.get("delivered", 0), opened=counts.get("opened", 0),
                         clicked=counts.get("clicked", 0), failed=counts.get("failed", 0), responded=responded,
                         booked=booked, cost_micros=counts.get("cost_micros", 0))


def campaign_report(session: Session, actor: Actor, ref: str | int) -> CampaignReport:
    """How one campaign did. `ref` is the campaign id or name. Funnel: audience (stats["audience"] recorded at
    launch, else the contacts targeted plus those excluded), excluded by reason, sent, delivered, responded
    (distinct contacts whose reply was attributed to the campaign), booked; total cost, cost per response and per
    booking (integer micro-dollars, None when zero outcomes); A/B variants side by side. Test sends are left out.
    Needs the analytics permission. Raises CampaignNotFound."""
    require(actor.role, Permission.ANALYTICS, "see campaign results")
    campaign = find_campaign(session, ref, launched=True)  # "how did the last campaign do": the last that went out
    per_variant = {v: c for v, c in _variant_counts(session, campaign.id).items() if c["targeted"] or c["sent"]}
    replies = _attributed(session, campaign.id, ConversationMessage, ConversationMessage.direction == "inbound")
    bookings = _attributed(session, campaign.id, CalendarBooking, sa.true())
    variants = [_funnel(v, c, replies.get(v, 0), bookings.get(v, 0)) for v, c in sorted(per_variant.items())]
    totals = {k: sum(v[k] for v in per_variant.values()) for k in
              ("targeted", "sent", "delivered", "opened", "clicked", "failed", "cost_micros")}
    total = _funnel("all", totals, _distinct_total(session, campaign.id, ConversationMessage),
                    _distinct_total(session, campaign.id, CalendarBooking))
    excluded = _excluded(session, campaign)
    recorded = (campaign.stats or {}).get("audience")
    audience = recorded if isinstance(recorded, int) else total.targeted + sum(excluded.values())
    steps = rules.funnel([("audience", audience), ("eligible", audience - sum(excluded.values())), ("sent", total.sent),
                          ("delivered", total.delivered), ("responded", total.responded), ("booked", total.booked)])
    shown = variants if len(variants) > 1 or (variants and variants[0].variant != "-") else []
    return CampaignReport(campaign_id=campaign.id, name=campaign.name, channel=campaign.channel,
                          status=campaign.status, audience=audience, excluded=excluded, total=total,
                          variants=shown, funnel=steps)


def _distinct_total(session: Session, campaign_id: int, model: Any) -> int:
    stmt = sa.select(sa.func.count(sa.distinct(model.contact_id))).where(model.campaign_id == campaign_id)
    if model is ConversationMessage:
        stmt = stmt.where(ConversationMessage.direction == "inbound")
    return int(session.scalar(stmt) or 0)


def outcome_counts(session: Session, campaign: Campaign) -> tuple[dict[str, int], dict[str, int]]:
    """The report's totals of one campaign, without a permission check (the tick announces campaign.completed with
    them): (messages targeted, sent, delivered, opened, clicked, failed, in doubt and skipped; the skipped by
    reason). Test sends are left out."""
    keys = ("targeted", "sent", "delivered", "opened", "clicked", "failed")
    per_variant = _variant_counts(session, campaign.id).values()
    counts = {k: sum(v[k] for v in per_variant) for k in keys}
    counts["in_doubt"] = int(session.scalar(sa.select(sa.func.count()).where(
        A.campaign_id == campaign.id, A.type != "test", A.status == "unknown")) or 0)
    excluded = _excluded(session, campaign)
    counts["skipped"] = sum(excluded.values())
    return counts, excluded
