"""Sequences from the chat: draft, preview, launch (needs approval), pause, resume, cancel, remove a contact.

Every function takes the session and the acting user first, checks the 'campaigns' permission, flushes and never
commits. A draft creates one draft campaign per step (named "<sequence> · step N"), validated like any campaign;
their send rules are the campaigns' own (opt-outs, quiet hours, caps, one message per address) with stop-on-reply
left to the sequence's exit rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign, Contact, Sequence, SequenceEnrolment, SequenceStep, utcnow
from domain import sequences as rules
from domain.roles import Permission, require
from tools import channels
from tools.campaigns.drafting import draft_campaign
from tools.campaigns.lifecycle import enqueue_after_commit, preview_campaign
from tools.campaigns.lookup import CampaignError, find_named
from tools.campaigns.messages import render_message
from tools.contacts.lookup import resolve_contact
from tools.sequences.engine import enrol, steps_of
from tools.sequences.exits import end
from tools.users import Actor

BIG_ENROLMENT = 10_000


class SequenceError(ValueError):
    """A request that cannot be done as asked; the message says why and what to do."""


@dataclass
class StepPreview:
    position: int
    channel: str
    wait: str
    condition: str
    subject: str | None
    body: str
    samples: list[Any]
    eligible_now: int
    excluded_now: dict[str, int]
    segments: int | None
    most_cost_micros: int


@dataclass
class SequencePreview:
    sequence_id: int
    name: str
    status: str
    audience: int
    enrol_new: bool
    exit_on: list[str]
    goal: str | None
    steps: list[StepPreview] = field(default_factory=list)
    most_cost_micros: int = 0
    notice: str | None = None


@dataclass
class LaunchResult:
    sequence_id: int
    name: str
    status: str
    enrolled: int
    first_due: datetime | None
    most_cost_micros: int
    notice: str | None = None
    worker_note: str | None = None  # set when no server or worker is running to send the steps


def _can(actor: Actor, what: str) -> None:
    require(actor.role, Permission.CAMPAIGNS, what)


def find_sequence(session: Session, ref: int | str) -> Sequence:
    """A sequence by id ('3' or '#3') or name: exact, then ignoring case and accents, then a unique part of it."""
    return find_named(session, Sequence, ref, "sequence", SequenceError)


def draft_sequence(session: Session, actor: Actor, *, name: str, filter: dict[str, Any] | None,
                   steps: list[dict[str, Any]], enrol_new: bool = False, exit_on: list[str] | None = None,
                   goal: str | None = None) -> SequencePreview:
    """Create a draft sequence (nothing is sent). steps: in order, each {"channel": "sms"|"email", "body_text",
    "subject" (email), "body_html" (optional), "variants" (optional A/B), "wait": {"after_days": N} or
    {"weekday": "friday", "at": "10:00"} (the contact's own zone), "condition": "always"|"no_reply"|"no_booking"|
    "not_opened"|"clicked"}; at most 5. filter: the contacts filter JSON (None: everyone). enrol_new: also enrol
    contacts who match later. exit_on: which of "replied", "booked" end a contact's sequence (default both; opt-outs
    and bounces always do); goal: "booked" or "replied". Returns the preview of every step."""
    _can(actor, "draft sequences")
    name = (name or "").strip()
    if not name:
        raise SequenceError("a sequence needs a name")
    if session.scalar(sa.select(Sequence.id).where(sa.func.lower(Sequence.name) == name.lower())):
        raise SequenceError(f"a sequence named {name!r} already exists: choose another name")
    try:
        parsed = rules.validate_steps([{k: s.get(k) for k in ("channel", "wait", "condition") if k in s}
                                       for s in steps])
        exits = rules.ExitRules.from_dict({"exit_on": exit_on if exit_on is not None else list(rules.OPTIONAL_EXITS),
                                           "goal": goal})
        q.audience_condition(filter)
    except ValueError as exc:
        raise SequenceError(str(exc)) from None
    with session.begin_nested():  # a step refused half-way leaves nothing behind
        sequence = Sequence(name=name, status="draft", target_filter=filter or {}, enrol_new=bool(enrol_new),
                            exit_rules=exits.to_dict(), stats={}, created_by=actor.email)
        session.add(sequence)
        session.flush()
        for position, (step, raw) in enumerate(zip(parsed, steps, strict=True)):
            campaign_id = _step_campaign(session, actor, sequence, position, step, raw)
            session.add(SequenceStep(sequence_id=sequence.id, position=position, campaign_id=campaign_id,
                                     wait=step.wait.to_dict(), condition=step.condition))
        session.flush()
    return outline(session, sequence)


def outline(session: Session, sequence: Sequence) -> SequencePreview:
    """The sequence's steps as written (templates, waits, conditions), without evaluating the audience: cheap at
    any audience size. `preview_sequence` renders and counts."""
    exits = rules.ExitRules.from_dict(sequence.exit_rules)
    out = SequencePreview(sequence.id, sequence.name, sequence.status, len(q.audience_ids(
        session, sequence.target_filter)), sequence.enrol_new, sorted(exits.exit_on), exits.goal,
        notice=_notice(session, sequence))
    for step in steps_of(session, sequence.id):
        campaign = session.get(Campaign, step.campaign_id)
        out.steps.append(StepPreview(step.position + 1, campaign.channel, rules.Wait.from_dict(step.wait).describe(),
                                     rules.CONDITIONS[step.condition], campaign.subject, campaign.body_text, [],
                                     0, {}, None, 0))
    return out


def _notice(session: Session, sequence: Sequence) -> str | None:
    """The sandbox notice when any step's channel has no provider key (nothing leaves the building)."""
    used = {session.get(Campaign, step.campaign_id).channel for step in steps_of(session, sequence.id)}
    return next((n for n in map(channels.notice, sorted(used)) if n), None)


