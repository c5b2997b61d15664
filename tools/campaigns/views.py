"""Campaign and ad-campaign views for the chat (read-only): the campaign list with its numbers, one campaign's card
(funnel, variants, exclusions by reason in words, the whole message, rows that failed or are in doubt with what can
be done), and the ad campaigns with their performance. Sandbox sends are counted apart and labelled "simulated";
sample records are marked as such."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import AdCampaign, Campaign, ContactEvent, ConversationMessage, MarketingActivity, SequenceStep
from domain.channels import rule as channel_rule
from domain.roles import Permission, require
from domain.send_rules import REASONS
from domain.wording import plural  # noqa: F401 - re-exported for the agent's record views
from tools.campaigns import doubt
from tools.campaigns.email_tracking import link_clicks
from tools.campaigns.lookup import find_campaign
from tools.users import Actor

A = MarketingActivity
DOUBT = ("unknown", "sending")  # the provider may or may not have the message: never re-sent blindly
FAILED = ("failed", "bounced", "complained")
WHAT_TO_DO = {
    "failed": "check the address or the provider's reason; a new campaign can reach them again",
    "bounced": "the address does not receive mail: fix it on the contact or leave it out",
    "complained": "they marked it as spam: they stay excluded from email",
    "unknown": "the provider did not confirm: check its dashboard before sending again (never re-sent blindly)",
    "sending": "claimed by a worker that has not reported: it is retried or resolved by the next sweep",
}
IN_DOUBT_TO_DO = {
    "checking": "being looked up at the provider on each tick: wait",
    "review": "not found at the provider: say 'check again the sends in doubt of campaign {id}' or 'resend anyway the "
              "sends in doubt of campaign {id}' (a person may get it twice)",
}
REASON_WORDS = REASONS | {"sample": "sample contact (a real provider never messages sample data)",
                          "excluded": "excluded", "skipped": "skipped", "cancelled": "cancelled before sending"}


def reason_words(code: str) -> str:
    return REASON_WORDS.get(code, code.replace("_", " "))


@dataclass
class CampaignRow:
    id: int
    name: str
    channel: str
    status: str
    audience: int
    sent: int
    delivered: int
    replies: int
    opt_outs: int
    cost_micros: int
    created_at: datetime
    simulated: int  # sends recorded by the sandbox (nothing left the building)
    is_sample: bool


def list_campaigns(session: Session, actor: Actor, *, status: str | None = None,
                   channel: str | None = None, limit: int = 50) -> list[CampaignRow]:
    """Campaigns newest first with audience, sent, delivered, replies (distinct contacts), opt-outs (contacts who
    opted out after it reached them), cost, created, and how many sends were simulated (sandbox). `status`
    (draft, running, paused, completed, cancelled) and `channel` (sms, email) filter. Needs campaigns."""
    require(actor.role, Permission.CAMPAIGNS, "see campaigns")
    stmt = sa.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc()).limit(limit)
    stmt = stmt.where(Campaign.id.notin_(sa.select(SequenceStep.campaign_id)))  # steps: see list_sequences
    if status:
        stmt = stmt.where(sa.func.lower(Campaign.status) == status.strip().lower())
    if channel:
        stmt = stmt.where(Campaign.channel == channel.strip().lower())
    campaigns = list(session.scalars(stmt))
    ids = [c.id for c in campaigns]
    counts = _counts(session, ids)
    replies = _per_campaign(session, sa.select(ConversationMessage.campaign_id,
                                               sa.func.count(sa.distinct(ConversationMessage.contact_id)))
                            .where(ConversationMessage.campaign_id.in_(ids), ConversationMessage.direction == "inbound")
                            .group_by(ConversationMessage.campaign_id))
    opt_outs = _opt_outs(session, ids)
    rows = []
    for c in campaigns:
        n = counts.get(c.id, {})
        audience = (c.stats or {}).get("audience")
        rows.append(CampaignRow(c.id, c.name, c.channel, c.status,
                                audience if isinstance(audience, int) else n.get("targeted", 0), n.get("sent", 0),
                                n.get("delivered", 0), replies.get(c.id, 0), opt_outs.get(c.id, 0),
                                n.get("cost", 0), c.created_at, n.get("simulated", 0), c.is_sample))
    return rows


def _per_campaign(session: Session, stmt: Any) -> dict[int, int]:
    return {cid: int(n) for cid, n in session.execute(stmt)}


def _counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    def count(cond: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)

    delivered = sa.or_(A.delivered_at.is_not(None), A.opened_at.is_not(None), A.clicked_at.is_not(None))
    stmt = (sa.select(A.campaign_id, count(A.status.not_in(("cancelled", "skipped", "excluded"))).label("targeted"),
                      count(A.sent_at.is_not(None)).label("sent"), count(delivered).label("delivered"),
                      count(A.provider == "sandbox").label("simulated"),
                      sa.func.coalesce(sa.func.sum(A.cost_micros), 0).label("cost"))
            .where(A.campaign_id.in_(ids), A.type != "test").group_by(A.campaign_id))
    return {r.campaign_id: {k: int(v) for k, v in r._mapping.items() if k != "campaign_id"}
            for r in session.execute(stmt)}


def _opt_outs(session: Session, ids: list[int]) -> dict[int, int]:
    E = ContactEvent
    stmt = (sa.select(A.campaign_id, sa.func.count(sa.distinct(A.contact_id)))
            .join(E, sa.and_(E.contact_id == A.contact_id, E.kind == "opted_out",
                             E.occurred_at >= sa.func.coalesce(A.sent_at, A.created_at)))
            .where(A.campaign_id.in_(ids), A.type != "test", A.sent_at.is_not(None)).group_by(A.campaign_id))
    return _per_campaign(session, stmt)


@dataclass
class ProblemRow:
    activity_id: int
    contact_id: int
    to: str | None
    status: str
    error: str | None
    what_to_do: str


@dataclass
class CampaignCard:
    id: int
    name: str
    channel: str
    status: str
    pause_reason: str | None
    created_at: datetime
    launched_at: datetime | None
    subject: str | None
    body_text: str
    body_html: str | None
    variants: list[dict[str, Any]]
    filter: dict[str, Any]
    report: Any  # tools.campaigns.report.CampaignReport: funnel, variants, excluded
    excluded: list[tuple[str, int]]  # (reason in words, contacts)
    problems: list[ProblemRow] = field(default_factory=list)  # failed or in doubt, with what can be done
    problem_total: int = 0
    simulated: int = 0
    is_sample: bool = False
    link_clicks: dict[str, int] = field(default_factory=dict)  # email: people who clicked each link (Click webhooks)


def campaign_card(session: Session, actor: Actor, ref: str | int, *, problems: int = 10) -> CampaignCard:
    """One campaign in full: the whole message (subject, text, HTML, every variant), the funnel and variants
    (tools.campaigns.report.campaign_report), exclusions by reason in words, and up to `problems` rows that
    failed or are in doubt, each with what can be done. `ref`: id or name (case/accent-insensitive, partial).
    Needs campaigns and analytics."""
    require(actor.role, Permission.CAMPAIGNS, "open a campaign")
    from tools.campaigns.report import campaign_report

    c = find_campaign(session, ref)
    report = campaign_report(session, actor, c.id)
    excluded = sorted(((reason_words(k), n) for k, n in report.excluded.items() if n), key=lambda p: -p[1])
    card = CampaignCard(c.id, c.name, c.channel, c.status, c.pause_reason, c.created_at, c.launched_at, c.subject,
                        c.body_text, c.body_html, list(c.variants or []), dict(c.target_filter or {}), report,
                        excluded, is_sample=c.is_sample)
    card.problems, card.problem_total = _problems(session, c.id, problems)
    card.simulated = int(session.scalar(sa.select(sa.func.count()).where(
        A.campaign_id == c.id, A.provider == "sandbox", A.type != "test")) or 0)
    if channel_rule(c.channel).tracks_engagement:
        card.link_clicks = link_clicks(session, c.id)
    return card


def _problems(session: Session, campaign_id: int, limit: int) -> tuple[list[ProblemRow], int]:
    rows = _in_doubt_rows(session, campaign_id)
    where = sa.and_(A.campaign_id == campaign_id, A.type != "test", A.status.in_(FAILED + ("unknown",)))
    total = int(session.scalar(sa.select(sa.func.count()).where(where)) or 0)
    seen = {r.activity_id for r in rows}
    for a in session.scalars(sa.select(A).where(where).order_by(A.id).limit(limit)):
        if a.id not in seen:
            rows.append(ProblemRow(a.id, a.contact_id, a.to_address, a.status, a.error_message or a.error_code,
                                   WHAT_TO_DO.get(a.status, "")))
    return rows[:limit], max(total, len(rows))


def _in_doubt_rows(session: Session, campaign_id: int) -> list[ProblemRow]:
    """The sends in doubt (tools.campaigns.doubt.in_doubt), with what can be done."""
    cid = campaign_id
    return [ProblemRow(r.activity_id, r.contact_id, r.to, f"in doubt ({r.state})", r.note,
                       IN_DOUBT_TO_DO.get(r.state, WHAT_TO_DO["unknown"]).format(id=cid))
            for r in doubt.in_doubt(session, campaign_id)]


@dataclass
class AdRow:
    id: int
    name: str
    platform: str
    status: str
    spend_micros: int
    impressions: int
    clicks: int
    conversions: int
    created_at: datetime
    is_sample: bool

    @property
    def cost_per_conversion_micros(self) -> int | None:
        return self.spend_micros // self.conversions if self.conversions else None


def list_ad_campaigns(session: Session, actor: Actor, limit: int = 50) -> list[AdRow]:
    """Ad campaigns newest first with spend, impressions, clicks, conversions (sample data marked). Needs ads."""
    require(actor.role, Permission.ADS, "see ad campaigns")
    rows = session.scalars(sa.select(AdCampaign).order_by(AdCampaign.created_at.desc(), AdCampaign.id.desc())
                           .limit(limit))
    return [AdRow(a.id, a.name, a.platform, a.status, a.spend_micros, a.impressions, a.clicks, a.conversions,
                  a.created_at, a.is_sample) for a in rows]


def simulated_sends(session: Session, start: datetime, end: datetime) -> tuple[int, int]:
    """(sends, their cost in micros) recorded by the sandbox in [start, end), sample data and tests left out: the
    part of a period's numbers that never left the building."""
    from db.models import Contact

    sample = sa.select(Contact.id).where(Contact.is_sample.is_(True))
    count, cost = session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(A.cost_micros), 0)).where(
        A.provider == "sandbox", A.type != "test", A.sent_at >= start, A.sent_at < end,
        A.contact_id.not_in(sample))).one()
    return int(count or 0), int(cost or 0)


def campaign_simulated_sends(session: Session, campaign_id: int) -> int:
    """How many of one campaign's sends the sandbox only recorded (their delivery and cost are simulated)."""
    return int(session.scalar(sa.select(sa.func.count()).where(
        A.campaign_id == campaign_id, A.provider == "sandbox", A.sent_at.is_not(None))) or 0)
