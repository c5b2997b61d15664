"""Sending one batch of a campaign, in three steps run by `workers/campaigns.py`:

1. `begin_batch` (one transaction): claim the activities still queued (queued -> sending, claimed_at), drop any
   whose contact opted out since launch, exclude any whose contact would now exceed a frequency cap (another
   campaign launched at about the same time got there first), defer again any whose contact is now inside quiet
   hours (a batch can be claimed long after launch: Retry-After, back-off, a Redis outage, a pause; the re-checks
   are tools/campaigns/claim_checks.py and address_guard.py), render each message (tools/campaigns/messages.py).
   Committed BEFORE any provider call.
2. `deliver` (no transaction): call Postmark (one batch request) or Sent.dm (one request per message, with the
   activity's Idempotency-Key) in the rate-limit slots the worker booked before claiming (workers/campaigns.py: a
   batch that must wait is deferred in the queue, never holding a thread); classify every answer. Right before each HTTP call the
   rows it carries are marked requested (`mark_requested`, committed): from then on, and only then, a send is in
   doubt. A row whose mark fails (swept back to the queue, or requested by another claim) is not sent by this batch.
3. `record_batch` (one transaction): sent / failed / suppressed / back to queued (retryable; only a row that reached
   the provider uses up one of its MAX_ATTEMPTS, the rest of an SMS batch put back untried keep theirs) / halted (our
   configuration is wrong: the campaign pauses and says why) / unknown (email whose request Postmark may have
   acted on without answering, e.g. a read timeout: looked up by metadata later, never resent blindly). Sandbox
   transports also store the simulated delivery events in the webhook inbox, so delivery goes through the same
   processors as real webhooks.

A crash between 1 and 3 leaves "sending": rows never requested go back to the queue by themselves (nothing left), rows
requested become "unknown" (in doubt: SMS retried with the same Idempotency-Key, email looked up by metadata; see
tools/campaigns/ticks.py). `in_doubt` lists what stays in doubt for a person; `check_again` and `resend_anyway` act
on it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign, Contact, MarketingActivity, utcnow
from domain import channels as channel_rules
from domain.audience import address_key
from domain.send_rules import REASONS, SendRules, cap_reached, quiet_until
from integrations import postmark
from integrations.errors import PermanentError, RetryableError
from integrations.transport import Transport
from settings import get_settings
from tools import channels
from tools.campaigns.address_guard import addresses_taken
from tools.campaigns.claim_checks import cancel_capped, defer_quiet, recent_sends, suppressed_among
from tools.campaigns.messages import render_message
from tools.channels import Outgoing
from tools.contacts.optouts import opt_out

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass
class Result:
    activity_id: int
    kind: str  # sent, failed, suppressed, retry, halt, unknown (email in doubt)
    message_id: str | None = None
    code: str | None = None
    message: str | None = None
    tried: bool = True  # False: never reached the provider (put back untried: it uses up no attempt)


@dataclass
class Batch:
    campaign_id: int | None
    channel: str
    messages: list[Outgoing] = field(default_factory=list)
    note: str | None = None
    deferred: dict[int, datetime] = field(default_factory=dict)  # activity id -> not before (quiet hours)


# --- step 1: claim and render ----------------------------------------------------------------------------

def default_rules() -> SendRules:
    """The send rules' defaults from settings (caps MKT_SEND_CAP_24H / MKT_SEND_CAP_7D)."""
    s = get_settings()
    return SendRules(cap_24h=s.send_cap_24h, cap_7d=s.send_cap_7d)