def _step_campaign(session: Session, actor: Actor, sequence: Sequence, position: int, step: rules.Step,
                   raw: dict[str, Any]) -> int:
    try:
        view = draft_campaign(session, actor, name=f"{sequence.name} · step {position + 1}", channel=step.channel,
                              filter=sequence.target_filter, body_text=raw.get("body_text") or "",
                              subject=raw.get("subject"), body_html=raw.get("body_html"),
                              send_rules={**(raw.get("send_rules") or {}), "stop_on_reply": False},
                              variants=raw.get("variants"))
    except CampaignError as exc:
        raise SequenceError(f"step {position + 1}: {exc}") from None
    return view.id


def preview_sequence(session: Session, actor: Actor, ref: int | str) -> SequencePreview:
    """Every step as it would go out: wait, condition, rendered samples, who is excluded now and why, and the most
    the sequence can cost (every eligible person receiving every step)."""
    _can(actor, "preview sequences")
    sequence = find_sequence(session, ref)
    exits = rules.ExitRules.from_dict(sequence.exit_rules)
    out = SequencePreview(sequence.id, sequence.name, sequence.status, 0, sequence.enrol_new,
                          sorted(exits.exit_on), exits.goal)
    for step in steps_of(session, sequence.id):
        campaign = session.get(Campaign, step.campaign_id)
        p = preview_campaign(session, actor, campaign.id)
        wait = rules.Wait.from_dict(step.wait)
        out.steps.append(StepPreview(step.position + 1, campaign.channel, wait.describe(),
                                     rules.CONDITIONS[step.condition], campaign.subject, campaign.body_text,
                                     [_as_text(session, campaign, s) for s in p.samples], p.eligible + p.deferred,
                                     p.excluded, p.segments, p.estimated_cost_micros))
        out.audience = max(out.audience, p.audience)  # the same filter for every step
        out.most_cost_micros += p.estimated_cost_micros
        out.notice = out.notice or p.notice
    return out


def _as_text(session: Session, campaign: Campaign, sample: Any) -> Any:
    """A rich (email) sample with its text version as the body (the HTML is for the inbox, not a table cell)."""
    if not channels.rule(campaign.channel).rich:
        return sample
    contact = session.get(Contact, sample.contact_id)
    sample.body = render_message(campaign, contact, activity_id=None, to=sample.to).text
    return sample


def launch_sequence(session: Session, actor: Actor, ref: int | str, *, now: datetime | None = None) -> LaunchResult:
    """Start the sequence (ASK FOR APPROVAL FIRST, with the preview of every step): enrols the filter's audience
    (and, if the sequence says so, anyone who matches later), each due for step 1 after its wait. The periodic
    tick sends each due step through the campaigns' send path. `now`: the clock (tests freeze it)."""
    _can(actor, "launch sequences")
    sequence = find_sequence(session, ref)
    if sequence.status != "draft":
        raise SequenceError(f"sequence {sequence.name!r} is {sequence.status}: only a draft can be launched")
    notice = _notice(session, sequence)
    now = now or utcnow()
    campaigns = _step_campaigns(session, sequence)
    for campaign in campaigns:
        campaign.status, campaign.launched_at = "running", now
        campaign.stats = {"sequence_id": sequence.id, "sandbox": notice is not None}
    sequence.status, sequence.launched_at = "running", now
    scope = q.audience_select(sequence.target_filter, include_sample=notice is not None)
    ids = list(session.scalars(sa.select(Contact.id).where(Contact.id.in_(scope)).order_by(Contact.id)))
    # sample data is enrolled only where nothing leaves the building (sandbox), as campaigns message it
    enrolled = enrol(session, sequence, ids, now)
    if enrolled >= BIG_ENROLMENT and session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("ANALYZE sequence_enrolments"))  # fresh statistics: the tick's due query uses its
        # (status, next_due_at) index at once instead of scanning the new rows until autovacuum gets there
    most = _most_cost(session, campaigns, ids[:1], enrolled)
    sequence.stats = {"enrolled_at_launch": enrolled, "most_cost_micros": most}
    session.flush()
    first = session.scalar(sa.select(sa.func.min(SequenceEnrolment.next_due_at)).where(
        SequenceEnrolment.sequence_id == sequence.id))
    return LaunchResult(sequence.id, sequence.name, sequence.status, enrolled, q._aware(first) if first else None,
                        most, notice, _worker_note(session, now))


