"""POST /webhooks/chatwoot: signed, or with ?token=<secret> for older Chatwoot versions that cannot sign.

With MKT_CHATWOOT_WEBHOOK_SECRET set, every request must carry a fresh, valid X-Chatwoot-Signature
(HMAC-SHA256 of "{timestamp}.{body}"; CONTRACTS.md 3.3). Without it, the URL must carry
MKT_CHATWOOT_WEBHOOK_TOKEN as the `token` query parameter (a query string, not a path segment, because request logs
record the path but never the query string). With neither configured the endpoint refuses everything (503).
Events are stored once, keyed by signed data only (the unsigned X-Chatwoot-Delivery header is never trusted: a captured
request replayed with a fresh one is a duplicate): message_created by its message id, others by their own id and the
hash of the body (a Sidekiq retry repeats the body; a new change of the same object has other attributes or times)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request

from settings import get_settings
from webhooks.auth import parse_json, read_body, refuse, same, verify_chatwoot
from webhooks.inbox import accept

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Body is not JSON"}, 401: {"description": "Missing, invalid or stale signature/token"},
    413: {"description": "Body too large"}, 422: {"description": "JSON without an event name"},
    503: {"description": "Chatwoot webhooks are not configured"}}


def _authenticate(request: Request, body: bytes, token: str | None) -> None:
    settings = get_settings()
    secret, expected_token = settings.chatwoot_webhook_secret, settings.chatwoot_webhook_token
    if not secret and not expected_token:
        raise HTTPException(503, "Chatwoot webhooks are not configured: set MKT_CHATWOOT_WEBHOOK_SECRET "
                                 "(signed) or MKT_CHATWOOT_WEBHOOK_TOKEN (secret URL)")
    if token is not None and (not expected_token or not same(expected_token, token)):
        raise refuse("invalid webhook token")
    if secret:
        reason = verify_chatwoot(secret, request.headers.get("x-chatwoot-timestamp"), body,
                                 request.headers.get("x-chatwoot-signature"),
                                 window=settings.webhook_replay_window_seconds)
        if reason:
            raise refuse(reason)
    elif token is None:
        raise refuse("this instance expects the secret token in the URL: /webhooks/chatwoot?token=<token>")


def event_key(payload: dict[str, Any], body: bytes) -> str:
    """The idempotency key: message_created by its Chatwoot message id; other events by their own id (message,
    conversation or contact id; message_updated stays findable by its message id for early edits) and the hash of
    the body."""
    event = str(payload["event"])
    own = payload.get("id")
    if event == "message_created" and own is not None:
        return f"message_created:{own}"
    digest = hashlib.sha256(body).hexdigest()[:40]
    return f"{event}:{own}:{digest}" if own is not None else f"{event}:{digest}"


async def _receive(request: Request, token: str | None) -> dict[str, Any]:
    body = await read_body(request)
    _authenticate(request, body, token)
    payload = parse_json(body)
    if not isinstance(payload.get("event"), str) or not payload["event"]:
        raise HTTPException(422, "a Chatwoot webhook needs an 'event' field")
    key = event_key(payload, body)
    return await accept("chatwoot", key, payload["event"], payload)


@router.post("/chatwoot", responses=_RESPONSES, summary="Chatwoot webhook")
async def chatwoot(request: Request, token: str | None = Query(
        None, description="MKT_CHATWOOT_WEBHOOK_TOKEN, when Chatwoot cannot sign (MKT_CHATWOOT_WEBHOOK_SECRET unset)")
        ) -> dict[str, Any]:
    """Receive a Chatwoot event, signed with X-Chatwoot-Signature or carrying the secret token; answers 200
    {"status": accepted|duplicate}."""
    return await _receive(request, token)
