"""Campaign actors: `campaigns.send_batch` (claim -> provider -> record), `campaigns.send_test` and the periodic
`campaigns.tick` (deferred releases, stale sends, stalled campaigns, completion) under a scheduler lease.

Before the claim the batch books its rate-limit slots (`pace`): a batch that must wait (for its slot, a Retry-After
hold, or a limiter that is down) is deferred in the queue with its due time, never holding a worker thread, so other
channels and campaigns keep flowing; its rows stay queued (nothing in doubt) with `scheduled_for` = when its job is
due. The provider call happens between two transactions: the claim is committed before it, the result recorded
after. Retryable errors put the rows back to queued and re-enqueue the batch after Retry-After (or a backoff)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import dramatiq

from db.models import utcnow
from db.session import unit_of_work
from integrations.transport import Accepted
from tools import channels
from tools.campaigns import pacing, reconcile, sending, single
from tools.campaigns import ticks as campaign_ticks
from workers import broker as _broker  # noqa: F401  (sets the broker first)
from workers.scheduler import periodic
from workers.send_rate import limiter

log = logging.getLogger(__name__)


def _transport_and_limit(channel: str):
    entry = channels.get(channel)
    transport = entry.transport()
    name = "sandbox-" + channel if transport.sandbox else transport.provider
    return transport, limiter(name, 0 if transport.sandbox else entry.rate_per_second())


def _enqueue_processing(event_ids: list[int]) -> None:
    from workers.webhooks import enqueue

    enqueue(event_ids)


def mark_requested(ids: list[int]) -> set[int]:
    """Commit the requested mark of these rows right before their provider call (see tools/campaigns/sending.py);
    returns the ids this worker may send."""
    with unit_of_work() as uow:
        return set(sending.mark_requested(uow.session, ids, clock()))


def send_and_record(batch: sending.Batch, slots: list[float] | None = None
                    ) -> tuple[list[sending.Result], float | None]:
    """Steps 2 and 3: the provider call (in the booked `slots`), then the record (and, in the sandbox, the
    simulated webhooks)."""
    transport, limit = _transport_and_limit(batch.channel)
    results, retry_after = sending.deliver(batch, transport, limit, mark=mark_requested, slots=slots,
                                           gate=lambda: _gate(limit))
    sent = [r for r in results if r.kind == "sent"]
    events = _simulated(transport, batch, sent) if transport.sandbox else []
    with unit_of_work() as uow:
        event_ids = sending.record_batch(uow.session, batch, results, provider=_provider(transport),
                                         sandbox_events=events)
        uow.after_commit(_enqueue_processing, event_ids)
    return results, retry_after


def clock() -> datetime:
    """The clock of the send path (the claim re-checks quiet hours against it, the tick releases deferred rows by
    it): the current time. Tests freeze it by replacing this function, as they pass `now=` to launch_campaign."""
    return utcnow()


HORIZON_SECONDS = 30.0  # slots are booked at most this far ahead (a paused campaign's bookings cost at most this)
SLACK_SECONDS = 0.15  # a slot this close is waited for in the thread; anything later is deferred in the queue
BUCKET_SECONDS = 1.0  # providers' token buckets hold about a second of their rate
BUCKET_SHARE = 0.5  # of which our copy of the bucket lets late batches use this much; the rest absorbs requests
# that reach the provider later than we counted them (a loaded machine, a slow connection)
LEAD_SECONDS = 0.1  # a deferred batch comes back this much before its slot (the queue's own delay), then waits
SMS_SPAN_SECONDS = 0.6  # SMS slots closer together than SLACK: one job sends those due within this span, one by one
# (its thread is busy with the requests for about as long), instead of a deferred job every few messages
LIMITER_RETRY_SECONDS = 2.0  # the shared limiter is down (Redis): try again after this
DUE_QUEUE = "campaigns_due"  # deferred batches come back on this queue (see send_due)


@dataclass
class Go:
    ids: list[int]
    slots: list[float] | None = None  # SMS: the booked slot of each (time.time())


def pace(campaign_id: int, activity_ids: list[int], due: float | None) -> Go | str:
    """Book the batch's rate-limit slots before claiming. Returns what to claim and send now, or (the batch was
    deferred in the queue) what happened in words. `due`: the time.time() of slots booked by an earlier run of this
    job (deferred until then); None books anew. SMS go in the slots due now; the rest keep theirs in a deferred job.
    What goes is first charged to our copy of the provider's bucket (`RateLimiter.take`): a batch back late from the
    queue goes as soon as the provider can take it, never bunched beyond its bucket, never re-booked."""
    with unit_of_work() as uow:
        waiting = pacing.still_queued(uow.session, campaign_id, activity_ids)
    if waiting is None:
        return Go(activity_ids)  # begin_batch says why nothing goes
    channel, queued = waiting
    _, limit = _transport_and_limit(channel)
    one_request = channels.get(channel).send_all is not None  # email: a batch is one request; SMS one each
    if not queued or not limit.interval:
        return Go(queued or activity_ids)
    try:
        held = limit.held_for()
        if held > SLACK_SECONDS:
            return defer(campaign_id, queued, None, held, "the provider asked us to wait (Retry-After)")
        if due is None:
            delay, booked = limit.reserve(len(queued), HORIZON_SECONDS)
            if not booked:
                return defer(campaign_id, queued, None, max(delay - HORIZON_SECONDS / 2, 1.0), "rate limit booked")
            due = time.time() + delay
        if (ahead := due - time.time()) > SLACK_SECONDS:
            return defer(campaign_id, queued, due, ahead, "waiting for its rate-limit slot")
        sending._until(due)
        if one_request and (wait := _take(limit, len(queued))) > 0:  # SMS: each at its request (_gate)
            return defer(campaign_id, queued, time.time() + wait, wait, "the provider's bucket is full")
    except Exception as exc:  # noqa: BLE001 - a limiter that fails (Redis down) means: nothing sent, try later
        return defer(campaign_id, queued, None, LIMITER_RETRY_SECONDS, f"rate limiter unavailable: {type(exc).__name__}")
    if one_request:  # the whole batch is one request (email)
        return Go(queued)
    count = _sms_now(len(queued), limit.interval)
    if rest := queued[count:]:
        next_due = max(due, time.time()) + count * limit.interval
        defer(campaign_id, rest, next_due, next_due - time.time(), "waiting for its rate-limit slot")
    start = max(due, time.time())
    return Go(queued[:count], [start + i * limit.interval for i in range(count)])


def _sms_now(queued: int, interval: float) -> int:
    """How many of a batch's SMS one job sends now: those whose slots fall within the slack (or, when slots are
    closer together than that, within SMS_SPAN_SECONDS), counting from the later of the batch's slot and now."""
    span = SMS_SPAN_SECONDS if interval <= SLACK_SECONDS else SLACK_SECONDS
    return max(1, min(queued, int(span / interval) + 1))


