"""Provider webhooks and the one-click unsubscribe.

- POST /webhooks/postmark: HTTP basic auth (Postmark signs nothing, CONTRACTS.md 2.3); wrong or missing
  credentials answer 401 so Postmark retries once fixed (403 would stop its retries).
- POST /webhooks/sentdm: the v1 signature (HMAC-SHA256 over "{id}.{timestamp}.{body}", 5-minute window). Events are
  stored once by signed data only (`sentdm_event_key`): the unsigned X-Webhook-Event-Id header is never trusted, so a
  captured request replayed with a fresh header is a duplicate.
- GET /unsubscribe/{token}: a confirmation page (mail scanners follow GET links, so GET changes nothing);
  POST /unsubscribe/{token}: opt out at once (RFC 8058 one-click sends `List-Unsubscribe=One-Click`).

Verified events go through the same inbox intake as the other providers (webhooks/inbox.py: stored once, in group
commits; processing enqueued only when new, by tools/campaigns/deliveries.py), which answers {"status": "accepted"}
or {"status": "duplicate"}. Opting out is the tools' work: the processing (bounces, complaints, STOP) and the
unsubscribe link (`deliveries.unsubscribe_link`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from settings import get_settings
from webhooks.auth import MAX_JSON_DEPTH, json_too_deep, read_body
from webhooks.inbox import accept

router = APIRouter(tags=["webhooks"])


async def _body(request: Request) -> bytes:
    return await read_body(request)  # refused while streaming past the limit, never buffered whole first


def _json(body: bytes) -> dict[str, Any]:
    if json_too_deep(body):
        raise HTTPException(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise HTTPException(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "body must be a JSON object")
    return data


async def _accept(provider: str, event_id: str, event_type: str, payload: dict[str, Any]) -> JSONResponse:
    """The shared intake (stored once, enqueued when new); the answer keeps only its status (no event id)."""
    answer = await accept(provider, event_id, event_type, payload)
    return JSONResponse({"status": answer["status"]})


def _basic_ok(header: str | None, user: str, password: str) -> bool:
    if not (user and password and header and header.lower().startswith("basic ")):
        return False
    try:
        given = base64.b64decode(header[6:].strip()).decode()
    except (ValueError, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given.encode(), f"{user}:{password}".encode())


@router.post("/webhooks/postmark")
async def postmark_webhook(request: Request) -> JSONResponse:
    s = get_settings()
    if not _basic_ok(request.headers.get("authorization"), s.postmark_webhook_user, s.postmark_webhook_password):
        return JSONResponse({"error": "bad or missing credentials"}, status_code=401,
                            headers={"WWW-Authenticate": 'Basic realm="postmark"'})
    body = await _body(request)
    payload = _json(body)
    kind = str(payload.get("RecordType") or "Inbound")
    event_id = f"{kind}:{hashlib.sha256(body).hexdigest()}"  # Postmark has no event id; a retry repeats the body
    return await _accept("postmark", event_id, kind, payload)


def sentdm_event_key(payload: dict[str, Any], kind: str, body: bytes) -> str:
    """The identity of a Sent.dm event, from the signed body only: its own event id when it carries one, else its
    kind and message id (one "delivered" per message, one "received" per inbound message), else the hash of the
    signed body (a redelivery repeats the body; a new inbound message has its own text and time)."""
    own = payload.get("id") or payload.get("event_id")
    if isinstance(own, str | int) and str(own):
        return f"event:{own}"
    inner = payload.get("payload") if isinstance(payload.get("payload"), dict) else {}
    message_id = inner.get("message_id")
    if isinstance(message_id, str | int) and str(message_id):
        return f"{kind}:{message_id}"
    return f"{kind}:body:{hashlib.sha256(body).hexdigest()}"


@router.post("/webhooks/sentdm")
async def sentdm_webhook(request: Request) -> JSONResponse:
    from integrations.sentdm import verify_signature

    s = get_settings()
    body = await _body(request)
    h = request.headers
    if not verify_signature(s.sentdm_webhook_secret, h.get("x-webhook-id", ""), h.get("x-webhook-timestamp", ""),
                            body, h.get("x-webhook-signature", "")):
        return JSONResponse({"error": "bad signature or stale timestamp"}, status_code=401)
    payload = _json(body)
    kind = str(payload.get("sub_type") or payload.get("event") or payload.get("field") or "unknown")
    event_id = sentdm_event_key(payload, kind, body)
    return await _accept("sentdm", event_id, kind, payload)


def _unsubscribe(token: str, apply: bool) -> str | None:
    from db.session import unit_of_work
    from tools.campaigns.deliveries import unsubscribe_link

    with unit_of_work() as uow:
        return unsubscribe_link(uow.session, token, apply=apply)


def _page(title: str, text: str, form: str = "") -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><meta charset='utf-8'><title>{title}</title>"
                        f"<h1>{title}</h1><p>{text}</p>{form}")


@router.get("/unsubscribe/{token}")
async def unsubscribe_page(token: str) -> HTMLResponse:
    address = await run_in_threadpool(_unsubscribe, token, False)
    if address is None:
        return HTMLResponse(_page("Link not valid", "This unsubscribe link is not valid.").body, status_code=404)
    form = (f"<form method='post' action='/unsubscribe/{html.escape(token, quote=True)}'>"
            "<button type='submit'>Unsubscribe</button></form>")
    return _page("Unsubscribe", f"Stop marketing emails to {html.escape(address)}?", form)


@router.post("/unsubscribe/{token}")
async def unsubscribe(token: str) -> HTMLResponse:
    address = await run_in_threadpool(_unsubscribe, token, True)
    if address is None:
        return HTMLResponse(_page("Link not valid", "This unsubscribe link is not valid.").body, status_code=404)
    return _page("Unsubscribed", f"{html.escape(address)} will receive no more marketing emails.")