def begin_batch(session: Session, campaign_id: int, activity_ids: list[int], now: datetime | None = None) -> Batch:
    """Claim what is still queued and render it. Activities of a campaign that is not running stay queued. Those
    whose contact opted out (or is suppressed) since launch are cancelled; those whose contact would exceed a
    frequency cap at `now` (the same rule as at launch, domain.send_rules.cap_reached, counting the contact's
    messages of other campaigns on this channel sent or being sent: another campaign launched at about the same
    time may have got there first) are cancelled with the cap as reason (error_code cap_24h/cap_7d: launch
    excludes such contacts), without using up an attempt; those whose contact is inside quiet hours at `now` (the
    same rule as at launch, domain.send_rules.quiet_until) go back to "deferred" until the window opens, with the
    reason, without using up an attempt; the tick releases them then. On PostgreSQL the claim holds a per-contact
    advisory lock until it commits, so two workers claiming rows of two campaigns for one contact at the same
    moment count each other's claim (SQLite serialises writers anyway)."""
    from tools.sender import apply_stored

    apply_stored(session)  # the sender set in the chat, in force in this worker process too
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return Batch(campaign_id, "?", note=f"campaign {campaign_id} is gone")
    if campaign.status != "running":
        return Batch(campaign_id, campaign.channel, note=f"campaign {campaign.name!r} is {campaign.status}")
    now = now or utcnow()
    claimed = q.claim(session, activity_ids, now)
    batch = Batch(campaign_id, campaign.channel)
    if not claimed:
        batch.note = "nothing left to claim"
        return batch
    A = MarketingActivity
    rows = session.execute(sa.select(A.id, A.variant, Contact).join(Contact, Contact.id == A.contact_id)
                           .where(A.id.in_(claimed)).order_by(A.id)).all()
    suppressed = suppressed_among(session, campaign.channel, [row[2] for row in rows])
    rules, zone = SendRules.from_dict(campaign.send_rules, default_rules()), get_settings().account_timezone
    recent = recent_sends(session, campaign, sorted({row[2].id for row in rows}), now)
    cancelled, capped = [], {}
    taken = addresses_taken(session, campaign, claimed, [channel_rules.address_of(campaign.channel, r[2])
                                                         for r in rows])  # one message per address (address_guard)
    twins = []
    for activity_id, variant, contact in rows:
        address = channel_rules.address_of(campaign.channel, contact)
        if channel_rules.opted_out(campaign.channel, contact) or not address or address in suppressed:
            cancelled.append(activity_id)
            continue
        cap = cap_reached(recent.get(contact.id, ()), rules, now)
        if cap is not None:
            capped[activity_id] = cap
            continue
        until = quiet_until(campaign.channel, contact.timezone, contact.phone, rules, now, zone)
        if until is not None:
            batch.deferred[activity_id] = until
            continue
        key = address_key(campaign.channel, address)
        if key in taken:
            twins.append(activity_id)
            continue
        taken.add(key)
        batch.messages.append(render_message(campaign, contact, activity_id=activity_id, variant=variant))
    if cancelled:
        session.execute(sa.update(A).where(A.id.in_(cancelled)).values(
            status="cancelled", error_code="opted_out", error_message="opted out or suppressed after launch"))
    if twins:
        session.execute(sa.update(A).where(A.id.in_(twins)).values(
            status="cancelled", error_code="duplicate_address", error_message=REASONS["duplicate_address"]))
    if capped:
        cancel_capped(session, capped, now)
    if batch.deferred:
        defer_quiet(session, batch.deferred, now)
    if not batch.messages and (capped or batch.deferred):
        batch.note = "; ".join(part for part in (
            capped and f"{len(capped)} excluded: frequency cap reached (another campaign got there first)",
            batch.deferred and f"{len(batch.deferred)} deferred: quiet hours where they live") if part)
    return batch


# --- step 2: the provider call -------------------------------------------------------------------------

Mark = Callable[[list[int]], set[int]]  # commits the requested mark of these ids; returns those this caller may send