def _take(limit, count: int) -> float:
    """Charge `count` messages leaving in one request to our copy of the provider's bucket, waiting a moment (up to
    the slack) when it is nearly ready; returns 0.0 once charged, else the seconds to defer."""
    tolerance = max(BUCKET_SECONDS * BUCKET_SHARE - count * limit.interval, 0.0)
    while (wait := limit.take(count, tolerance)) > 0:
        if wait > SLACK_SECONDS:
            return wait
        time.sleep(wait)
    return 0.0


def _gate(limit) -> None:
    """Right before one SMS: charge it to our copy of the provider's bucket, sleeping until it has room (a batch's
    SMS already go in their slots, so this waits only when batches back late from the queue catch up together).
    A limiter that fails does not stop a claimed send: its slot was booked."""
    try:
        while (wait := limit.take(1, max(BUCKET_SECONDS * BUCKET_SHARE - limit.interval, 0.0))) > 0:
            time.sleep(wait)
    except Exception as exc:  # noqa: BLE001
        log.warning("rate limiter unavailable before an SMS: %s", type(exc).__name__)


def defer(campaign_id: int, ids: list[int], due: float | None, delay: float, why: str) -> str:
    """Re-enqueue the batch after `delay` seconds (with its booked `due`, if any); its rows stay queued, with
    `scheduled_for` = when the job is due (the stalled-campaign check leaves them alone until then). When the queue
    is unreachable the rows simply stay queued: the tick re-enqueues them."""
    delay = max(delay - LEAD_SECONDS if due else delay, 0.0)
    with unit_of_work() as uow:
        pacing.hold(uow.session, ids, delay)
    try:
        send_due.send_with_options(args=(campaign_id, ids), kwargs={"due": due} if due else {},
                                   delay=int(delay * 1000))
    except Exception as exc:  # noqa: BLE001 - the rows are queued: the tick re-enqueues them
        log.warning("campaign %s: could not defer %d rows (%s): the tick re-enqueues them", campaign_id, len(ids),
                    type(exc).__name__)
    return f"{len(ids)} deferred {delay:.2f} s: {why}"


def run_batch(campaign_id: int, activity_ids: list[int], now: datetime | None = None,
              due: float | None = None) -> str:
    """Send one batch of a campaign; returns what happened, in words (also logged). `now`: the claim's clock
    (default `clock()`); `due`: the time its rate-limit slots were booked for (see `pace`)."""
    go = pace(campaign_id, activity_ids, due)
    if isinstance(go, str):
        return go
    with unit_of_work() as uow:
        batch = sending.begin_batch(uow.session, campaign_id, go.ids, now or clock())
    if not batch.messages:
        return batch.note or "nothing to send"
    results, retry_after = send_and_record(batch, go.slots)
    sent = sum(1 for r in results if r.kind == "sent")
    retry = [r.activity_id for r in results if r.kind == "retry"]
    if retry:
        defer(campaign_id, retry, None, max(retry_after or 0, 1.0), "retry later")
    deferred = f", {len(batch.deferred)} deferred (quiet hours)" if batch.deferred else ""
    return f"{sent} sent, {len(retry)} to retry, {len(results) - sent - len(retry)} not sent{deferred}"


def _provider(transport) -> str:
    return "sandbox" if transport.sandbox else transport.provider


