"""Reading sequences: the list, one sequence's status (a funnel per step, skips and exits by reason, next due) and
a contact's sequences with their next step (for the contact card)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign, MarketingActivity, Sequence, SequenceEnrolment, SequenceStep
from domain import sequences as rules
from domain.roles import Permission, require
from domain.send_rules import REASONS
from tools.sequences.engine import steps_of
from tools.sequences.lifecycle import find_sequence
from tools.users import Actor

E = SequenceEnrolment
A = MarketingActivity
REACHED = ("sent", "delivered", "opened", "clicked", "bounced", "complained")


@dataclass
class SequenceLine:
    id: int
    name: str
    status: str
    steps: int
    active: int
    exited: int
    completed: int
    next_due: datetime | None


@dataclass
class StepFunnel:
    position: int
    channel: str
    wait: str
    condition: str
    campaign_id: int
    campaign_status: str
    counts: dict[str, int]  # activity status -> count (queued, deferred, sent, delivered, opened, clicked, ...)
    skipped: dict[str, int]  # reason -> count (conditions and send rules)
    exits_after: dict[str, int]  # people who left after this step (their reply or booking is attributed to it)
    waiting: int  # active enrolments whose next step is this one
    cost_micros: int


@dataclass
class SequenceStatus:
    id: int
    name: str
    status: str
    enrolled: int
    active: int
    completed: int
    exits: dict[str, int]
    next_due: datetime | None
    steps: list[StepFunnel] = field(default_factory=list)
    cost_micros: int = 0


@dataclass
class ContactSequence:
    sequence_id: int
    name: str
    status: str  # the enrolment's: active, completed, exited
    step: str  # "step 2 of 3 (email) due Tue 9 Jun 15:00 UTC", or why it ended
    next_due: datetime | None
    exit_reason: str | None


def _can(actor: Actor, what: str) -> None:
    require(actor.role, Permission.CAMPAIGNS, what)


def list_sequences(session: Session, actor: Actor) -> list[SequenceLine]:
    """Every sequence with its status, step count, people active / exited / completed and the next step due."""
    _can(actor, "see sequences")
    counts = {(r[0], r[1]): r[2] for r in session.execute(
        sa.select(E.sequence_id, E.status, sa.func.count()).group_by(E.sequence_id, E.status))}
    due = dict(session.execute(sa.select(E.sequence_id, sa.func.min(E.next_due_at)).where(E.status == "active")
                               .group_by(E.sequence_id)).all())
    steps = dict(session.execute(sa.select(SequenceStep.sequence_id, sa.func.count())
                                 .group_by(SequenceStep.sequence_id)).all())
    return [SequenceLine(s.id, s.name, s.status, steps.get(s.id, 0), counts.get((s.id, "active"), 0),
                         counts.get((s.id, "exited"), 0), counts.get((s.id, "completed"), 0),
                         q._aware(due[s.id]) if due.get(s.id) else None)
            for s in session.scalars(sa.select(Sequence).order_by(Sequence.id))]


def sequence_status(session: Session, actor: Actor, ref: int | str) -> SequenceStatus:
    """One sequence: for each step its messages by status (sent, delivered, opened, clicked, failed ...), the
    people skipped and why, the exits after it by reason and who waits for it; totals and the next step due."""
    _can(actor, "see sequences")
    sequence = find_sequence(session, ref)
    by_status = dict(session.execute(sa.select(E.status, sa.func.count()).where(E.sequence_id == sequence.id)
                                     .group_by(E.status)).all())
    exits = Counter({r[0]: r[1] for r in session.execute(
        sa.select(E.exit_reason, sa.func.count()).where(E.sequence_id == sequence.id, E.status == "exited")
        .group_by(E.exit_reason))})
    exits_at = {(r[0], r[1]): r[2] for r in session.execute(
        sa.select(E.position, E.exit_reason, sa.func.count()).where(E.sequence_id == sequence.id, E.status == "exited")
        .group_by(E.position, E.exit_reason))}
    waiting = dict(session.execute(sa.select(E.position, sa.func.count()).where(
        E.sequence_id == sequence.id, E.status == "active").group_by(E.position)).all())
    next_due = session.scalar(sa.select(sa.func.min(E.next_due_at)).where(E.sequence_id == sequence.id,
                                                                          E.status == "active"))
    out = SequenceStatus(sequence.id, sequence.name, sequence.status, sum(by_status.values()),
                         by_status.get("active", 0), by_status.get("completed", 0), dict(exits),
                         q._aware(next_due) if next_due else None)
    for step in steps_of(session, sequence.id):
        out.steps.append(_funnel(session, step, exits_at, waiting))
        out.cost_micros += out.steps[-1].cost_micros
    return out


def _funnel(session: Session, step: SequenceStep, exits_at: dict[tuple[int, str], int],
            waiting: dict[int, int]) -> StepFunnel:
    campaign = session.get(Campaign, step.campaign_id)
    counts = q.status_counts(session, campaign.id)
    skipped = dict(session.execute(sa.select(A.error_code, sa.func.count()).where(
        A.campaign_id == campaign.id, A.status == "cancelled").group_by(A.error_code)).all())
    counts.pop("cancelled", None)
    # position at exit = the next step; the exit follows step `position` (1-based: the last one that went)
    after = {reason: n for (position, reason), n in exits_at.items() if position == step.position + 1}
    return StepFunnel(step.position + 1, campaign.channel, rules.Wait.from_dict(step.wait).describe(),
                      rules.CONDITIONS[step.condition], campaign.id, campaign.status, counts,
                      {k or "cancelled": v for k, v in skipped.items()}, after, waiting.get(step.position, 0),
                      q.cost_so_far(session, campaign.id))


def reason_words(code: str) -> str:
    """A skip or exit reason in words."""
    return rules.SKIP_REASONS.get(code) or rules.EXIT_REASONS.get(code) or REASONS.get(code) or code


def contact_sequences(session: Session, contact_id: int) -> list[ContactSequence]:
    """The contact's sequences (newest first) with the next step and when it is due, or why it ended."""
    rows = session.execute(sa.select(E, Sequence.name).join(Sequence, Sequence.id == E.sequence_id)
                           .where(E.contact_id == contact_id).order_by(E.enrolled_at.desc(), E.id.desc())).all()
    out = []
    for enrolment, name in rows:
        steps = steps_of(session, enrolment.sequence_id)
        if enrolment.status == "active" and enrolment.position < len(steps):
            step = steps[enrolment.position]
            channel = session.scalar(sa.select(Campaign.channel).where(Campaign.id == step.campaign_id))
            due = enrolment.next_due_at
            words = f"step {enrolment.position + 1} of {len(steps)} ({channel})" + (
                f" due {due:%a %d %b %H:%M} UTC" if due else " going out now")
        elif enrolment.status == "completed":
            words = f"received all {len(steps)} steps"
        else:
            words = f"left after step {enrolment.position} of {len(steps)}: {reason_words(enrolment.exit_reason or '')}"
        out.append(ContactSequence(enrolment.sequence_id, name, enrolment.status, words, enrolment.next_due_at,
                                   enrolment.exit_reason))
    return out
