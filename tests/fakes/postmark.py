"""A local Postmark-compatible server (CONTRACTS.md section 2) for tests and benchmarks.

POST /email and /email/batch (<= 500 messages, else 422 ErrorCode 410), X-Postmark-Server-Token (401 ErrorCode 10),
per-element ErrorCodes (406 for inactive recipients, 300 for invalid addresses or empty bodies), scripted
whole-request failures (429 with Retry-After, 500, 503), provider storms (`storm`: one `Fault` per request in
arrival order; `outage`: a fault for every request while set): errors, slow answers, answers too late for the
client's timeout (the batch went out) and hangs (nothing went out), a token-bucket rate limit in messages per second
(exceeding it answers 429), latency, GET /messages/outbound?metadata_activity_id=... for reconciliation, a record of
every message accepted ("delivered") and of every send request (`log`: arrival time, activity ids, answer).
`webhook_events()` builds the Delivery events Postmark would post."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

TRACK_LINKS = ("None", "HtmlAndText", "HtmlOnly", "TextOnly")  # CONTRACTS.md 2.1
BODY_LIMIT = 5 * 1024 * 1024  # HtmlBody and TextBody, each


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` stored. rate 0: unlimited."""

    rate: float = 0.0
    burst: float = 0.0
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def take(self, n: int) -> bool:
        if not self.rate:
            return True
        now = time.monotonic()
        cap = self.burst or self.rate
        self.tokens = min(cap, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens + 1e-9 >= n:
            self.tokens -= n
            return True
        return False


@dataclass(frozen=True)
class Fault:
    """What a fake provider does with one send request instead of answering it at once.

    "error": answer `status` (with Retry-After when `retry_after` is set) and send nothing; "slow": wait `seconds`,
    then send and answer as usual; "late": send, but answer only after `seconds` (a client whose timeout is shorter
    gives up without knowing that the message went out); "hang": wait `seconds`, then answer 503 (Sent.dm: 504)
    without sending anything (a timeout where nothing went out)."""

    kind: str
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0

    @classmethod
    def error(cls, status: int, retry_after: float | None = None) -> Fault:
        return cls("error", status=status, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def late(cls, seconds: float) -> Fault:
        return cls("late", seconds=seconds)

    @classmethod
    def hang(cls, seconds: float) -> Fault:
        return cls("hang", seconds=seconds)


def next_fault(fake: Any) -> Fault | None:
    """The fault for the request arriving now: the standing `outage`, else the next entry of `storm` (None: none)."""
    if fake.outage is not None:
        return fake.outage
    return fake.storm.pop(0) if fake.storm else None


async def scripted(fake: Any, entry: dict[str, Any],
                   dropped: Callable[[], JSONResponse]) -> tuple[JSONResponse | None, Fault | None]:
    """What the scripted failures and faults make of a send request before it is looked at: a refusal (a queued
    failure or an "error" fault), `dropped()` after a "hang", else (None, the fault): "slow" and "late" act
    later. Shared by the Postmark and Sent.dm fakes; each refuses in its own error format (`fake._refuse`)."""
    if fake.failures:
        status, retry_after = fake.failures.pop(0)
        return fake._refuse(entry, status, retry_after), None
    fault = next_fault(fake)
    entry["fault"] = fault.kind if fault else None
    if fault is not None and fault.kind == "error":
        return fake._refuse(entry, fault.status, fault.retry_after), fault
    if fault is not None and fault.kind == "hang":
        await asyncio.sleep(fault.seconds)
        return dropped(), fault
    return None, fault


@dataclass
class FakePostmark:
    token: str = "pm-test-token"
    rate_per_second: float = 0.0  # messages per second; 0: unlimited
    burst: float = 0.0  # bucket size in messages; 0: one second's worth
    latency: float = 0.0  # seconds added to each send
    inactive: set[str] = field(default_factory=set)  # addresses answered with ErrorCode 406
    invalid: set[str] = field(default_factory=set)  # addresses answered with ErrorCode 300 (invalid 'To')
    failures: list[tuple[int, float | None]] = field(default_factory=list)  # next requests fail: (status, retry_after)
    storm: list[Fault | None] = field(default_factory=list)  # one per send request, in arrival order (None: normal)
    outage: Fault | None = None  # every send request gets this fault while set
    delivered: list[dict[str, Any]] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)  # one entry per send request: at, ids, to, status, ...
    observe: Callable[[], Any] | None = None  # set by a test: its value as each send request arrives goes in `log`
    requests: int = 0
    over_limit: int = 0
    bucket: TokenBucket = field(default_factory=TokenBucket)

    def __post_init__(self) -> None:
        self.bucket = TokenBucket(self.rate_per_second, self.burst, self.burst or self.rate_per_second)

    # --- what the tests look at -------------------------------------------------------------
    def per_activity(self) -> Counter:
        return Counter(m["Metadata"]["activity_id"] for m in self.delivered)

    def addresses(self) -> list[str]:
        return [m["To"] for m in self.delivered]

    def webhook_events(self, record_type: str = "Delivery") -> list[dict[str, Any]]:
        return [{"RecordType": record_type, "ServerID": 1, "MessageStream": m["MessageStream"],
                 "MessageID": m["MessageID"], "Recipient": m["To"], "Tag": m.get("Tag", ""),
                 "DeliveredAt": "2026-05-19T16:33:54Z", "Details": "smtp;250 OK", "Metadata": m["Metadata"]}
                for m in self.delivered]

    # --- the server ---------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/__health")
        async def health() -> dict[str, str]:
            return {"ok": "yes"}

        @app.post("/email/batch")
        async def batch(request: Request) -> JSONResponse:
            return await self._send(request, batch=True)

        @app.post("/email")
        async def single(request: Request) -> JSONResponse:
            return await self._send(request, batch=False)

        @app.get("/messages/outbound")
        async def search(request: Request) -> JSONResponse:
            if request.headers.get("x-postmark-server-token") != self.token:
                return _error(401, 10, "Request does not contain a valid Server token.")
            wanted = request.query_params.get("metadata_activity_id")
            found = [m for m in self.delivered if m["Metadata"].get("activity_id") == wanted]
            return JSONResponse({"TotalCount": len(found), "Messages": [
                {"MessageID": m["MessageID"], "Recipients": [m["To"]], "Metadata": m["Metadata"]} for m in found]})

        return app

    async def _send(self, request: Request, *, batch: bool) -> JSONResponse:
        self.requests += 1
        entry: dict[str, Any] = {"at": time.monotonic(), "ids": [], "to": [], "fault": None, "status": 0,
                                 "retry_after": None, "answered": {},
                                 "seen": self.observe() if self.observe else None}
        self.log.append(entry)
        response = await self._answer(request, batch, entry)
        entry["status"] = response.status_code
        return response

    async def _answer(self, request: Request, batch: bool, entry: dict[str, Any]) -> JSONResponse:
        if request.headers.get("x-postmark-server-token") != self.token:
            return _error(401, 10, "Request does not contain a valid Server token.")
        try:
            body = await request.json()
        except ValueError:
            return _error(422, 402, "Received invalid JSON input.")
        messages = body if batch else [body]
        if not isinstance(messages, list):
            return _error(422, 403, "Incompatible JSON input.")
        entry["ids"] = [str(((m.get("Metadata") or {}) if isinstance(m, dict) else {}).get("activity_id"))
                        for m in messages]
        entry["to"] = [str(m.get("To") or "").lower() if isinstance(m, dict) else "" for m in messages]
        refused, fault = await scripted(self, entry, lambda: _error(503, 100, "Service unavailable (the request "
                                                                   "was dropped)"))
        if refused is not None:
            return refused
        if len(messages) > 500:
            return _error(422, 410, "Too many batch messages.")
        if not self.bucket.take(len(messages)):
            self.over_limit += 1
            entry["retry_after"] = 1.0
            return _error(429, 429, "Rate limit exceeded.", {"Retry-After": "1"})
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.seconds)
        answers = [self._one(m) for m in messages]
        entry["answered"] = {i: a["ErrorCode"] for i, a in zip(entry["ids"], answers, strict=True)}
        if fault is not None and fault.kind == "late":  # sent; the answer comes after the client gave up
            await asyncio.sleep(fault.seconds)
        return JSONResponse(answers if batch else answers[0])

    def _refuse(self, entry: dict[str, Any], status: int, retry_after: float | None) -> JSONResponse:
        entry["retry_after"] = retry_after
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        text = "Rate limit exceeded." if status == 429 else "Internal server error." if status == 500 else \
            "Service unavailable."
        return _error(status, 429 if status == 429 else 100, text, headers)

    def _one(self, message: dict[str, Any]) -> dict[str, Any]:
        to = str(message.get("To") or "")
        if "@" not in to or not (message.get("TextBody") or message.get("HtmlBody")):
            return {"ErrorCode": 300, "Message": f"Invalid email request: bad address {to!r} or empty body"}
        if message.get("TrackLinks", "None") not in TRACK_LINKS or not isinstance(message.get("TrackOpens", False), bool):
            return {"ErrorCode": 300, "Message": "Invalid email request: TrackLinks must be one of "
                                                 f"{', '.join(TRACK_LINKS)}; TrackOpens true or false"}
        if any(len(str(message.get(k) or "").encode()) > BODY_LIMIT for k in ("HtmlBody", "TextBody")):
            return {"ErrorCode": 300, "Message": "Invalid email request: HtmlBody and TextBody are 5 MB at most"}
        if to.lower() in self.invalid:
            return {"ErrorCode": 300, "Message": f"Invalid 'To' address: '{to}'."}
        if to.lower() in self.inactive:
            return {"ErrorCode": 406, "Message": f"You tried to send to recipient(s) that have been marked as "
                                                 f"inactive. Found inactive addresses: {to}.",
                    "To": to, "MessageID": str(uuid.uuid4())}
        message_id = str(uuid.uuid4())
        self.delivered.append({**message, "MessageID": message_id, "Metadata": message.get("Metadata") or {}})
        return {"To": to, "SubmittedAt": "2026-05-19T06:25:01Z", "MessageID": message_id, "ErrorCode": 0,
                "Message": "OK"}


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ErrorCode": code, "Message": message}, status_code=status, headers=headers)