def mark_requested(session: Session, ids: list[int], now: datetime | None = None) -> list[int]:
    """Right before the provider call: rows still claimed ("sending") and not yet requested get `requested_at`; from
    then on they are in doubt until their answer is recorded. Returns the ids marked now: a row the tick put back in
    the queue (or that another claim already requested) is not among them and must not be sent by this caller."""
    if not ids:
        return []
    A = MarketingActivity
    return list(session.scalars(sa.update(A).where(A.id.in_(ids), A.status == "sending", A.requested_at.is_(None))
                                .values(requested_at=now or utcnow()).returning(A.id)))


def deliver(batch: Batch, transport: Transport, limiter: Any = None, *, mark: Mark,
            slots: list[float] | None = None,
            gate: Callable[[], None] | None = None) -> tuple[list[Result], float | None]:
    """Send the batch. Returns one Result per message sent or refused and, after a retryable error, the seconds to
    wait. `mark` is called right before each HTTP call with the ids it carries; ids it does not return are skipped
    (no Result: another worker owns them now). `slots`: the booked rate-limit slot of each SMS (time.time() values,
    at most a second ahead); `gate`, called right before each SMS, returns once the provider can take one more (it
    may sleep a moment: the send path's copy of the provider's bucket). A 429's Retry-After is passed on to
    `limiter.hold`."""
    if not batch.messages:
        return [], None
    channel = channels.get(batch.channel)
    if channel.send_all is not None:
        return _deliver_all(channel, batch.messages, transport, limiter, mark)
    return _deliver_each(channel, batch.messages, transport, limiter, mark, slots, gate)


def _hold(limiter: Any, exc: RetryableError) -> None:
    if limiter is not None and exc.status == 429 and exc.retry_after:
        try:
            limiter.hold(exc.retry_after)
        except Exception as problem:  # noqa: BLE001 - the retry is delayed anyway; the others learn at their 429
            log.warning("rate limiter unavailable for a Retry-After hold: %s", type(problem).__name__)


def _until(slot: float | None) -> None:
    import time

    if slot is not None and (ahead := slot - time.time()) > 0:
        time.sleep(ahead)


def _deliver_all(channel: channels.Channel, messages: list[Outgoing], transport: Transport, limiter: Any,
                 mark: Mark) -> tuple[list[Result], float | None]:
    """The whole batch in one request (Postmark): an answer per message."""
    mine = mark([m.activity_id for m in messages])
    messages = [m for m in messages if m.activity_id in mine]
    if not messages or channel.send_all is None:
        return [], None
    try:
        items = channel.send_all(transport, messages)
    except RetryableError as exc:
        if exc.in_doubt:  # the provider may have sent them (no idempotency key): reconcile by metadata, never resend
            note = f"no answer from {transport.provider}, it may have sent: looked up by metadata before anything else ({exc})"
            return [Result(m.activity_id, "unknown", message=note) for m in messages], None
        _hold(limiter, exc)
        return [Result(m.activity_id, "retry", code=exc.code, message=str(exc)) for m in messages], exc.retry_after
    except PermanentError as exc:
        return [Result(m.activity_id, "halt", code=exc.code, message=str(exc)) for m in messages], None
    return [_item_result(channel, item) for item in items], None


def _item_result(channel: channels.Channel, item: postmark.BatchItem) -> Result:
    if item.ok:
        return Result(item.activity_id, "sent", item.message_id)
    code = str(item.error_code)
    return Result(item.activity_id, channel.codes.kind(code), item.message_id, code, item.message)


