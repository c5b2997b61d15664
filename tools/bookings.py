"""Cal.com bookings: the webhook processor (provider "calcom") behind calendar_bookings.

One row per booking, found by its uid; a reschedule moves the same row to the new uid (every uid it has had
is kept in data["uids"], so late events about the old uid still find it). One booking per meeting whatever the number
of workers: on PostgreSQL an event first takes a transaction-scoped advisory lock per uid it names (its uid and the
uid it reschedules, in sorted order), so a booking and its reschedule handled at the same moment by two workers are
applied one after the other and the second finds the first's row. Order tolerance: the envelope's createdAt is the
event time; an event older than the row's last_event_at may fill missing fields but never changes status or times;
when times tie the later stage of the lifecycle wins (cancelled > rescheduled > created), whatever the order handled. Contact: the first attendee's email (created, source "calcom", when unknown).
Campaign: metadata/UTM (utm_campaign, mkt_campaign, campaign_id: an id or an exact name), else last touch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import CalendarBooking, Contact, WebhookEvent, utcnow
from domain.contacts import normalise_email
from tools import outbound
from tools.campaigns.attribution import campaign_by_reference, last_campaign_touch, stop_follow_ups
from tools.contacts.records import get_or_create
from tools.sequences import exits as sequence_exits

STATUS = {"BOOKING_CREATED": "accepted", "BOOKING_RESCHEDULED": "accepted", "BOOKING_CANCELLED": "cancelled",
          "BOOKING_REJECTED": "rejected", "BOOKING_REQUESTED": "requested", "MEETING_ENDED": "ended",
          "BOOKING_NO_SHOW_UPDATED": "no_show"}
CAMPAIGN_KEYS = ("mkt_campaign", "mkt_campaign_id", "campaign_id", "utm_campaign", "campaign")
STAGE = {"BOOKING_REQUESTED": 0, "BOOKING_CREATED": 1, "BOOKING_RESCHEDULED": 2, "BOOKING_REJECTED": 3,
         "BOOKING_CANCELLED": 3, "MEETING_ENDED": 4, "BOOKING_NO_SHOW_UPDATED": 5}  # ties: the later stage wins
LOCK_NAMESPACE = 0x63616c63  # pg_advisory_xact_lock(namespace, hashtext(uid))


def lock_uids(session: Session, uids: list[str]) -> None:
    """Serialise the events of one booking across workers (PostgreSQL; SQLite serialises writers anyway): one
    transaction-scoped advisory lock per uid, taken in sorted order (no deadlock), held until commit."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for uid in sorted(set(uids)):
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:ns, hashtext(:uid))"), {"ns": LOCK_NAMESPACE, "uid": uid})


def _is_newer(row: CalendarBooking, trigger: str, event_at: datetime) -> bool:
    if row.last_event_at is None:
        return True
    last = row.last_event_at if row.last_event_at.tzinfo else row.last_event_at.replace(tzinfo=UTC)
    if event_at != last:
        return event_at > last
    return STAGE.get(trigger, 0) >= STAGE.get(str((row.data or {}).get("last_trigger")), 0)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from Cal.com as a tz-aware datetime (UTC when no offset is given), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def booking_uid(trigger: str, payload: dict[str, Any]) -> str | None:
    """The booking uid an event is about (BOOKING_NO_SHOW_UPDATED names it bookingUid)."""
    uid = payload.get("bookingUid") if trigger == "BOOKING_NO_SHOW_UPDATED" else payload.get("uid")
    return str(uid) if uid else None


def _attendee(payload: dict[str, Any]) -> dict[str, Any]:
    attendees = payload.get("attendees") or []
    first = attendees[0] if attendees and isinstance(attendees[0], dict) else {}
    if not first.get("email"):
        email = ((payload.get("responses") or {}).get("email") or {}).get("value")
        first = {**first, "email": email}
    return first


def _status(trigger: str, payload: dict[str, Any]) -> str | None:
    if trigger == "BOOKING_CREATED" and str(payload.get("status") or "").upper() == "PENDING":
        return "requested"
    if trigger == "BOOKING_NO_SHOW_UPDATED":
        shows = [a.get("noShow") for a in payload.get("attendees") or [] if isinstance(a, dict)]
        return "no_show" if any(shows) else None
    return STATUS.get(trigger)


def _find(session: Session, uids: list[str], email: str | None) -> CalendarBooking | None:
    for uid in uids:
        row = session.scalar(sa.select(CalendarBooking).where(CalendarBooking.calcom_uid == uid))
        if row:
            return row
    if not email:
        return None
    for row in session.scalars(sa.select(CalendarBooking).where(CalendarBooking.attendee_email == email)):
        if set(uids) & set((row.data or {}).get("uids", [])):
            return row
    return None


