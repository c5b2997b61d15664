"""The sequence engine: enrolment and the advance of due steps (run by the periodic `sequences.tick`).

`advance` claims due enrolments with one UPDATE (position + 1) on rows picked by the indexed (status, next_due_at)
query, `FOR UPDATE SKIP LOCKED` on PostgreSQL: two workers never claim the same step of the same enrolment, and a
step's message is a marketing activity of the step's campaign, unique per campaign+contact+channel, so it is
written at most once whatever the crashes (a crash rolls the claim back with everything else). For each claimed
contact: an exit the facts show (a reply or booking since enrolment that no webhook reported yet) ends the
enrolment; a step whose condition fails is skipped with the reason; otherwise the campaigns' send rules decide
(domain.send_rules.decide): sent (queued, then `campaigns.send_batch` after commit), deferred to the contact's
quiet-hours window, or not sent with the reason (an opt-out, a suppression or a bounce ends the enrolment too).
Every outcome is one activity row of the step's campaign, so the reason is recorded per contact."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import (
    CalendarBooking,
    Campaign,
    Contact,
    ConversationMessage,
    MarketingActivity,
    Sequence,
    SequenceEnrolment,
    SequenceStep,
)
from domain import sequences as rules
from domain.send_rules import REASONS, Outcome, SendRules, decide, zones_for
from settings import get_settings
from tools.campaigns.lifecycle import CONTACT_COLUMNS, enqueue_after_commit
from tools.campaigns.sending import default_rules
from tools.sequences.exits import end

E = SequenceEnrolment
A = MarketingActivity
BATCH = 2000  # enrolments claimed per pass
ENDING = {"opted_out": "opted_out", "suppressed": "opted_out", "bounced": "bounced", "complained": "opted_out"}


@dataclass
class Claimed:
    id: int
    sequence_id: int
    contact_id: int
    position: int  # the step going out now (0-based)
    enrolled_at: datetime


@dataclass
class Advance:
    claimed: int = 0
    queued: dict[int, list[int]] = field(default_factory=dict)  # campaign id -> activity ids to enqueue
    outcomes: dict[str, int] = field(default_factory=dict)  # queued, deferred, skipped:<reason>, exited:<reason>


def zone_of(contact: Any, account_zone: str) -> Any:
    return zones_for(contact.timezone, contact.phone, account_zone)[0]


def steps_of(session: Session, sequence_id: int) -> list[SequenceStep]:
    return list(session.scalars(sa.select(SequenceStep).where(SequenceStep.sequence_id == sequence_id)
                                .order_by(SequenceStep.position)))


# --- enrolment ------------------------------------------------------------------------------------------

def enrol(session: Session, sequence: Sequence, contact_ids: list[int], now: datetime) -> int:
    """Enrol these contacts (those already active in the sequence are left alone: the partial unique index makes
    a second active enrolment impossible). The first step is due after its wait from `now`. Returns how many."""
    if not contact_ids:
        return 0
    first = rules.Wait.from_dict(steps_of(session, sequence.id)[0].wait)
    zone = get_settings().account_timezone
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    if first.weekday is None and not first.days:  # the same due time for everyone: one set-based statement
        return _enrol_at(session, insert, sequence.id, contact_ids, now, rules.next_due(first, now, zone_of_utc()))
    stmt = insert(E.__table__).on_conflict_do_nothing(
        index_elements=["sequence_id", "contact_id"], index_where=sa.text("status = 'active'")).returning(E.id)
    connection, total = session.connection(), 0
    for part in q.chunks(contact_ids, 5000):
        contacts = session.execute(sa.select(Contact.id, Contact.timezone, Contact.phone)
                                   .where(Contact.id.in_(list(part)))).all()
        rows = [{"sequence_id": sequence.id, "contact_id": c.id, "status": "active", "position": 0,
                 "next_due_at": rules.next_due(first, now, zone_of(c, zone)), "enrolled_at": now,
                 "created_at": now, "updated_at": now} for c in contacts]
        if rows:
            total += len(connection.execute(stmt, rows).all())
    return total


def zone_of_utc() -> Any:
    return zones_for(None, None, "UTC")[0]


def _enrol_at(session: Session, insert: Any, sequence_id: int, contact_ids: list[int], now: datetime,
              due: datetime) -> int:
    total = 0
    for part in q.chunks(contact_ids, 20_000):
        rows = sa.select(sa.literal(sequence_id), Contact.id, sa.literal("active"), sa.literal(0),
                         sa.literal(due, E.next_due_at.type), sa.literal(now, E.enrolled_at.type),
                         sa.literal(now, E.created_at.type), sa.literal(now, E.updated_at.type)).where(
            Contact.id.in_(list(part)))
        stmt = insert(E.__table__).from_select(
            ["sequence_id", "contact_id", "status", "position", "next_due_at", "enrolled_at", "created_at",
             "updated_at"], rows).on_conflict_do_nothing(
            index_elements=["sequence_id", "contact_id"], index_where=sa.text("status = 'active'")).returning(E.id)
        total += len(session.execute(stmt).all())
    return total


def enrol_new_matches(session: Session, now: datetime) -> int:
    """Running sequences that enrol later matches: contacts of their filter never enrolled in them yet."""
    total = 0
    for sequence in session.scalars(sa.select(Sequence).where(Sequence.status == "running", Sequence.enrol_new)):
        ever = sa.select(E.contact_id).where(E.sequence_id == sequence.id)
        scope = q.audience_select(sequence.target_filter)
        ids = list(session.scalars(sa.select(Contact.id).where(Contact.id.in_(scope), Contact.id.notin_(ever))
                                   .order_by(Contact.id).limit(BATCH)))
        total += enrol(session, sequence, ids, now)
    return total


# --- the advance of due steps ---------------------------------------------------------------------------

def claim_due(session: Session, now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Move due active enrolments of running sequences one step on (compare and set in one UPDATE) and return
    them with the step that goes out now. Rows another worker holds are skipped (PostgreSQL), or already moved."""
    due: Any = (sa.select(E.id).where(E.status == "active", E.next_due_at <= now,
                                      E.sequence_id.in_(sa.select(Sequence.id).where(Sequence.status == "running")))
                .order_by(E.next_due_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":  # lock first, then update those: as one statement the
        # planner may re-run the locking subquery for every due row (quadratic at 10,000 due)
        due = list(session.scalars(due.with_for_update(skip_locked=True)))
        if not due:
            return []
    rows = session.execute(sa.update(E).where(E.id.in_(due), E.status == "active", E.next_due_at <= now)
                           .values(position=E.position + 1, last_step_at=now, next_due_at=None, updated_at=now)
                           .returning(E.id, E.sequence_id, E.contact_id, E.position, E.enrolled_at)
                           .execution_options(synchronize_session=False)).all()
    return [Claimed(r[0], r[1], r[2], r[3] - 1, r[4]) for r in rows]


def advance(session: Session, now: datetime, limit: int = BATCH) -> Advance:
    """One pass: claim due steps and decide each contact's outcome (see the module docstring)."""
    out = Advance()
    claimed = claim_due(session, now, limit)
    out.claimed = len(claimed)
    groups: dict[tuple[int, int], list[Claimed]] = defaultdict(list)
    for c in claimed:
        groups[(c.sequence_id, c.position)].append(c)
    for (sequence_id, position), group in sorted(groups.items()):
        _advance_group(session, sequence_id, position, group, now, out)
    return out


def _advance_group(session: Session, sequence_id: int, position: int, group: list[Claimed], now: datetime,
                   out: Advance) -> None:
    sequence = session.get(Sequence, sequence_id)
    steps = steps_of(session, sequence_id)
    if position >= len(steps):  # steps removed under it: nothing more to send
        end(session, [c.id for c in group], "completed", now, status="completed")
        return
    step, campaign = steps[position], session.get(Campaign, steps[position].campaign_id)
    exit_rules = rules.ExitRules.from_dict(sequence.exit_rules)
    facts = _facts(session, group, steps[position - 1].campaign_id if position else None)
    contacts = {c.id: c for c in session.execute(sa.select(*[getattr(Contact, n) for n in CONTACT_COLUMNS])
                                                 .where(Contact.id.in_([g.contact_id for g in group])))}
    going: list[tuple[Claimed, Any]] = []
    skipped: list[tuple[Claimed, str]] = []
    for c in group:
        if c.contact_id not in contacts:
            continue
        fact = facts.get(c.contact_id, rules.Facts())
        if reason := rules.exit_on_facts(exit_rules, fact):
            end(session, [c.id], reason, now)
            _count(out, f"exited:{reason}")
        elif reason := rules.skip_reason(step.condition, fact):
            skipped.append((c, reason))
        else:
            going.append((c, contacts[c.contact_id]))
    rows, ended = _decide(session, campaign, going, now, out)
    sent_at = {r["contact_id"]: r["scheduled_for"] for r in rows if r["status"] == "deferred"}
    rows += [_row(campaign, c.contact_id, "cancelled", now, reason, rules.SKIP_REASONS[reason]) for c, reason in skipped]
    for _, reason in skipped:
        _count(out, f"skipped:{reason}")
    q.insert_activities(session, rows)
    for reason, ids in ended.items():
        end(session, ids, reason, now)
    _schedule_next(session, steps, position, [c for c in group if c.contact_id in contacts], contacts, now, sent_at)
    _queue(session, campaign, [c.contact_id for c, _ in going], out)


def _decide(session: Session, campaign: Campaign, going: list[tuple[Claimed, Any]], now: datetime,
            out: Advance) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """The campaigns' send rules for the contacts the step goes to: one activity row each (queued, deferred or
    cancelled with the reason); an opt-out, suppression or bounce also ends the enrolment."""
    if not going:
        return [], {}
    step_rules = SendRules.from_dict(campaign.send_rules, default_rules())
    facts = q.recipient_facts(session, campaign, [contact for _, contact in going], now, since=now)
    zone = get_settings().account_timezone
    enrolment_of = {c.contact_id: c.id for c, _ in going}
    rows, ended = [], defaultdict(list)
    for fact in facts:
        d = decide(fact, step_rules, now, zone)
        if d.outcome is Outcome.EXCLUDE:
            rows.append(_row(campaign, fact.contact_id, "cancelled", now, d.reason, REASONS.get(d.reason, d.reason)))
            if d.reason in ENDING:
                ended[ENDING[d.reason]].append(enrolment_of[fact.contact_id])
            _count(out, f"skipped:{d.reason}")
        elif d.outcome is Outcome.DEFER:
            rows.append(_row(campaign, fact.contact_id, "deferred", now, d.reason, f"{REASONS[d.reason]}: found when "
                             "the step fell due") | {"scheduled_for": d.not_before})
            _count(out, "deferred")
        else:
            rows.append(_row(campaign, fact.contact_id, "queued", now))
            _count(out, "queued")
    return rows, ended


def _row(campaign: Campaign, contact_id: int, status: str, now: datetime, code: str | None = None,
         message: str | None = None) -> dict[str, Any]:
    return {"campaign_id": campaign.id, "contact_id": contact_id, "channel": campaign.channel, "type": "campaign",
            "status": status, "scheduled_for": None, "error_code": code, "error_message": message,
            "variant": _variant(campaign, contact_id), "cost_micros": 0, "attempts": 0, "created_at": now,
            "updated_at": now}


def _variant(campaign: Campaign, contact_id: int) -> str | None:
    from domain import campaigns as tpl

    chosen = tpl.pick_variant(campaign.variants or [], campaign.id, contact_id)
    return chosen["name"] if chosen else None


def _schedule_next(session: Session, steps: list[SequenceStep], position: int, group: list[Claimed],
                   contacts: dict[int, Any], now: datetime, sent_at: dict[int, datetime]) -> None:
    """Still-active enrolments: the next step's due time in the contact's zone, counted from when this step goes
    out (`sent_at`: its quiet-hours deferral, else now), or completed after the last."""
    ids = [c.id for c in group]
    if position + 1 >= len(steps):
        end(session, ids, "completed", now, status="completed")
        return
    wait, zone = rules.Wait.from_dict(steps[position + 1].wait), get_settings().account_timezone
    by_due: dict[datetime, list[int]] = defaultdict(list)  # one UPDATE per distinct due time (zones are few)
    for c in group:
        by_due[rules.next_due(wait, sent_at.get(c.contact_id) or now, zone_of(contacts[c.contact_id], zone))].append(c.id)
    for due, ids in by_due.items():
        session.execute(sa.update(E).where(E.id.in_(ids), E.status == "active").values(next_due_at=due)
                        .execution_options(synchronize_session=False))


def _queue(session: Session, campaign: Campaign, contact_ids: list[int], out: Advance) -> None:
    """The step's campaign sends what was queued: it runs again (the campaign tick completes it when its queue
    is empty) and its batches are enqueued after commit."""
    if not contact_ids:
        return
    if campaign.status in ("draft", "completed"):
        campaign.status, campaign.launched_at = "running", campaign.launched_at or out_now(session)
        session.flush()
    ids = list(session.scalars(sa.select(A.id).where(A.campaign_id == campaign.id, A.status == "queued",
                                                     A.contact_id.in_(contact_ids)).order_by(A.id)))
    out.queued.setdefault(campaign.id, []).extend(ids)
    if campaign.status == "running":
        enqueue_after_commit(session, campaign.id, ids)


def out_now(session: Session) -> datetime:
    from db.models import utcnow

    return utcnow()


def _facts(session: Session, group: list[Claimed], previous_campaign: int | None) -> dict[int, rules.Facts]:
    """Replies and bookings since each contact's enrolment; opens and clicks of the previous step's message."""
    ids = [c.contact_id for c in group]
    since = min(c.enrolled_at for c in group)
    M, B = ConversationMessage, CalendarBooking
    replies = dict(session.execute(sa.select(M.contact_id, sa.func.max(M.occurred_at)).where(
        M.contact_id.in_(ids), M.direction == "inbound", M.occurred_at >= since).group_by(M.contact_id)).all())
    bookings = dict(session.execute(sa.select(B.contact_id, sa.func.max(B.created_at)).where(
        B.contact_id.in_(ids), B.status != "cancelled", B.created_at >= since).group_by(B.contact_id)).all())
    previous = {}
    if previous_campaign is not None:
        previous = {r[0]: (r[1] is not None, r[2] is not None) for r in session.execute(
            sa.select(A.contact_id, A.opened_at, A.clicked_at).where(A.campaign_id == previous_campaign,
                                                                    A.contact_id.in_(ids)))}
    out = {}
    for c in group:
        opened, clicked = previous.get(c.contact_id, (False, False))
        out[c.contact_id] = rules.Facts(
            replied=_after(replies.get(c.contact_id), c.enrolled_at),
            booked=_after(bookings.get(c.contact_id), c.enrolled_at),
            previous_opened=opened or clicked, previous_clicked=clicked)
    return out


def _after(when: Any, since: datetime) -> bool:
    return when is not None and q._aware(when) >= since


def _count(out: Advance, key: str) -> None:
    out.outcomes[key] = out.outcomes.get(key, 0) + 1


# --- keeping the step campaigns in step ------------------------------------------------------------------

def heal(session: Session, now: datetime) -> dict[int, list[int]]:
    """Step campaigns of running sequences that the campaign tick completed while the sequence queued new
    messages into them run again (their queued rows are then picked up). Returns what to enqueue."""
    waiting = sa.select(A.id).where(A.campaign_id == Campaign.id, A.status.in_(("queued", "deferred"))).exists()
    steps = sa.select(SequenceStep.campaign_id).join(Sequence, Sequence.id == SequenceStep.sequence_id).where(
        Sequence.status == "running")
    stuck = list(session.scalars(sa.select(Campaign).where(Campaign.id.in_(steps), Campaign.status == "completed",
                                                           waiting)))
    todo = {}
    for campaign in stuck:
        campaign.status, campaign.completed_at = "running", None
        todo[campaign.id] = q.queued_ids(session, campaign.id, older_than=now - timedelta(seconds=1))
    session.flush()
    return todo


def complete_finished(session: Session, now: datetime) -> list[int]:
    """Running sequences that enrol no one new and have no one left in them -> completed."""
    active = sa.select(E.id).where(E.sequence_id == Sequence.id, E.status == "active").exists()
    done = list(session.scalars(sa.select(Sequence).where(Sequence.status == "running", ~Sequence.enrol_new,
                                                           ~active)))
    for sequence in done:
        sequence.status, sequence.stats = "completed", {**(sequence.stats or {}), "completed_at": now.isoformat()}
    return [s.id for s in done]