def _deliver_each(channel: channels.Channel, messages: list[Outgoing], transport: Transport, limiter: Any,
                  mark: Mark, slots: list[float] | None,
                  gate: Callable[[], None] | None) -> tuple[list[Result], float | None]:
    """One request per message, in order, each in its slot and marked requested right before its call. When one
    answers "retry later" (or "halt"), the rest of the batch goes back with it untried (`tried=False`: they use up
    no attempt)."""
    results: list[Result] = []
    for index, m in enumerate(messages):
        _until(slots[index] if slots and index < len(slots) else None)
        if gate is not None:
            gate()
        if m.activity_id not in mark([m.activity_id]):
            continue
        try:
            key = channel.idempotency_key(m.activity_id) if channel.idempotency_key else None
            message_id = channel.send_one(transport, m, key) if channel.send_one else None
        except RetryableError as exc:
            _hold(limiter, exc)
            return results + _with_untried(m, messages[index + 1:], "retry", exc), exc.retry_after
        except PermanentError as exc:
            kind = channel.codes.kind(exc.code)
            if kind == "halt":
                return results + _with_untried(m, messages[index + 1:], "halt", exc), None
            results.append(Result(m.activity_id, kind, code=exc.code, message=str(exc)))
            continue
        results.append(Result(m.activity_id, "sent", message_id))
    return results, None


def _with_untried(tried: Outgoing, rest: list[Outgoing], kind: str, exc: Exception) -> list[Result]:
    code, message = getattr(exc, "code", None), str(exc)
    return [Result(tried.activity_id, kind, code=code, message=message)] + [
        Result(r.activity_id, kind, code=code, message=f"not tried: {message}", tried=False) for r in rest]


# --- step 3: record ----------------------------------------------------------------------------------------

_RECORD_KEYS = ("status", "sent_at", "provider_message_id", "cost_micros", "error_code", "error_message", "failed_at",
                "to_address", "segments", "provider", "idempotency_key", "updated_at")


def record_batch(session: Session, batch: Batch, results: list[Result], *, provider: str,
                 sandbox_events: list[tuple[str, str, dict[str, Any]]] | None = None) -> list[int]:
    """Write each result to its activity (one executemany per kind; only rows still "sending" change, so a webhook
    or a cancel that got there first is never undone). Returns the ids of simulated webhook events (sandbox)."""
    A = MarketingActivity
    now = utcnow()
    by_id = {m.activity_id: m for m in batch.messages}
    attempts = {row[0]: row[1] for row in session.execute(
        sa.select(A.id, A.attempts).where(A.id.in_(list(by_id)), A.status.notin_(("queued", "deferred")))).all()}
    done, requeue, halted, suppress = [], [], None, []
    for result in results:
        if result.activity_id not in attempts:
            continue
        out = by_id[result.activity_id]
        row = _row(result, out, provider, now, attempts[result.activity_id], batch.channel)
        (requeue if row["status"] == "queued" else done).append(row)
        if result.kind == "halt" and result.tried:
            halted = f"the provider refused our request: {result.message}"
        if result.kind == "suppressed" and out.to:
            suppress.append((out.to, result.code))
    _update(session, [r for r in done if r["status"] == "sent"], sent=True)
    _update(session, [r for r in done if r["status"] != "sent"])
    _update(session, requeue, with_claim=True)
    for address, code in suppress:
        opt_out(session, batch.channel, address, reason=channel_rules.rule(batch.channel).provider_refusal,
                source="provider", note=f"provider says inactive/opted out ({code})")
    if halted and batch.campaign_id:
        pause_for(session, batch.campaign_id, halted)
    event_ids = _store_sandbox_events(session, sandbox_events or [])
    if batch.campaign_id and any(r["status"] == "failed" for r in done):  # incl. retries used up
        check_error_threshold(session, batch.campaign_id)  # the failure share only rises when something failed
    return event_ids


