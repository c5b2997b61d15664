"""Campaigns from the chat after their draft (tools/campaigns/drafting.py): preview, launch (needs approval),
progress, pause/resume/cancel, test send.

Every function takes the session and the acting user first, checks the 'campaigns' permission, flushes and never
commits. Launch writes one outbox row per recipient (marketing_activities) and enqueues the send jobs only after
the caller's transaction commits. Without provider keys the sandbox transports are used and every result says
"SANDBOX: nothing left the building"."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.jobs import enqueue
from db.models import Campaign, Contact, MarketingActivity, utcnow
from domain import campaigns as tpl
from domain import channels as channel_rules
from domain.campaigns import CampaignStatus, campaign_can_move
from domain.roles import Permission, require
from domain.send_rules import REASONS, Outcome
from tools import channels
from tools.campaigns.audience import CONTACT_COLUMNS as CONTACT_COLUMNS  # the light row a send renders from
from tools.campaigns.audience import Chunk as AudienceChunk
from tools.campaigns.audience import evaluate as audience_chunks
from tools.campaigns.audience import full_rows
from tools.campaigns.drafting import POSTAL_MISSING, email_warnings, postal_missing
from tools.campaigns.email_tracking import link_clicks
from tools.campaigns.lookup import CampaignError, CampaignNotFound, find_campaign
from tools.campaigns.messages import render_message
from tools.sender import apply_stored
from tools.users import Actor

SAMPLES = 3


@dataclass
class Sample:
    contact_id: int
    to: str
    subject: str
    body: str  # the text the recipient reads (an email's text version)
    segments: int | None = None
    html: str | None = None  # an email's HTML as the recipient gets it


@dataclass
class CampaignPreview:
    campaign_id: int
    name: str
    channel: str
    audience: int
    eligible: int
    excluded: dict[str, int]
    deferred: int
    samples: list[Sample]
    segments: int | None
    estimated_cost_micros: int
    notice: str | None = None
    warnings: list[str] = field(default_factory=list)  # email: size over Gmail's clip, images without alt text


@dataclass
class LaunchResult:
    campaign_id: int
    status: str
    queued: int
    deferred: int
    excluded: dict[str, int]
    estimated_cost_micros: int
    notice: str | None = None
    worker_note: str | None = None  # set when no server or worker is running to send it


NO_WORKER = ("No `mkt serve` or `mkt worker` is running, so nothing is being sent yet: the campaign is saved as "
             "running and starts sending within seconds of one starting.")


@dataclass
class CampaignProgress:
    campaign_id: int
    name: str
    channel: str
    status: str
    pause_reason: str | None
    counts: dict[str, int]
    excluded: dict[str, int]
    cost_micros: int
    total: int
    done: int
    notice: str | None = None
    variants: dict[str, dict[str, int]] = field(default_factory=dict)  # A/B: counts by status per variant
    leading_variant: str | None = None  # best share reaching the winner metric (clicked for email, delivered for sms)
    link_clicks: dict[str, int] = field(default_factory=dict)  # email: people who clicked each link


@dataclass
class TestSendResult:
    to: str
    subject: str
    body: str
    queued: bool
    notice: str | None = None
    html: str | None = None


def _can(actor: Actor, what: str) -> None:
    require(actor.role, Permission.CAMPAIGNS, what)


def _notice(channel: str) -> str | None:
    return channels.notice(channel)


def _get(session: Session, ref: int | str) -> Campaign:
    try:
        return find_campaign(session, ref)
    except CampaignNotFound as exc:
        raise CampaignError(str(exc)) from None



def check_launch(session: Session, actor: Actor, ref: int | str) -> Campaign:
    """What would make a launch fail, said before the approval card: not a draft, or a real email send without a
    postal address (in sandbox mode an email campaign launches without one: nothing leaves the building)."""
    _can(actor, "launch campaigns")
    campaign = _get(session, ref)
    apply_stored(session)
    if campaign.status != "draft":
        raise CampaignError(f"campaign {campaign.name!r} is {campaign.status}: only a draft can be launched")
    if postal_missing(campaign.channel):
        raise CampaignError(POSTAL_MISSING)
    return campaign


def preview_campaign(session: Session, actor: Actor, ref: int | str) -> CampaignPreview:
    """Who would get this campaign now: audience size, eligible count, exclusions by reason, how many are
    deferred by quiet hours, three rendered samples for real contacts, SMS segments and the estimated cost."""
    _can(actor, "preview campaigns")
    campaign = _get(session, ref)
    apply_stored(session)
    by_text, entry = channel_rules.rule(campaign.channel).per_segment, channels.get(campaign.channel)
    audience, going, deferred, cost, segments = 0, 0, 0, 0, None
    excluded: Counter[str] = Counter()
    samples: list[Sample] = []
    for chunk in audience_chunks(session, campaign, utcnow(), sandbox=entry.sandboxed(), render=by_text):
        audience += len(chunk.contacts)
        decisions = chunk.decisions.values()
        excluded.update(d.reason for d in decisions if d.outcome is Outcome.EXCLUDE)
        deferred += sum(1 for d in decisions if d.outcome is Outcome.DEFER)
        kept = [c for c in chunk.contacts if chunk.decisions[c.id].outcome is not Outcome.EXCLUDE]
        going += len(kept)
        # a message priced per message costs the same whatever it says: only a text priced per segment (SMS)
        # and the samples are rendered
        for c in kept if by_text else full_rows(session, [c.id for c in kept[:SAMPLES - len(samples)]]):
            o = render_message(campaign, c, activity_id=None, variant=_variant(campaign, c))
            if len(samples) < SAMPLES:
                samples.append(Sample(o.contact_id, o.to, o.subject, o.text, o.segments, o.html))
            if by_text:
                cost += o.cost_micros
                segments = max(segments or 0, o.segments or 0)
        if not by_text:
            cost += sum(entry.price_micros(channel_rules.address_of(campaign.channel, c)) for c in kept)
    return CampaignPreview(campaign.id, campaign.name, campaign.channel, audience, going - deferred,
                           dict(excluded), deferred, samples, segments, cost, _notice(campaign.channel),
                           email_warnings(campaign))


def _variant(campaign: Campaign, contact: Contact) -> str | None:
    chosen = tpl.pick_variant(campaign.variants or [], campaign.id, contact.id)
    return chosen["name"] if chosen else None


def launch_campaign(session: Session, actor: Actor, ref: int | str, *, now: datetime | None = None) -> LaunchResult:
    """Start sending (ASK FOR APPROVAL FIRST, with the preview). Writes one queued activity per eligible
    recipient (deferred ones wait for their local 08:00), then enqueues the send jobs after commit. `now`: the
    clock the send rules read (default: the current time; tests freeze it)."""
    campaign = check_launch(session, actor, ref)
    now = now or utcnow()
    later = campaign.schedule_at if campaign.schedule_at and campaign.schedule_at > now else None
    audience, queued, deferred, cost = 0, 0, 0, 0
    excluded: Counter[str] = Counter()
    by_text = channel_rules.rule(campaign.channel).per_segment  # a cost per message needs no rendering
    for chunk in audience_chunks(session, campaign, now, sandbox=channels.get(campaign.channel).sandboxed(),
                                 render=by_text):
        audience += len(chunk.contacts)
        excluded.update(d.reason for d in chunk.decisions.values() if d.outcome is Outcome.EXCLUDE)
        rows, chunk_cost = _outbox_rows(campaign, chunk, now, later)
        q.insert_activities(session, rows)
        cost += chunk_cost
        chunk_deferred = sum(1 for r in rows if r["status"] == "deferred")
        deferred, queued = deferred + chunk_deferred, queued + len(rows) - chunk_deferred
    campaign.status, campaign.launched_at, campaign.pause_reason = "running", now, None
    campaign.stats = {"audience": audience, "excluded": dict(excluded), "deferred_at_launch": deferred,
                      "estimated_cost_micros": cost, "sandbox": _notice(campaign.channel) is not None}
    session.flush()
    enqueue_after_commit(session, campaign.id, q.queued_ids(session, campaign.id))
    return LaunchResult(campaign.id, campaign.status, queued, deferred, dict(excluded), cost,
                        _notice(campaign.channel), _worker_note(session, now))


def _outbox_rows(campaign: Campaign, chunk: AudienceChunk, now: datetime,
                 later: datetime | None) -> tuple[list[dict[str, Any]], int]:
    """One outbox row per recipient of the chunk that is not excluded, and their estimated cost."""
    rows, cost = [], 0
    entry, by_text = channels.get(campaign.channel), channel_rules.rule(campaign.channel).per_segment
    for c in chunk.contacts:
        d = chunk.decisions[c.id]
        if d.outcome is Outcome.EXCLUDE:
            continue
        when = max(filter(None, (d.not_before, later)), default=None)
        quiet = d.outcome is Outcome.DEFER  # the same error_code as a deferral found when a batch is claimed
        rows.append({"campaign_id": campaign.id, "contact_id": c.id, "channel": campaign.channel, "type": "campaign",
                     "status": "deferred" if when else "queued", "scheduled_for": when,
                     "error_code": d.reason if quiet else None,
                     "error_message": f"{REASONS[d.reason]}: found at launch" if quiet else None,
                     "variant": _variant(campaign, c), "cost_micros": 0, "attempts": 0,
                     "created_at": now, "updated_at": now})
        cost += (render_message(campaign, c, activity_id=None).cost_micros if by_text
                 else entry.price_micros(channel_rules.address_of(campaign.channel, c)))
    return rows, cost


def _worker_note(session: Session, now: datetime) -> str | None:
    from tools.campaigns.ticks import worker_seen

    return None if worker_seen(session, max(now, utcnow())) else NO_WORKER


def enqueue_after_commit(session: Session, campaign_id: int, ids: list[int]) -> None:
    """Once the session commits, enqueue `campaigns.send_batch` for these activity ids; dropped on rollback."""
    if not ids:
        return
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:  # gone: a send job would only say so
        return
    for part in q.chunks(ids, channels.get(campaign.channel).batch_size()):
        enqueue(session, "campaigns.send_batch", campaign_id, list(part))


def campaign_status(session: Session, actor: Actor, ref: int | str) -> CampaignProgress:
    """Live progress: counts by status (queued, deferred, sending, sent, delivered, opened, clicked, failed,
    bounced, unknown, cancelled), exclusions by reason, cost so far, and why it paused if it did."""
    _can(actor, "see campaigns")
    c = _get(session, ref)
    counts = q.status_counts(session, c.id)
    total = sum(counts.values())
    waiting = sum(counts.get(k, 0) for k in ("queued", "deferred", "sending"))
    progress = CampaignProgress(c.id, c.name, c.channel, c.status, c.pause_reason, counts,
                                _excluded(session, c), q.cost_so_far(session, c.id), total,
                                total - waiting, _notice(c.channel))
    if c.variants:
        progress.variants = q.variant_counts(session, c.id)
        progress.leading_variant = _leader(progress.variants, c.channel)
    if channel_rules.rule(c.channel).tracks_engagement:
        progress.link_clicks = link_clicks(session, c.id)
    return progress


def _excluded(session: Session, c: Campaign) -> dict[str, int]:
    """Exclusions by reason: those found at launch (no row) plus the rows cancelled when their batch was claimed
    because a frequency cap was reached by then (their status also counts them as cancelled)."""
    out = Counter((c.stats or {}).get("excluded", {}))
    A = MarketingActivity
    out.update(dict(session.execute(sa.select(A.error_code, sa.func.count()).where(
        A.campaign_id == c.id, A.status == "cancelled", A.error_code.in_(("cap_24h", "cap_7d")))
        .group_by(A.error_code)).all()))
    return dict(out)


REACHED = {"sent": 0, "delivered": 1, "opened": 2, "clicked": 3}


def _leader(variants: dict[str, dict[str, int]], channel: str) -> str | None:
    """The variant with the best share of its sends reaching the winner metric (None until one has any)."""
    metric = REACHED[channel_rules.rule(channel).reached]

    def share(counts: dict[str, int]) -> float:
        sent = sum(n for s, n in counts.items() if s in REACHED or s in ("bounced", "complained", "failed"))
        hit = sum(n for s, n in counts.items() if REACHED.get(s, -1) >= metric)
        return hit / sent if sent else 0.0

    scored = {name: share(counts) for name, counts in variants.items()}
    best = max(scored, key=scored.get, default=None)
    return best if best is not None and scored[best] > 0 else None


def pause_campaign(session: Session, actor: Actor, ref: int | str) -> CampaignProgress:
    """Stop sending; what is queued stays queued until resume."""
    _can(actor, "pause campaigns")
    c = _get(session, ref)
    if not campaign_can_move(c.status, CampaignStatus.PAUSED):
        raise CampaignError(f"campaign {c.name!r} is {c.status}, not running")
    c.status, c.pause_reason = CampaignStatus.PAUSED, f"paused by {actor.email}"
    session.flush()
    return campaign_status(session, actor, c.id)


def resume_campaign(session: Session, actor: Actor, ref: int | str) -> CampaignProgress:
    """Go on sending a paused campaign (including one that paused itself after errors: fix the cause first)."""
    _can(actor, "resume campaigns")
    c = _get(session, ref)
    if c.status != "paused":
        raise CampaignError(f"campaign {c.name!r} is {c.status}, not paused")
    c.status, c.pause_reason = "running", None
    session.flush()
    enqueue_after_commit(session, c.id, q.queued_ids(session, c.id))
    return campaign_status(session, actor, c.id)


def cancel_campaign(session: Session, actor: Actor, ref: int | str) -> CampaignProgress:
    """Stop for good: every message not yet sent is cancelled. What was sent stays sent."""
    _can(actor, "cancel campaigns")
    c = _get(session, ref)
    if not campaign_can_move(c.status, CampaignStatus.CANCELLED):
        raise CampaignError(f"campaign {c.name!r} is already {c.status}")
    from db.models import MarketingActivity as A

    session.execute(sa.update(A).where(A.campaign_id == c.id, A.status.in_(("queued", "deferred")))
                    .values(status="cancelled", updated_at=utcnow()))
    c.status, c.completed_at = "cancelled", utcnow()
    session.flush()
    return campaign_status(session, actor, c.id)


def send_test(session: Session, actor: Actor, ref: int | str, to: str | None = None) -> TestSendResult:
    """Send one test of the campaign to `to` (the marketer's own email or phone; for an email campaign, omitted:
    the requesting user's own address, "send me a test"), rendered with a real contact's data (the first of the
    audience): the same HTML and text the contact gets. Counts for no cap and no report."""
    _can(actor, "send test messages")
    from tools.contacts.optouts import normalise_address

    campaign = _get(session, ref)
    apply_stored(session)
    own = not (to or "").strip()
    rule = channel_rules.rule(campaign.channel)
    if own:  # "send me a test": the user's own address on the channel (their sign-in is an email address)
        to = channel_rules.address_of(campaign.channel, actor)
        if to is None:
            raise CampaignError(f"say the {rule.noun} the test {campaign.channel.upper()} should go to")
    try:
        address = normalise_address(campaign.channel, to)
    except ValueError as exc:
        if own:
            raise CampaignError(f"you are signed in as {to!r}, not an {rule.noun}: say where the test should go "
                                f"('send a test of <campaign> to <{rule.noun}>')") from None
        raise CampaignError(f"cannot send a test to {to!r}: {exc}") from None
    ids = q.audience_ids(session, campaign.target_filter)[:1]
    if not ids:
        raise CampaignError("the audience is empty: a test needs one real contact to render with")
    contact = session.get(Contact, ids[0])
    out = render_message(campaign, contact, activity_id=None, to=address)
    enqueue(session, "campaigns.send_test", campaign.id, contact.id, address)
    return TestSendResult(address, out.subject, out.text, True, _notice(campaign.channel), out.html)