def _campaign_ref(payload: dict[str, Any]) -> Any:
    for source in (payload.get("metadata"), payload.get("tracking"), payload.get("responses")):
        if not isinstance(source, dict):
            continue
        for key in CAMPAIGN_KEYS:
            value = source.get(key)
            value = value.get("value") if isinstance(value, dict) else value
            if value:
                return value
    return None


def _link_contact(session: Session, attendee: dict[str, Any]) -> tuple[Contact | None, bool]:
    if not normalise_email(attendee.get("email")).value:
        return None, False
    return get_or_create(session, email=attendee.get("email"), phone=attendee.get("phoneNumber"),
                         first_name=attendee.get("firstName"), last_name=attendee.get("lastName"),
                         source="calcom", actor="calcom")


def _fill(row: CalendarBooking, payload: dict[str, Any], uids: list[str], newer: bool) -> None:
    data = dict(row.data or {})
    data["uids"] = list(dict.fromkeys([*data.get("uids", []), *uids]))
    for key in ("bookingId", "eventTypeId", "type", "location", "cancellationReason", "organizer"):
        if payload.get(key) is not None and (newer or key not in data):
            data[key] = payload[key]
    row.data = data
    if payload.get("title") and (newer or not row.title):
        row.title = str(payload["title"])[:500]
    for attr, key in (("start_at", "startTime"), ("end_at", "endTime")):
        value = parse_time(payload.get(key))
        if value and (newer or getattr(row, attr) is None):
            setattr(row, attr, value)


def process_calcom(session: Session, event: WebhookEvent) -> str | None:
    """Apply one stored Cal.com event to calendar_bookings. Idempotent and order-tolerant."""
    envelope = event.payload or {}
    trigger = str(envelope.get("triggerEvent") or event.event_type)
    payload = envelope.get("payload") or {}
    uid = booking_uid(trigger, payload)
    if trigger not in STATUS or not uid or not isinstance(payload, dict):
        return "ignored"
    event_at = parse_time(envelope.get("createdAt")) or event.received_at or utcnow()
    uids = [uid] + ([str(payload["rescheduleUid"])] if payload.get("rescheduleUid") else [])
    attendee = _attendee(payload)
    email = normalise_email(attendee.get("email")).value
    lock_uids(session, uids)
    row = _find(session, uids, email)
    created = row is None
    if row is None:
        row = CalendarBooking(calcom_uid=uid, status=_status(trigger, payload) or "accepted", attendee_email=email,
                              last_event_at=event_at, data={}, title="")
        session.add(row)
    newer = created or _is_newer(row, trigger, event_at)
    _apply(session, row, trigger, payload, uids, newer, event_at)
    contact, contact_created = _link_once(session, row, attendee)
    if row.campaign_id is None:
        row.campaign_id = campaign_by_reference(session, _campaign_ref(payload)) or (
            last_campaign_touch(session, contact.id, event_at) if contact else None)
    session.flush()
    _announce(session, row, contact, created, contact_created)
    return None if newer or created else "ignored"


def _apply(session: Session, row: CalendarBooking, trigger: str, payload: dict[str, Any], uids: list[str],
           newer: bool, event_at: datetime) -> None:
    _fill(row, payload, uids, newer)
    if not newer:
        return
    status = _status(trigger, payload)
    if status:
        row.status = status
    row.last_event_at = event_at
    row.data = {**(row.data or {}), "last_trigger": trigger}
    if trigger == "BOOKING_RESCHEDULED" and row.calcom_uid != uids[0]:
        taken = session.scalar(sa.select(CalendarBooking.id).where(CalendarBooking.calcom_uid == uids[0]))
        if taken is None:
            row.calcom_uid = uids[0]


def _link_once(session: Session, row: CalendarBooking, attendee: dict[str, Any]) -> tuple[Contact | None, bool]:
    if row.contact_id is not None:
        return session.get(Contact, row.contact_id), False
    contact, created = _link_contact(session, attendee)
    if contact is not None:
        row.contact_id = contact.id
        row.attendee_email = row.attendee_email or contact.email
    return contact, created


def _announce(session: Session, row: CalendarBooking, contact: Contact | None, created: bool,
              contact_created: bool) -> None:
    if contact is not None and contact_created:
        outbound.emit(session, "contact.created", {"id": contact.id, "email": contact.email, "phone": contact.phone,
                                                   "first_name": contact.first_name, "last_name": contact.last_name})
    if not created or row.status not in ("accepted", "requested"):
        return
    if contact is not None:
        stop_follow_ups(session, contact.id, row.campaign_id, "stop_on_booking")
        sequence_exits.on_event(session, [contact.id], "booked")
    outbound.emit(session, "booking.created", {
        "booking_id": row.id, "calcom_uid": row.calcom_uid, "title": row.title, "status": row.status,
        "start_at": row.start_at, "end_at": row.end_at, "contact_id": row.contact_id,
        "attendee_email": row.attendee_email, "campaign_id": row.campaign_id})
