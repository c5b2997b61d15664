"""Delivery webhooks (Postmark and Sent.dm, real or sandbox-simulated) applied to activities.

Monotonic: a status only moves forward in domain.campaigns.ACTIVITY_ORDER (queued < sending/unknown < sent < failed <
delivered < opened < clicked < bounced < complained: a delivery receipt outranks a failure report whichever arrives
first; bounced and complained override). Each step's time is the earliest one seen (an open or a click also proves delivery by its time), so
events can arrive in any order and replays change nothing. Bounces, complaints and unsubscribes go to tools.contacts.optouts.
Inbound SMS: STOP-family keywords opt out, START opts back in, HELP queues the help answer; every inbound message
is recorded as a conversation message (stop-on-reply uses it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import ConversationMessage, MarketingActivity, WebhookEvent, utcnow
from domain.campaigns import moves_forward, verify_token
from domain.keywords import Keyword, classify
from tools.campaigns.email_tracking import record_click
from tools.campaigns.messages import unsubscribe_secret
from tools.contacts.optouts import opt_in, opt_out
from tools.contacts.records import find_by_address
from tools.sequences import exits as sequence_exits

STAMP = {"sent": "sent_at", "delivered": "delivered_at", "opened": "opened_at", "clicked": "clicked_at",
         "failed": "failed_at", "bounced": "failed_at"}


def advance(activity: MarketingActivity, status: str, at: datetime | None = None) -> bool:
    """Move `activity` to `status` if that is forward. Records the time of the step either way (the earliest
    seen). True if moved."""
    at = at or utcnow()
    _stamp(activity, STAMP.get(status), at)
    if status in ("opened", "clicked"):
        _stamp(activity, "delivered_at", at)  # an open proves delivery (by then at the latest)
    if not moves_forward(activity.status, status):
        return False
    activity.status = status
    return True


def _stamp(activity: MarketingActivity, column: str | None, at: datetime) -> None:
    """Keep the earliest time of a step: a click seen before the delivery must not stand as the delivery time."""
    if column is None:
        return
    current = getattr(activity, column)
    if current is None or at < (current if current.tzinfo else current.replace(tzinfo=UTC)):
        setattr(activity, column, at)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


def _activity(session: Session, message_id: str | None, metadata: dict[str, Any] | None) -> MarketingActivity | None:
    """The activity an event is about, locked for this transaction (FOR UPDATE on PostgreSQL) so that two events
    processed at once cannot both read the old status and the later commit win."""
    activity_id = (metadata or {}).get("activity_id")
    if activity_id and str(activity_id).isdigit():
        found = session.get(MarketingActivity, int(activity_id), with_for_update=True)
        if found is not None:
            return found
    if message_id:
        return session.scalar(sa.select(MarketingActivity).where(
            MarketingActivity.provider_message_id == str(message_id)).limit(1).with_for_update())
    return None


class NotRecordedYet(LookupError):
    """A status event for a message whose send is not recorded yet: raised so the inbox retries it later."""


# --- Postmark ---------------------------------------------------------------------------------------------

POSTMARK_STATUS = {"Delivery": ("delivered", "DeliveredAt"), "Open": ("opened", "ReceivedAt"),
                   "Click": ("clicked", "ReceivedAt")}


def process_postmark(session: Session, event: WebhookEvent) -> str | None:
    """Apply one Postmark webhook (Delivery, Open, Click, Bounce, SpamComplaint, SubscriptionChange)."""
    p = event.payload or {}
    kind = p.get("RecordType")
    activity = _activity(session, p.get("MessageID"), p.get("Metadata"))
    address = p.get("Recipient") or p.get("Email")
    if kind in POSTMARK_STATUS:
        status, stamp = POSTMARK_STATUS[kind]
        if activity is None:
            return "ignored"
        advance(activity, status, _parse_time(p.get(stamp)))
        if kind == "Click":
            record_click(session, activity, p.get("OriginalLink"), _parse_time(p.get(stamp)))
        return None
    if kind == "Bounce":
        return _bounce(session, activity, p, address)
    if kind == "SpamComplaint":
        if activity is not None:
            advance(activity, "complained")
        if address:
            opt_out(session, "email", address, reason="complaint", source="complaint", note="spam complaint")
        return None
    if kind == "SubscriptionChange" and address:
        if p.get("SuppressSending"):
            opt_out(session, "email", address, source="email_unsubscribe",
                    note=f"Postmark subscription change ({p.get('SuppressionReason')})")
        else:
            opt_in(session, "email", address, source="email_unsubscribe")
        return None
    return "ignored"


def _bounce(session: Session, activity: MarketingActivity | None, p: dict[str, Any], address: str | None) -> None:
    hard = p.get("Type") == "HardBounce" or p.get("TypeCode") == 1
    if activity is not None and not hard and activity.status == "sending":
        raise NotRecordedYet(f"soft bounce for activity {activity.id} before its send is recorded (retried later: "
                             "recording the send would clear the bounce's note)")
    if activity is not None:
        activity.error_code = str(p.get("Type") or "Bounce")[:40]
        activity.error_message = str(p.get("Description") or p.get("Details") or "")[:1000]
        if hard:
            advance(activity, "bounced", _parse_time(p.get("BouncedAt")))
    if hard and address:
        opt_out(session, "email", address, reason="hard_bounce", source="bounce", note="hard bounce")
    return None


# --- Sent.dm ----------------------------------------------------------------------------------------------

SENTDM_STATUS = {"SENT": "sent", "DELIVERED": "delivered", "READ": "opened", "FAILED": "failed",
                 "BLOCKED": "failed", "FILTERED": "failed"}


def process_sentdm(session: Session, event: WebhookEvent) -> str | None:
    """Apply one Sent.dm webhook: message.* status changes, or an inbound SMS (keywords)."""
    p = event.payload or {}
    body = p.get("payload") or {}
    sub_type = p.get("sub_type") or p.get("event") or ""
    if p.get("field") != "message":
        return "ignored"
    if sub_type == "message.received":
        return _inbound_sms(session, body, _parse_time(body.get("received_at")) or utcnow())
    status = SENTDM_STATUS.get(str(body.get("message_status") or sub_type.rsplit(".", 1)[-1]).upper())
    if status is None:
        return "ignored"
    activity = _activity(session, body.get("message_id"), None)
    if activity is None:
        if str(body.get("message_id") or "").startswith("sandbox-") or not body.get("message_id"):
            return "ignored"
        raise NotRecordedYet(f"no activity with Sent.dm message id {body.get('message_id')} yet (retried later: "
                             "the webhook may have beaten our record of the send)")
    if status == "failed":
        activity.error_code = str(body.get("reason_code") or "FAILED")[:40]
        activity.error_message = str(body.get("reason") or "")[:1000] or activity.error_message
    advance(activity, status, _parse_time(p.get("timestamp")))
    return None


def _inbound_sms(session: Session, body: dict[str, Any], at: datetime) -> str | None:
    sender, text = body.get("from"), str(body.get("text") or "")
    if not sender:
        return "ignored"
    contact = find_by_address(session, phone=sender)
    session.add(ConversationMessage(contact_id=contact.id if contact else None, channel="sms", direction="inbound",
                                    body=text[:10_000], sender=str(sender)[:320], occurred_at=at))
    keyword = classify(text)
    if keyword is Keyword.OPT_OUT:
        opt_out(session, "sms", sender, source="sms_keyword", note=f"replied {text.strip()[:50]!r}")
    elif keyword is Keyword.OPT_IN:
        opt_in(session, "sms", sender, source="sms_keyword")
    elif keyword is Keyword.HELP and contact is not None:
        session.add(MarketingActivity(campaign_id=None, contact_id=contact.id, channel="sms", type="help",
                                      status="queued", to_address=contact.phone))
    if contact is not None and keyword is None:  # a reply leaves the sequences (a STOP's opt-out exit did already)
        sequence_exits.on_event(session, [contact.id], "replied")
    session.flush()
    return None


# --- The one-click unsubscribe link ------------------------------------------------------------------------------

def unsubscribe_link(session: Session, token: str, *, apply: bool) -> str | None:
    """The email address an unsubscribe link's signed `token` stands for (the address its activity was sent to),
    opted out (tools.contacts.optouts, source email_unsubscribe) when `apply`; None for a token that is not ours,
    or whose activity is gone, has no address or is not an email. Idempotent: a second click changes nothing."""
    activity_id = verify_token(unsubscribe_secret(), token)
    if activity_id is None:
        return None
    activity = session.get(MarketingActivity, activity_id)
    if activity is None or not activity.to_address or activity.channel != "email":
        return None
    if apply:
        opt_out(session, "email", activity.to_address, source="email_unsubscribe",
                note=f"unsubscribe link (activity {activity_id})")
    return activity.to_address
