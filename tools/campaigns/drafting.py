"""Drafting a campaign from the chat: what its message must be on its channel (a subject and a Markdown body in the
brand's layout for email, segments for SMS: the channel's rule says which), the checks and warnings said before
anything is sent. The draft is then previewed and launched (tools/campaigns/lifecycle.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign
from domain import campaigns as tpl
from domain import channels as channel_rules
from domain import email_render, sms
from domain.roles import Permission, require
from domain.send_rules import SendRules
from settings import get_settings
from tools import channels
from tools.campaigns.lookup import CampaignError
from tools.campaigns.messages import compiled_email, tracking
from tools.campaigns.sending import default_rules
from tools.users import Actor


@dataclass
class CampaignView:
    id: int
    name: str
    channel: str
    status: str
    subject: str | None
    body_text: str
    body_html: str | None
    filter: dict[str, Any]
    send_rules: dict[str, Any]
    variants: list[dict[str, Any]]
    sms_segments: int | None = None
    sms_encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    notice: str | None = None
    tracking: dict[str, bool] = field(default_factory=dict)  # email: track_opens, track_links in force


def _view(c: Campaign, warnings: list[str] | None = None) -> CampaignView:
    rule = channel_rules.rule(c.channel)
    length = sms.measure(c.body_text) if rule.per_segment else None
    return CampaignView(c.id, c.name, c.channel, c.status, c.subject, c.body_text, c.body_html, c.target_filter or {},
                        c.send_rules or {}, c.variants or [], length.segments if length else None,
                        length.encoding if length else None, warnings or [], channels.notice(c.channel),
                        tracking(c) if rule.tracks_engagement else {})


def draft_campaign(session: Session, actor: Actor, *, name: str, channel: str, filter: dict[str, Any] | None,
                   body_text: str, subject: str | None = None, body_html: str | None = None,
                   send_rules: dict[str, Any] | None = None, variants: list[dict[str, Any]] | None = None,
                   schedule_at: datetime | None = None, track_opens: bool | None = None,
                   track_links: bool | None = None) -> CampaignView:
    """Create a draft campaign (nothing is sent). channel: "sms" or "email" (tools.channels.names()). filter: the contacts filter JSON
    (None: everyone). body_text/subject/body_html may use merge fields like {first_name|there}. send_rules:
    {"cap_24h", "cap_7d", "quiet_start", "quiet_end" (within 08:00-21:00), "stop_on_reply", "stop_since",
    "local_window" (email too waits for those hours in each contact's zone)}. schedule_at: send no earlier.
    variants: optional A/B list [{"name", "weight", "subject"/"body_text"/"body_html"}]. An email's body_text is
    Markdown, rendered in the brand's HTML layout with its text twin (tools/campaigns/messages.py); track_opens and
    track_links turn Postmark's tracking on or off for this campaign (None: MKT_EMAIL_TRACKING_DEFAULT). Returns
    the draft with its SMS segment count and any warnings (images without alt text, HTML over 102 KB, ...)."""
    require(actor.role, Permission.CAMPAIGNS, "draft campaigns")
    name = (name or "").strip()
    if not name:
        raise CampaignError("a campaign needs a name")
    if session.scalar(sa.select(Campaign.id).where(sa.func.lower(Campaign.name) == name.lower())):
        raise CampaignError(f"a campaign named {name!r} already exists: choose another name")
    if channel not in channels.names():
        raise CampaignError(f"channel must be {' or '.join(channels.names())} (got {channel!r})")
    _check_content(channel, body_text, subject, body_html)
    try:
        rules = SendRules.from_dict(send_rules, default_rules())
        cleaned = tpl.validate_variants(variants)
        q.audience_condition(filter)  # validates the filter
    except ValueError as exc:
        raise CampaignError(str(exc)) from None
    campaign = Campaign(name=name, channel=channel, status="draft", target_filter=filter or {}, subject=subject,
                        body_text=body_text, body_html=body_html, variants=cleaned, send_rules=rules.to_dict(),
                        schedule_at=schedule_at, stats={}, created_by=actor.email, track_opens=track_opens,
                        track_links=track_links)
    session.add(campaign)
    session.flush()
    return _view(campaign, _warnings(channel, body_text) + email_warnings(campaign))


def _check_content(channel: str, body_text: str, subject: str | None, body_html: str | None) -> None:
    if not (body_text or "").strip():
        raise CampaignError("the message body is empty")
    rich = channel_rules.rule(channel).rich  # subject, Markdown in the brand's layout (email)
    if rich and not (subject or "").strip():
        raise CampaignError(f"an {channel} campaign needs a subject")
    body = email_render.template_source(body_text) if rich else body_text
    for label, text in (("body", body), ("subject", subject), ("HTML body", body_html)):
        problems = tpl.validate_template(text or "")
        if problems:
            raise CampaignError(f"{label}: {'; '.join(problems)}")
    if rich:
        problems = compiled_email(body_text, subject or "", body_html).problems
        if problems:
            raise CampaignError(f"body: {'; '.join(problems)}")


def _warnings(channel: str, body_text: str) -> list[str]:
    out = []
    if channel_rules.rule(channel).per_segment:
        length = sms.measure(body_text)
        if length.encoding == "UCS-2":
            out.append(f"UCS-2 encoding (70 characters per segment) because of: {''.join(length.non_gsm)}")
        if length.segments > 2:
            out.append(f"{length.segments} segments before merge fields: consider a shorter text")
    if postal_missing(channel):
        out.append(POSTAL_MISSING)
    return out


def email_warnings(campaign: Campaign) -> list[str]:
    """What to fix before an email goes out: HTML over Gmail's 102 KB clip, images without alt text (each
    variant's content too)."""
    if not channel_rules.rule(campaign.channel).rich:
        return []
    out: list[str] = []
    for v in [{}] + list(campaign.variants or []):
        compiled = compiled_email(v.get("body_text") or campaign.body_text, v.get("subject") or campaign.subject or "",
                                  v.get("body_html") or campaign.body_html)
        out += [w for w in compiled.warnings if w not in out]
    return out


POSTAL_MISSING = ("no postal address for the email footer (CAN-SPAM): a real email cannot launch without one. An "
                  "admin says 'set the sender postal address to ...' in the chat (or sets MKT_SENDER_POSTAL_ADDRESS)")


def postal_missing(channel: str) -> bool:
    """A real send on a channel whose footer carries the sender's postal address (email), with none set."""
    return (channel_rules.rule(channel).rich and not channels.get(channel).sandboxed()
            and not get_settings().sender_postal_address)
