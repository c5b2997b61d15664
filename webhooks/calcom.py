"""POST /webhooks/calcom: Cal.com booking events signed with X-Cal-Signature-256 (hex HMAC-SHA256 of the raw
body with MKT_CALCOM_WEBHOOK_SECRET; CONTRACTS.md 4.1). Events whose createdAt is older than
MKT_CALCOM_MAX_EVENT_AGE_SECONDS are refused as replays; the rest are stored once per
trigger + booking uid + createdAt, so a redelivery changes nothing. PING answers without storing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from settings import get_settings
from webhooks.auth import parse_json, read_body, refuse, verify_calcom
from webhooks.inbox import accept

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Body is not JSON"}, 401: {"description": "Missing, invalid signature or stale event"},
    413: {"description": "Body too large"}, 422: {"description": "JSON without triggerEvent or booking uid"},
    503: {"description": "Cal.com webhooks are not configured"}}


def _created_at(envelope: dict[str, Any]) -> datetime:
    raw = envelope.get("createdAt")
    try:
        parsed = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(422, "createdAt must be an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def event_key(trigger: str, envelope: dict[str, Any]) -> str:
    payload = envelope.get("payload") if isinstance(envelope.get("payload"), dict) else {}
    uid = payload.get("bookingUid") or payload.get("uid") or payload.get("bookingId")
    if not uid:
        raise HTTPException(422, f"{trigger}: the payload has no booking uid")
    return f"{trigger}:{uid}:{envelope.get('createdAt')}"


@router.post("/calcom", responses=_RESPONSES, summary="Cal.com webhook")
async def calcom(request: Request) -> dict[str, Any]:
    """Receive a signed Cal.com event; answers 200 {"status": accepted|duplicate|pong}."""
    settings = get_settings()
    if not settings.calcom_webhook_secret:
        raise HTTPException(503, "Cal.com webhooks are not configured: set MKT_CALCOM_WEBHOOK_SECRET and the same "
                                 "secret on the Cal.com webhook")
    body = await read_body(request)
    reason = verify_calcom(settings.calcom_webhook_secret, body, request.headers.get("x-cal-signature-256"))
    if reason:
        raise refuse(reason)
    envelope = parse_json(body)
    trigger = envelope.get("triggerEvent")
    if not isinstance(trigger, str) or not trigger:
        raise HTTPException(422, "a Cal.com webhook needs a triggerEvent")
    if trigger == "PING":
        return {"status": "pong", "event_id": ""}
    age = (datetime.now(UTC) - _created_at(envelope)).total_seconds()
    if age > settings.calcom_max_event_age_seconds:
        raise refuse(f"stale event: created {int(age)} s ago (limit {settings.calcom_max_event_age_seconds} s)")
    return await accept("calcom", event_key(trigger, envelope), trigger, envelope)
