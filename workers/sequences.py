"""Sequence actor: the periodic `sequences.tick` enrols later matches, advances due steps (tools/sequences/
engine.py: each step claimed once per contact, even with two workers) and lets step campaigns the campaign tick
completed run again when new messages wait in them. The step messages go out through `campaigns.send_batch`."""

from __future__ import annotations

import logging
from datetime import datetime

import dramatiq

from db.session import unit_of_work
from tools.campaigns.lifecycle import enqueue_after_commit
from tools.sequences import engine
from workers import broker as _broker  # noqa: F401  (sets the broker first)
from workers.scheduler import periodic

log = logging.getLogger(__name__)
PASSES = 10  # at most this many claims of engine.BATCH per tick; the rest waits for the next tick


def run_tick(now: datetime | None = None) -> dict[str, int]:
    """One tick (`now`: its clock, default workers.campaigns.clock(); tests freeze it). Each pass of claims is its
    own transaction, committed before its send jobs are enqueued. Returns what happened, counted."""
    from workers.campaigns import clock

    now = now or clock()
    totals: dict[str, int] = {}
    with unit_of_work() as uow:
        totals["enrolled"] = engine.enrol_new_matches(uow.session, now)
        for campaign_id, ids in engine.heal(uow.session, now).items():
            enqueue_after_commit(uow.session, campaign_id, ids)
    for _ in range(PASSES):
        with unit_of_work() as uow:
            result = engine.advance(uow.session, now)
        for key, count in result.outcomes.items():
            totals[key] = totals.get(key, 0) + count
        if result.claimed < engine.BATCH:
            break
    with unit_of_work() as uow:
        totals["completed"] = len(engine.complete_finished(uow.session, now))
    return {k: v for k, v in totals.items() if v}


@periodic(5)
@dramatiq.actor(actor_name="sequences.tick", max_retries=0, time_limit=120_000)
def tick() -> None:
    done = run_tick()
    if done:
        log.info("sequence tick: %s", done)
