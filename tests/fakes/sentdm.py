"""A local Sent.dm v3-compatible server (CONTRACTS.md section 1) for tests and benchmarks.

POST /v3/messages -> 202 with the v3 envelope; x-api-key (401 AUTH_001/AUTH_002); E.164 check (400
VALIDATION_002); Idempotency-Key (pattern check VALIDATION_007; a replay answers the first response with
Idempotent-Replayed: true and X-Original-Request-Id, whatever the new body); numbers opted out at the provider
(422 BUSINESS_004); numbers refused as invalid (400 VALIDATION_001); scripted failures (429 BUSINESS_002 with
Retry-After, 500, 503); provider storms (`storm`: one `Fault` per request in arrival order; `outage`: a fault for
every request while set): errors, slow answers, answers too late for the client's timeout (the message went out;
its key is in flight meanwhile, so a retry gets 409 CONFLICT_001, later the replay) and hangs (nothing went out);
a token-bucket rate limit in messages per second (429 when exceeded, counted in `over_limit`); latency; a record
of what was "delivered" (one entry per new idempotency key) and of every send request (`log`: arrival time, key,
number, answer). `signed_webhook` builds a signed status or inbound event."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from integrations.sentdm import sign
from tests.fakes.postmark import Fault, TokenBucket, scripted

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
KEY = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"fake-sentdm-webhook-secret-32byte").decode()


@dataclass
class FakeSentDm:
    api_key: str = "11111111-2222-3333-4444-555555555555"
    rate_per_second: float = 0.0
    burst: float = 0.0
    latency: float = 0.0
    opted_out: set[str] = field(default_factory=set)
    invalid: set[str] = field(default_factory=set)  # numbers refused with 400 VALIDATION_001
    failures: list[tuple[int, float | None]] = field(default_factory=list)
    storm: list[Fault | None] = field(default_factory=list)  # one per send request, in arrival order (None: normal)
    outage: Fault | None = None  # every send request gets this fault while set
    delivered: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)  # one entry per send request: at, key, to, status, ...
    observe: Callable[[], Any] | None = None  # set by a test: its value as each send request arrives goes in `log`
    replays: int = 0
    requests: int = 0
    over_limit: int = 0
    request_times: list[float] = field(default_factory=list)
    _cache: dict[str, dict[str, Any]] = field(default_factory=dict)
    _in_flight: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.rate_per_second, self.burst, self.burst or self.rate_per_second)

    def per_key(self) -> Counter:
        return Counter(m["key"] for m in self.delivered)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/__health")
        async def health() -> dict[str, str]:
            return {"ok": "yes"}

        @app.post("/v3/messages")
        async def send(request: Request) -> JSONResponse:
            return await self._send(request)

        return app

    async def _send(self, request: Request) -> JSONResponse:
        self.requests += 1
        self.request_times.append(time.monotonic())
        entry: dict[str, Any] = {"at": self.request_times[-1], "key": request.headers.get("idempotency-key"),
                                 "to": [], "fault": None, "status": 0, "code": None, "retry_after": None,
                                 "seen": self.observe() if self.observe else None}
        self.log.append(entry)
        response = await self._answer(request, entry)
        entry["status"] = response.status_code
        if response.status_code >= 400:
            entry["code"] = json.loads(response.body)["error"]["code"]
        return response

    async def _answer(self, request: Request, entry: dict[str, Any]) -> JSONResponse:
        key_header = request.headers.get("x-api-key")
        if not key_header:
            return _error(401, "AUTH_001", "API key missing")
        if key_header != self.api_key:
            return _error(401, "AUTH_002", "API key invalid")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "VALIDATION_001", "Request body is not valid JSON")
        entry["to"] = [str(n) for n in body.get("to") or []] if isinstance(body, dict) else []
        refused, fault = await scripted(self, entry, lambda: _error(504, "INTERNAL_004", "Gateway timeout (the "
                                                                   "request was dropped)"))
        if refused is not None:
            return refused
        if not self.bucket.take(1):
            self.over_limit += 1
            entry["retry_after"] = 1.0
            return _error(429, "BUSINESS_002", "Rate limit exceeded", {"Retry-After": "1"})
        idem = entry["key"]
        if idem is not None and not KEY.match(idem):
            return _error(400, "VALIDATION_007", "Invalid Idempotency-Key")
        if idem in self._in_flight:
            return _error(409, "CONFLICT_001", "A request with this Idempotency-Key is still being processed")
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        if idem in self._cache:
            self.replays += 1
            first = self._cache[idem]
            return JSONResponse(first["body"], status_code=202, headers={
                "Idempotent-Replayed": "true", "X-Original-Request-Id": first["request_id"]})
        if fault is not None and fault.kind == "late":  # the key is in flight while the answer is held back
            self._in_flight.add(idem)
            try:
                await asyncio.sleep(fault.seconds)
                return await self._accept(body, idem)
            finally:
                self._in_flight.discard(idem)
        return await self._accept(body, idem)

    def _refuse(self, entry: dict[str, Any], status: int, retry_after: float | None) -> JSONResponse:
        entry["retry_after"] = retry_after
        code = {429: "BUSINESS_002", 500: "INTERNAL_001", 502: "INTERNAL_003", 504: "INTERNAL_004"}.get(
            status, "SERVICE_001")
        text = "Rate limit exceeded" if status == 429 else "Service temporarily unavailable"
        return _error(status, code, text, {"Retry-After": f"{retry_after:g}"} if retry_after is not None else None)

    async def _accept(self, body: dict[str, Any], idem: str | None) -> JSONResponse:
        to = body.get("to") or []
        if not isinstance(to, list) or not to:
            return _error(400, "VALIDATION_004", "to is required", details={"to": ["required"]})
        bad = [n for n in to if not E164.match(str(n))]
        if bad:
            return _error(400, "VALIDATION_002", "Phone must be E.164", details={"to": bad})
        if not body.get("text") and not body.get("template"):
            return _error(400, "VALIDATION_004", "text or template required")
        if any(n in self.invalid for n in to):
            return _error(400, "VALIDATION_001", "Validation failed",
                          details={"to": [f"{n} is not a valid mobile number" for n in to if n in self.invalid]})
        if all(n in self.opted_out for n in to):
            return _error(422, "BUSINESS_004", "All recipients opted out")
        if self.latency:
            await asyncio.sleep(self.latency)
        request_id = f"req_{uuid.uuid4().hex[:12]}"
        recipients = []
        for number in to:
            message_id = str(uuid.uuid4())
            recipients.append({"message_id": message_id, "to": number, "channel": "sms", "body": body.get("text")})
            self.delivered.append({"key": idem, "to": number, "text": body.get("text"), "message_id": message_id})
        envelope = {"success": True, "data": {"status": "QUEUED", "recipients": recipients}, "error": None,
                    "meta": {"request_id": request_id, "version": "v3"}}
        if idem:
            self._cache[idem] = {"body": envelope, "request_id": request_id}
        return JSONResponse(envelope, status_code=202, headers={"X-Request-Id": request_id})


def status_event(message_id: str, status: str, to: str = "+15125550100") -> dict[str, Any]:
    sub_type = f"message.{status.lower()}"
    return {"field": "message", "sub_type": sub_type, "event": sub_type, "timestamp": "2026-05-19T10:10:42Z",
            "payload": {"account_id": "acc", "message_id": message_id, "message_status": status.upper(),
                        "channel": "sms", "inbound_number": to, "outbound_number": "+12125550000"}}


def inbound_event(from_number: str, text: str) -> dict[str, Any]:
    return {"field": "message", "sub_type": "message.received", "event": "message.received",
            "timestamp": "2026-05-19T10:10:42Z",
            "payload": {"account_id": "acc", "from": from_number, "to": "+12125550000", "text": text,
                        "channel": "sms", "provider": "Telnyx", "received_at": "2026-05-19T10:10:40Z"}}


def signed_webhook(event: dict[str, Any], secret: str = WEBHOOK_SECRET, event_id: str | None = None,
                   timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers Sent.dm would post for `event`."""
    body = json.dumps(event).encode()
    ts = str(timestamp if timestamp is not None else int(time.time()))
    webhook_id = "wh_endpoint_1"
    return body, {"content-type": "application/json", "x-webhook-id": webhook_id, "x-webhook-timestamp": ts,
                  "x-webhook-signature": sign(secret, webhook_id, ts, body),
                  "x-webhook-event-id": event_id or f"evt_{uuid.uuid4().hex}", "x-webhook-event-type": "messages"}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
           details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"success": False, "data": None, "error": {"code": code, "message": message,
                                                                   "details": details, "doc_url": None},
                         "meta": {"request_id": f"req_{uuid.uuid4().hex[:8]}", "version": "v3"}},
                        status_code=status, headers=headers)
