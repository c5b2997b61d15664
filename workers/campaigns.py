"""Campaign actors: `campaigns.send_batch` (claim -> provider -> record), `campaigns.send_test` and the periodic
`campaigns.tick` (deferred releases, stale sends, stalled campaigns, completion) under a scheduler lease.

The provider call happens between two transactions: the claim is committed before it, the result recorded after.
Retryable errors put the rows back to queued and re-enqueue the batch after Retry-After (or a backoff)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import dramatiq

from db.models import Campaign, Contact, MarketingActivity, utcnow
from db.session import unit_of_work
from integrations import sentdm
from settings import get_settings
from tools import campaign_sending as sending
from tools import campaign_ticks
from workers import broker as _broker  # noqa: F401  (sets the broker first)
from workers.scheduler import periodic
from workers.send_rate import limiter

log = logging.getLogger(__name__)


def _transport_and_limit(channel: str):
    s = get_settings()
    if channel == "email":
        transport = sending.email_transport()
        rate = s.email_rate_per_second
    else:
        transport = sending.sms_transport()
        rate = s.sms_rate_per_second
    name = "sandbox-" + channel if transport.sandbox else transport.provider
    return transport, limiter(name, 0 if transport.sandbox else rate)


def _enqueue_processing(event_ids: list[int]) -> None:
    from workers.webhooks import enqueue

    enqueue(event_ids)


def mark_requested(ids: list[int]) -> set[int]:
    """Commit the requested mark of these rows right before their provider call (see tools/campaign_sending.py);
    returns the ids this worker may send."""
    with unit_of_work() as uow:
        return set(sending.mark_requested(uow.session, ids, clock()))


def send_and_record(batch: sending.Batch) -> tuple[list[sending.Result], float | None]:
    """Steps 2 and 3: the provider call, then the record (and, in the sandbox, the simulated webhooks)."""
    transport, limit = _transport_and_limit(batch.channel)
    results, retry_after = sending.deliver(batch, transport, limit, mark=mark_requested)
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


def run_batch(campaign_id: int, activity_ids: list[int], now: datetime | None = None) -> str:
    """Send one batch of a campaign; returns what happened, in words (also logged). `now`: the claim's clock
    (default `clock()`)."""
    with unit_of_work() as uow:
        batch = sending.begin_batch(uow.session, campaign_id, activity_ids, now or clock())
    if not batch.messages:
        return batch.note or "nothing to send"
    results, retry_after = send_and_record(batch)
    sent = sum(1 for r in results if r.kind == "sent")
    retry = [r.activity_id for r in results if r.kind == "retry"]
    if retry:
        delay_ms = int(max(retry_after or 0, 1.0) * 1000)
        send_batch.send_with_options(args=(campaign_id, retry), delay=delay_ms)
    deferred = f", {len(batch.deferred)} deferred (quiet hours)" if batch.deferred else ""
    return f"{sent} sent, {len(retry)} to retry, {len(results) - sent - len(retry)} not sent{deferred}"


def _provider(transport) -> str:
    return "sandbox" if transport.sandbox else transport.provider


def _simulated(transport, batch: sending.Batch, sent: list[sending.Result]):
    by_id = {m.activity_id: m for m in batch.messages}
    if batch.channel == "email":
        from integrations.postmark import BatchItem

        return transport.simulated_events([(BatchItem(r.activity_id, 0, "OK", r.message_id), by_id[r.activity_id].to)
                                           for r in sent])
    return transport.simulated_events([(sentdm.SmsResult(r.message_id, "QUEUED"), by_id[r.activity_id].to)
                                       for r in sent])


@dramatiq.actor(actor_name="campaigns.send_batch", max_retries=10, min_backoff=1_000, max_backoff=300_000,
                time_limit=900_000)
def send_batch(campaign_id: int, activity_ids: list[int]) -> None:
    log.info("campaign %s batch of %d: %s", campaign_id, len(activity_ids), run_batch(campaign_id, activity_ids))


def run_test(campaign_id: int, contact_id: int, address: str) -> str:
    with unit_of_work() as uow:
        campaign = uow.session.get(Campaign, campaign_id)
        contact = uow.session.get(Contact, contact_id)
        if campaign is None or contact is None:
            return "campaign or contact is gone: test not sent"
        activity = MarketingActivity(campaign_id=None, contact_id=contact_id, channel=campaign.channel, type="test",
                                     status="sending", to_address=address, claimed_at=utcnow(), attempts=1)
        uow.session.add(activity)
        uow.session.flush()
        out = sending.render_message(campaign, contact, activity_id=activity.id, to=address)
        out.activity_id = activity.id
        batch = sending.Batch(None, campaign.channel, [out])
    results, _ = send_and_record(batch)
    return results[0].kind if results else "not sent"


@dramatiq.actor(actor_name="campaigns.send_test", max_retries=3)
def send_test(campaign_id: int, contact_id: int, address: str) -> None:
    log.info("campaign %s test to %s: %s", campaign_id, address, run_test(campaign_id, contact_id, address))


def run_help(activity_id: int) -> str:
    """Answer an SMS HELP (a queued activity of type help) with the configured help text."""
    from db.campaigns import claim
    from domain.sms import price_per_segment, segments

    s = get_settings()
    with unit_of_work() as uow:
        if not claim(uow.session, [activity_id], utcnow()):
            return "already handled"
        activity = uow.session.get(MarketingActivity, activity_id)
        count = segments(s.sms_help_text)
        cost = count * price_per_segment(activity.to_address, s.sms_prices_by_country, s.sms_price_micros)
        activity.idempotency_key = sentdm.idempotency_key(activity_id)
        batch = sending.Batch(None, "sms", [sending.Outgoing(activity_id, activity.contact_id, activity.to_address or "",
                                                             text=s.sms_help_text, segments=count, cost_micros=cost)])
    results, _ = send_and_record(batch)
    return results[0].kind if results else "not sent"


@dramatiq.actor(actor_name="campaigns.send_help", max_retries=3)
def send_help(activity_id: int) -> None:
    log.info("help answer %s: %s", activity_id, run_help(activity_id))


def run_tick(now: datetime | None = None) -> dict[int, list[int]]:
    """One campaign tick (`now`: its clock, default `clock()`; tests freeze it); enqueues what it frees."""
    import sqlalchemy as sa

    from tools.campaigns import enqueue_after_commit

    with unit_of_work() as uow:
        todo = campaign_ticks.tick(uow.session, now or clock())
        for campaign_id, ids in todo.items():
            enqueue_after_commit(uow.session, campaign_id, ids)
        helps = list(uow.session.scalars(sa.select(MarketingActivity.id).where(
            MarketingActivity.type == "help", MarketingActivity.status == "queued")))
        for activity_id in helps:
            uow.after_commit(send_help.send, activity_id)
    return todo


INDEXING_SECONDS = 30.0  # Postmark's outbound search may lag a send by this much: absence before it proves nothing


def reconcile_unknown_email(limit: int = 100) -> dict[str, int]:
    """Email sends in doubt ("unknown"): ask Postmark for a message carrying our activity id in its Metadata.
    Found -> sent (with its MessageID). Not found although requested more than INDEXING_SECONDS ago -> left
    "unknown" with error_code "review" for a person to decide (tools/campaign_doubt.py: check again, or resend
    anyway); not found sooner -> looked up again on the next tick. Never resent blindly."""
    import sqlalchemy as sa

    from integrations.errors import ProviderError

    transport = sending.email_transport()
    if transport.sandbox:
        return {}
    A = MarketingActivity
    settled_before = clock() - timedelta(seconds=INDEXING_SECONDS)
    with unit_of_work() as uow:
        rows = uow.session.execute(sa.select(A.id, A.requested_at).where(
            A.status == "unknown", A.channel == "email", sa.or_(A.error_code.is_(None), A.error_code != "review"))
            .order_by(A.id).limit(limit)).all()
    found: dict[int, str | None] = {}
    for activity_id, requested_at in rows:
        try:
            message_id = transport.find_by_activity(activity_id)
        except ProviderError as exc:
            log.warning("reconciliation stopped: %s", exc)
            break
        if message_id or requested_at is None or _aware(requested_at) <= settled_before:
            found[activity_id] = message_id
    return _record_reconciliation(found)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _record_reconciliation(found: dict[int, str | None]) -> dict[str, int]:
    import sqlalchemy as sa

    A = MarketingActivity
    now, price = utcnow(), get_settings().email_price_micros
    counts = {"sent": 0, "review": 0}
    with unit_of_work() as uow:
        for activity_id, message_id in found.items():
            values = ({"status": "sent", "provider_message_id": message_id, "sent_at": now, "cost_micros": price,
                       "error_message": "reconciled: found at Postmark by its metadata"} if message_id else
                      {"error_code": "review", "error_message": "not found at Postmark: check before resending"})
            uow.session.execute(sa.update(A).where(A.id == activity_id, A.status == "unknown").values(**values))
            counts["sent" if message_id else "review"] += 1
    return counts


@periodic(10)
@dramatiq.actor(actor_name="campaigns.tick", max_retries=0)
def tick() -> None:
    reconciled = reconcile_unknown_email()
    if any(reconciled.values()):
        log.info("email reconciliation: %s", reconciled)
    todo = run_tick()
    if todo:
        log.info("campaign tick re-enqueued %s", {k: len(v) for k, v in todo.items()})