def _most_cost(session: Session, campaigns: list[Campaign], first: list[int], enrolled: int) -> int:
    """About the most the sequence can cost: every enrolled person getting every step, each step priced as the
    first person's message (the approval card's preview prices every message)."""
    if not first:
        return 0
    contact = session.get(Contact, first[0])
    return sum(render_message(c, contact, activity_id=None).cost_micros for c in campaigns) * enrolled


def _worker_note(session: Session, now: datetime) -> str | None:
    from tools.campaigns.ticks import worker_seen

    return None if worker_seen(session, max(now, utcnow())) else (
        "No `mkt serve` or `mkt worker` is running, so nothing is being sent yet: the sequence is saved as running "
        "and its due steps go out within seconds of one starting.")


def _step_campaigns(session: Session, sequence: Sequence) -> list[Campaign]:
    return [session.get(Campaign, s.campaign_id) for s in steps_of(session, sequence.id)]


def pause_sequence(session: Session, actor: Actor, ref: int | str) -> Sequence:
    """Stop sending: no step falls due and the step messages already queued wait, until resume."""
    _can(actor, "pause sequences")
    sequence = find_sequence(session, ref)
    if sequence.status != "running":
        raise SequenceError(f"sequence {sequence.name!r} is {sequence.status}, not running")
    sequence.status = "paused"
    for campaign in _step_campaigns(session, sequence):
        if campaign.status in ("running", "completed"):
            campaign.status, campaign.pause_reason = "paused", f"sequence paused by {actor.email}"
    session.flush()
    return sequence


def resume_sequence(session: Session, actor: Actor, ref: int | str) -> Sequence:
    """Go on: steps that fell due while paused go out at the next tick (through the send rules as always)."""
    _can(actor, "resume sequences")
    sequence = find_sequence(session, ref)
    if sequence.status != "paused":
        raise SequenceError(f"sequence {sequence.name!r} is {sequence.status}, not paused")
    sequence.status = "running"
    for campaign in _step_campaigns(session, sequence):
        if campaign.status == "paused":
            campaign.status, campaign.pause_reason = "running", None
            enqueue_after_commit(session, campaign.id, q.queued_ids(session, campaign.id))
    session.flush()
    return sequence


def cancel_sequence(session: Session, actor: Actor, ref: int | str) -> Sequence:
    """Stop for good: every enrolment ends (removed) and no further step goes out. What was sent stays sent."""
    _can(actor, "cancel sequences")
    sequence = find_sequence(session, ref)
    if sequence.status == "cancelled":
        raise SequenceError(f"sequence {sequence.name!r} is already cancelled")
    active = list(session.scalars(sa.select(SequenceEnrolment.id).where(
        SequenceEnrolment.sequence_id == sequence.id, SequenceEnrolment.status == "active")))
    end(session, active, "removed")
    sequence.status = "cancelled"
    for campaign in _step_campaigns(session, sequence):
        if campaign.status not in ("cancelled", "completed"):
            campaign.status, campaign.completed_at = "cancelled", utcnow()
    session.flush()
    return sequence


def remove_contact(session: Session, actor: Actor, ref: int | str, contact_ref: int | str) -> int:
    """Take one contact out of a sequence by hand (their waiting step messages are cancelled). Returns the
    contact's id."""
    _can(actor, "change sequences")
    sequence = find_sequence(session, ref)
    match = resolve_contact(session, contact_ref)
    if match.contact is None:
        names = ", ".join(f"#{c.id} {c.first_name or ''} {c.last_name or ''} {c.email or ''}".strip()
                          for c in match.candidates[:5])
        raise SequenceError(match.error or f"several contacts match {contact_ref!r}: {names}. Say which (#id).")
    contact = match.contact
    active = list(session.scalars(sa.select(SequenceEnrolment.id).where(
        SequenceEnrolment.sequence_id == sequence.id, SequenceEnrolment.contact_id == contact.id,
        SequenceEnrolment.status == "active")))
    if not active:
        raise SequenceError(f"contact #{contact.id} is not active in sequence {sequence.name!r}")
    end(session, active, "removed")
    session.flush()
    return contact.id

