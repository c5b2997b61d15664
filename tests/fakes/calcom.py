"""Cal.com webhook deliveries as CONTRACTS.md section 4 shows them: the v2021-10-20 booking payload, the
per-trigger extras, and the X-Cal-Signature-256 header (hex HMAC-SHA256 of the raw body; the literal
"no-secret-provided" when the webhook has no secret)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def booking(trigger: str = "BOOKING_CREATED", *, uid: str = "bFJeNb2uX8ANpT3JL5EfXw", booking_id: int = 1234,
            email: str = "ana@example.com", name: str = "Ana Lima", start: datetime | None = None,
            created_at: datetime | None = None, status: str | None = None, metadata: dict[str, Any] | None = None,
            **extra: Any) -> dict[str, Any]:
    start = start or datetime(2026, 5, 21, 14, 0, tzinfo=UTC)
    first, _, last = name.partition(" ")
    statuses = {"BOOKING_REQUESTED": "PENDING", "BOOKING_CANCELLED": "CANCELLED", "BOOKING_REJECTED": "REJECTED"}
    payload = {
        "bookingId": booking_id, "uid": uid, "iCalUID": f"{uid}@Cal.com", "eventTypeId": 42, "type": "discovery-call",
        "title": f"Discovery call between Acme and {name}", "description": "", "additionalNotes": "",
        "customInputs": {}, "startTime": _iso(start), "endTime": _iso(start + timedelta(minutes=30)),
        "organizer": {"id": 7, "name": "Sam", "email": "sam@acme.test", "username": "sam",
                      "timeZone": "Europe/Berlin", "language": {"locale": "en"}, "timeFormat": "h:mma",
                      "utcOffset": 120, "usernameInOrg": None},
        "attendees": [{"name": name, "firstName": first, "lastName": last, "email": email,
                       "timeZone": "America/Sao_Paulo", "language": {"locale": "pt"}, "utcOffset": -180,
                       "phoneNumber": None}],
        "responses": {"name": {"label": "your_name", "value": name},
                      "email": {"label": "email_address", "value": email},
                      "notes": {"label": "Additional notes", "value": ""}},
        "userFieldsResponses": {}, "location": "integrations:daily", "conferenceData": None,
        "destinationCalendar": None, "hashedLink": None, "requiresConfirmation": None,
        "eventTitle": "Discovery call", "eventDescription": None, "price": 0, "currency": "usd", "length": 30,
        "smsReminderNumber": None, "assignmentReason": None,
        "status": status or statuses.get(trigger, "ACCEPTED"),
        "metadata": metadata if metadata is not None else {"videoCallUrl": f"https://app.cal.com/video/{uid}"},
        **extra}
    return envelope(trigger, payload, created_at)


def rescheduled(*, old_uid: str, new_uid: str, start: datetime, created_at: datetime | None = None,
                **kw: Any) -> dict[str, Any]:
    return booking("BOOKING_RESCHEDULED", uid=new_uid, start=start, created_at=created_at, rescheduleUid=old_uid,
                   rescheduleId=1234, rescheduleStartTime=_iso(start), rescheduledBy="ana@example.com", **kw)


def cancelled(uid: str = "bFJeNb2uX8ANpT3JL5EfXw", created_at: datetime | None = None,
              start: datetime | None = None) -> dict[str, Any]:
    return booking("BOOKING_CANCELLED", uid=uid, created_at=created_at, start=start, cancelledBy="ana@example.com",
                   cancellationReason="conflict", requestReschedule=False)


def no_show(uid: str = "bFJeNb2uX8ANpT3JL5EfXw", email: str = "ana@example.com", *, no_show_flag: bool = True,
            created_at: datetime | None = None) -> dict[str, Any]:
    return envelope("BOOKING_NO_SHOW_UPDATED", {"bookingUid": uid, "bookingId": 1234,
                                                "attendees": [{"email": email, "noShow": no_show_flag}],
                                                "message": "x"}, created_at)


def meeting_ended(uid: str = "bFJeNb2uX8ANpT3JL5EfXw", created_at: datetime | None = None) -> dict[str, Any]:
    return envelope("MEETING_ENDED", {"id": 1234, "uid": uid, "title": "Discovery call",
                                      "startTime": "2026-05-21T14:00:00.000Z", "endTime": "2026-05-21T14:30:00.000Z",
                                      "attendees": [{"email": "ana@example.com", "name": "Ana Lima"}],
                                      "user": {"email": "sam@acme.test"}}, created_at)


def envelope(trigger: str, payload: dict[str, Any], created_at: datetime | None = None) -> dict[str, Any]:
    return {"triggerEvent": trigger, "createdAt": _iso(created_at or datetime.now(UTC)), "payload": payload}


def dumps(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def headers(secret: str | None, body: bytes) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else "no-secret-provided"
    return {"Content-Type": "application/json", "X-Cal-Signature-256": signature,
            "X-Cal-Webhook-Version": "2021-10-20"}
