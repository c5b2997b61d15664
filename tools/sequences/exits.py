"""A contact leaves their sequences: on a reply, a booking, an opt-out or a bounce (the webhook processors call
`on_event` with one line each), or by hand. The exit is recorded on the enrolment (status "exited", reason, time)
and the step messages still waiting for that contact (queued or deferred) are cancelled with the reason, in the
same transaction as the event, so no later step can be claimed after it. Imports nothing of tools/ (the
processors and tools.contacts.optouts import it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import MarketingActivity, Sequence, SequenceEnrolment, SequenceStep, utcnow
from domain.sequences import EXIT_REASONS, ExitRules

WAITING = ("queued", "deferred")
OPT_OUT_EVENTS = {"hard_bounce": "bounced", "complaint": "opted_out"}  # tools.contacts.optouts reasons -> exit events


def on_event(session: Session, contact_ids: Iterable[int], event: str, now: datetime | None = None) -> int:
    """`event` ("replied", "booked", "opted_out", "bounced", or a tools.contacts.optouts reason such as "hard_bounce")
    happened to these contacts: each leaves every active sequence whose exit rules say so. Returns how many
    enrolments ended. Idempotent: a second call finds nothing active."""
    ids = sorted({int(c) for c in contact_ids if c is not None})
    if not ids:
        return 0
    event = OPT_OUT_EVENTS.get(event, "opted_out" if event in ("opt_out", "unsubscribe") else event)
    E = SequenceEnrolment
    rows = session.execute(sa.select(E.id, E.sequence_id, Sequence.exit_rules).join(Sequence, Sequence.id == E.sequence_id)
                           .where(E.contact_id.in_(ids), E.status == "active")).all()
    ended = 0
    for enrolment_id, _sequence_id, rules in rows:
        reason = ExitRules.from_dict(rules).exit_reason(event)
        if reason:
            ended += end(session, [enrolment_id], reason, now)
    return ended


def end(session: Session, enrolment_ids: list[int], reason: str, now: datetime | None = None,
        status: str = "exited") -> int:
    """Active enrolments -> `status` with `reason`; when they exit (not when they complete: the last step is on its
    way) their waiting step messages are cancelled. Returns how many."""
    if not enrolment_ids:
        return 0
    now = now or utcnow()
    E = SequenceEnrolment
    done = session.execute(sa.update(E).where(E.id.in_(enrolment_ids), E.status == "active").values(
        status=status, exit_reason=reason, exited_at=now, next_due_at=None, updated_at=now)
        .returning(E.sequence_id, E.contact_id).execution_options(synchronize_session=False)).all()
    for sequence_id, contact_id in done if status == "exited" else ():
        cancel_waiting(session, sequence_id, [contact_id], reason, now)
    return len(done)


def cancel_waiting(session: Session, sequence_id: int, contact_ids: list[int], reason: str, now: datetime) -> int:
    """Step messages of this sequence not yet claimed for sending -> cancelled, saying why."""
    A = MarketingActivity
    steps = sa.select(SequenceStep.campaign_id).where(SequenceStep.sequence_id == sequence_id)
    result = session.execute(sa.update(A).where(A.campaign_id.in_(steps), A.contact_id.in_(contact_ids),
                                                A.status.in_(WAITING))
                             .values(status="cancelled", error_code=reason[:40], updated_at=now,
                                     error_message=f"left the sequence: {EXIT_REASONS.get(reason, reason)}")
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0
