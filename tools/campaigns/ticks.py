"""The periodic campaign tick (run under a lease by workers/campaigns.py): each step returns the activity ids
to (re-)enqueue, grouped by campaign. Re-enqueueing is always safe: a send happens only after a claim
(queued -> sending), which one worker at most wins.

- release deferred rows (quiet hours, scheduled campaigns) whose time has come;
- put "sending" rows claimed long ago and never requested (no `requested_at`: the worker stopped before the provider
  call, e.g. while its batch waited on the rate limiter) back in the queue: nothing left, nothing is in doubt;
- turn "sending" rows requested long ago without a result into "unknown" (a worker died between the provider call
  and the record). SMS unknowns go back to queued: the retry carries the same Idempotency-Key, so Sent.dm answers
  the first result instead of sending again. Email unknowns are looked up by metadata (workers/campaigns.py), never
  resent blindly;
- re-enqueue the queued rows of a running campaign that has stalled (nothing claimed for MKT_SENDING_STALE_SECONDS:
  its jobs were lost with a worker or a flushed queue);
- mark running campaigns with nothing left to send as completed (announced once: campaign.completed)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign
from db.models import MarketingActivity as A
from settings import get_settings
from tools import channels
from tools.campaigns.completion import announce_completed


def _grouped(rows: list[tuple[int, int]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    for campaign_id, activity_id in rows:
        out[campaign_id].append(activity_id)
    return dict(out)


def _running() -> sa.Select:
    return sa.select(Campaign.id).where(Campaign.status == "running")


def release_deferred(session: Session, now: datetime) -> dict[int, list[int]]:
    """Deferred rows (quiet hours, scheduled) whose time has come -> queued."""
    rows = session.execute(sa.update(A).where(
        A.status == "deferred", A.scheduled_for <= now, A.campaign_id.in_(_running()))
        .values(status="queued", updated_at=now).returning(A.campaign_id, A.id)).all()
    return _grouped([tuple(r) for r in rows])


def requeue_unrequested(session: Session, now: datetime) -> dict[int, list[int]]:
    """Rows claimed longer ago than MKT_SENDING_STALE_SECONDS and never requested -> queued again, their claim's
    attempt given back (a worker still holding such a claim cannot send them: its requested mark fails). Help
    answers are re-sent by the tick; a test send is failed (the person can send another)."""
    cutoff = now - timedelta(seconds=get_settings().sending_stale_seconds)
    stale = (A.status == "sending", A.requested_at.is_(None), A.claimed_at < cutoff)
    session.execute(sa.update(A).where(*stale, A.type == "test").values(
        status="failed", failed_at=now, updated_at=now, error_message="the worker stopped before sending the test"))
    rows = session.execute(sa.update(A).where(*stale).values(
        status="queued", claimed_at=None, attempts=sa.case((A.attempts > 0, A.attempts - 1), else_=0), updated_at=now,
        error_message="claimed but never requested (worker stopped?): back in the queue")
        .returning(A.campaign_id, A.id)).all()
    return _grouped([tuple(r) for r in rows if r[0] is not None])


def mark_stale(session: Session, now: datetime) -> int:
    """Rows requested longer ago than MKT_SENDING_STALE_SECONDS without a result -> unknown (in doubt)."""
    cutoff = now - timedelta(seconds=get_settings().sending_stale_seconds)
    result = session.execute(sa.update(A).where(A.status == "sending", A.requested_at < cutoff).values(
        status="unknown", updated_at=now,
        error_message="requested but no result was recorded (worker stopped?): looked up before anything else"))
    return result.rowcount or 0


def requeue_unknown_sms(session: Session, now: datetime) -> dict[int, list[int]]:
    """SMS (any channel whose provider takes an Idempotency-Key) in doubt -> queued again (the same key makes the
    retry safe)."""
    rows = session.execute(sa.update(A).where(
        A.status == "unknown", A.channel.in_(channels.resendable()), A.campaign_id.in_(_running()))
        .values(status="queued", claimed_at=None, requested_at=None, updated_at=now,
                error_message="retried with the same idempotency key after an unknown outcome")
        .returning(A.campaign_id, A.id)).all()
    return _grouped([tuple(r) for r in rows])


def stalled(session: Session, now: datetime) -> dict[int, list[int]]:
    """Queued rows of running campaigns where nothing was claimed for the stale time."""
    cutoff = now - timedelta(seconds=get_settings().sending_stale_seconds)
    out: dict[int, list[int]] = {}
    for campaign in session.scalars(sa.select(Campaign).where(Campaign.status == "running")):
        if campaign.launched_at and campaign.launched_at > cutoff:
            continue
        last = session.scalar(sa.select(sa.func.max(A.claimed_at)).where(A.campaign_id == campaign.id))
        if last is not None and _aware(last) > cutoff:
            continue
        ids = list(session.scalars(sa.select(A.id).where(
            A.campaign_id == campaign.id, A.status == "queued", A.updated_at < cutoff,
            sa.or_(A.scheduled_for.is_(None), A.scheduled_for < cutoff))))  # a deferred job not due yet is no stall
        if ids:
            session.execute(sa.update(A).where(A.id.in_(ids)).values(updated_at=now))
            out[campaign.id] = ids
    return out


PICKUP_SECONDS = 2.0  # a running campaign with queued rows and no activity this long has nobody working on it


def pickup(session: Session, now: datetime) -> dict[int, list[int]]:
    """Queued rows of running campaigns nobody is working on: no row of the campaign changed for PICKUP_SECONDS and
    no deferred job is due for them (launched from a process whose in-memory queue nobody consumes, e.g. `mkt chat`
    on SQLite, or jobs lost with a worker). Run every second by the server's or a worker's scheduler, so a launch
    from any entry point starts sending within seconds. Cheap when idle: one look at the running campaigns."""
    running = list(session.scalars(_running()))
    if not running:
        return {}
    cutoff = now - timedelta(seconds=PICKUP_SECONDS)
    out: dict[int, list[int]] = {}
    for campaign_id in running:
        busy = session.scalar(sa.select(A.id).where(A.updated_at >= cutoff, A.campaign_id == campaign_id).limit(1))
        if busy is not None:
            continue
        ids = list(session.scalars(sa.select(A.id).where(
            A.campaign_id == campaign_id, A.status == "queued",
            sa.or_(A.scheduled_for.is_(None), A.scheduled_for < cutoff)).order_by(A.id)))
        if ids:
            session.execute(sa.update(A).where(A.id.in_(ids)).values(updated_at=now))
            out[campaign_id] = ids
    return out


def worker_seen(session: Session, now: datetime, within: float = 5.0) -> bool:
    """Whether a scheduler (a running `mkt serve` or `mkt worker`) took one of its leases in the last `within`
    seconds: someone will pick up a launch."""
    from db.models import SchedulerLock

    latest = session.scalar(sa.select(sa.func.max(SchedulerLock.locked_until)).where(
        SchedulerLock.name.like("periodic:%")))
    return latest is not None and _aware(latest) >= now - timedelta(seconds=within)


def complete_finished(session: Session, now: datetime) -> list[int]:
    """Running campaigns with nothing queued, deferred or sending -> completed, each announced once (the outbound
    event campaign.completed, tools/campaigns/completion.py). The rows are locked, so a tick running at the same
    time finds them completed, not running."""
    waiting = sa.select(A.id).where(A.campaign_id == Campaign.id,
                                    A.status.in_(("queued", "deferred", "sending"))).exists()
    done = list(session.scalars(sa.select(Campaign).where(Campaign.status == "running", ~waiting)
                                .with_for_update().execution_options(populate_existing=True)))
    for campaign in done:
        campaign.status, campaign.completed_at = "completed", now
        announce_completed(session, campaign, now)
    return [c.id for c in done]


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def tick(session: Session, now: datetime) -> dict[int, list[int]]:
    """One pass of every step above. Returns what to enqueue, by campaign."""
    todo: dict[int, list[int]] = defaultdict(list)
    for part in (release_deferred(session, now), requeue_unrequested(session, now), _after_stale(session, now),
                 stalled(session, now)):
        for campaign_id, ids in part.items():
            todo[campaign_id].extend(ids)
    complete_finished(session, now)
    return dict(todo)


def _after_stale(session: Session, now: datetime) -> dict[int, list[int]]:
    mark_stale(session, now)
    return requeue_unknown_sms(session, now)