def _row(result: Result, out: Outgoing, provider: str, now: datetime, attempts: int, channel: str) -> dict[str, Any]:
    row = {"b_id": result.activity_id, "to_address": out.to, "segments": out.segments, "provider": provider,
           "idempotency_key": idempotency_key(channel, out.activity_id),
           "updated_at": now, "sent_at": None, "provider_message_id": result.message_id, "cost_micros": 0,
           "error_code": (result.code or "")[:40] or None, "error_message": (result.message or "")[:1000] or None,
           "failed_at": None, "b_untried": 0}
    if result.kind == "sent":
        return row | {"status": "sent", "sent_at": now, "cost_micros": out.cost_micros}
    if not result.tried:  # put back without reaching the provider: its claim's attempt is given back
        return row | {"status": "queued", "b_untried": 1}
    if result.kind == "halt" or (result.kind == "retry" and attempts < MAX_ATTEMPTS):
        return row | {"status": "queued"}
    if result.kind == "unknown" or (result.kind == "retry" and result.code in channels.get(channel).codes.in_flight):
        return row | {"status": "unknown"}  # out of attempts while the provider still works on it: maybe sent
    return row | {"status": "failed", "failed_at": now}


def idempotency_key(channel: str, activity_id: int) -> str | None:
    """The key that makes a resend of this activity safe, on channels whose provider takes one (else None)."""
    make = channels.get(channel).idempotency_key
    return make(activity_id) if make else None


def _literals(*words: str) -> list[Any]:
    return [sa.literal_column(f"'{w}'") for w in words]


def _update(session: Session, rows: list[dict[str, Any]], *, with_claim: bool = False, sent: bool = False) -> None:
    """One executemany. Failures and re-queues apply only to rows still "sending". A success also applies to a row
    a delivery webhook already moved forward (its status, error and failure time stay; the id, time and cost are
    recorded)."""
    if not rows:
        return
    table = MarketingActivity.__table__
    values: dict[str, Any] = {key: sa.bindparam(key) for key in _RECORD_KEYS}
    values["attempts"] = table.c.attempts - sa.bindparam("b_untried")  # only attempts at the provider count
    if with_claim:  # back to the queue: neither claimed nor in doubt any more
        values["claimed_at"] = values["requested_at"] = None
    where = [table.c.id == sa.bindparam("b_id")]
    if sent:  # literal lists: executemany cannot expand IN parameters
        ours = table.c.status.in_(_literals("sending", "unknown"))
        for key in ("status", "error_code", "error_message", "failed_at"):  # e.g. a bounce that got here first
            values[key] = sa.case((ours, sa.bindparam(key)), else_=table.c[key])
        where.append(table.c.status.notin_(_literals("queued", "deferred", "failed")))
    else:
        where.append(table.c.status == "sending")
    session.connection().execute(sa.update(table).where(*where).values(values), rows)


def _store_sandbox_events(session: Session, events: list[tuple[str, str, dict[str, Any]]]) -> list[int]:
    from tools.webhook_events import store_event

    ids = []
    for event_id, event_type, payload in events:
        provider = "postmark" if "RecordType" in payload else "sentdm"
        stored = store_event(session, provider, event_id, event_type, payload)
        if stored:
            ids.append(stored)
    return ids


def pause_for(session: Session, campaign_id: int, reason: str) -> None:
    """Pause a running campaign and keep the reason shown in its progress."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None and campaign.status == "running":
        campaign.status, campaign.pause_reason = "paused", reason[:500]
        log.warning("campaign %s paused: %s", campaign_id, reason)


def check_error_threshold(session: Session, campaign_id: int) -> None:
    """Pause the campaign when too many of its attempted sends failed, saying why."""
    s = get_settings()
    counts = q.status_counts(session, campaign_id)
    failed = counts.get("failed", 0)
    attempted = failed + sum(counts.get(k, 0) for k in ("sent", "delivered", "opened", "clicked", "bounced",
                                                        "complained"))
    if attempted >= s.campaign_error_min_attempts and failed / attempted >= s.campaign_error_threshold:
        last = session.scalar(sa.select(MarketingActivity.error_message).where(
            MarketingActivity.campaign_id == campaign_id, MarketingActivity.status == "failed")
            .order_by(MarketingActivity.failed_at.desc()).limit(1))
        pause_for(session, campaign_id, f"{failed} of {attempted} attempted sends failed "
                                        f"(threshold {s.campaign_error_threshold:.0%}); last error: {last}")