def _simulated(transport, batch: sending.Batch, sent: list[sending.Result]):
    by_id = {m.activity_id: m for m in batch.messages}
    return transport.simulated_events([Accepted(r.activity_id, r.message_id or "", by_id[r.activity_id].to)
                                       for r in sent])


@dramatiq.actor(actor_name="campaigns.send_batch", max_retries=10, min_backoff=1_000, max_backoff=300_000,
                time_limit=900_000)
def send_batch(campaign_id: int, activity_ids: list[int], due: float | None = None) -> None:
    log.info("campaign %s batch of %d: %s", campaign_id, len(activity_ids),
             run_batch(campaign_id, activity_ids, due=due))


@dramatiq.actor(actor_name="campaigns.send_due", queue_name=DUE_QUEUE, max_retries=10, min_backoff=1_000,
                max_backoff=300_000, time_limit=900_000)
def send_due(campaign_id: int, activity_ids: list[int], due: float | None = None) -> None:
    """A deferred batch back at its due time: `send_batch` on a queue of its own, so it is not served after the
    batches a launch or the tick just enqueued (a queue is first in, first out) and loses its slot."""
    log.info("campaign %s batch of %d (deferred): %s", campaign_id, len(activity_ids),
             run_batch(campaign_id, activity_ids, due=due))


def run_test(campaign_id: int, contact_id: int, address: str) -> str:
    with unit_of_work() as uow:
        batch = single.prepare_test(uow.session, campaign_id, contact_id, address)
    if batch is None:
        return "campaign or contact is gone: test not sent"
    _one_slot(batch.channel)
    results, _ = send_and_record(batch)
    return results[0].kind if results else "not sent"


def _one_slot(channel: str) -> None:
    """A single test or help message takes its rate-limit slot like any other (waiting at most a moment: these are
    rare and one at a time); a limiter that is down does not stop them."""
    try:
        _transport_and_limit(channel)[1].wait(1)
    except Exception as exc:  # noqa: BLE001
        log.warning("rate limiter unavailable for a single message: %s", type(exc).__name__)


@dramatiq.actor(actor_name="campaigns.send_test", max_retries=3)
def send_test(campaign_id: int, contact_id: int, address: str) -> None:
    log.info("campaign %s test to %s: %s", campaign_id, address, run_test(campaign_id, contact_id, address))


def run_help(activity_id: int) -> str:
    """Answer an SMS HELP (a queued activity of type help) with the configured help text."""
    with unit_of_work() as uow:
        batch = single.prepare_help(uow.session, activity_id)
    if batch is None:
        return "already handled"
    _one_slot("sms")
    results, _ = send_and_record(batch)
    return results[0].kind if results else "not sent"


@dramatiq.actor(actor_name="campaigns.send_help", max_retries=3)
def send_help(activity_id: int) -> None:
    log.info("help answer %s: %s", activity_id, run_help(activity_id))


def run_tick(now: datetime | None = None) -> dict[int, list[int]]:
    """One campaign tick (`now`: its clock, default `clock()`; tests freeze it); enqueues what it frees."""
    from tools.campaigns.lifecycle import enqueue_after_commit

    with unit_of_work() as uow:
        todo = campaign_ticks.tick(uow.session, now or clock())
        for campaign_id, ids in todo.items():
            enqueue_after_commit(uow.session, campaign_id, ids)
        for activity_id in single.queued_helps(uow.session):
            uow.after_commit(send_help.send, activity_id)
    return todo


def reconcile_unknown_email(limit: int = 100) -> dict[str, int]:
    """Email sends in doubt ("unknown"): look each up at Postmark by its metadata, between two transactions
    (tools/campaigns/reconcile.py says what is found, settled or left for review). Never resent blindly."""
    transport = channels.get("email").transport()
    if transport.sandbox:
        return {}
    with unit_of_work() as uow:
        rows = reconcile.unknown_emails(uow.session, limit)
    found = reconcile.look_up(transport.find_by_activity, rows, clock())
    with unit_of_work() as uow:
        return reconcile.record(uow.session, found)


def run_pickup(now: datetime | None = None) -> dict[int, list[int]]:
    """Enqueue the queued rows of running campaigns nobody is working on (tools/campaigns/ticks.pickup)."""
    from tools.campaigns.lifecycle import enqueue_after_commit

    with unit_of_work() as uow:
        todo = campaign_ticks.pickup(uow.session, now or utcnow())
        for campaign_id, ids in todo.items():
            enqueue_after_commit(uow.session, campaign_id, ids)
    return todo


@periodic(1)
@dramatiq.actor(actor_name="campaigns.pickup", max_retries=0, time_limit=60_000)
def pickup() -> None:
    todo = run_pickup()
    if todo:
        log.info("campaign pickup enqueued %s", {k: len(v) for k, v in todo.items()})


@periodic(10)
@dramatiq.actor(actor_name="campaigns.tick", max_retries=0)
def tick() -> None:
    reconciled = reconcile_unknown_email()
    if any(reconciled.values()):
        log.info("email reconciliation: %s", reconciled)
    todo = run_tick()
    if todo:
        log.info("campaign tick re-enqueued %s", {k: len(v) for k, v in todo.items()})
