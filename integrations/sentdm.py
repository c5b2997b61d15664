"""Sent.dm v3 client (CONTRACTS.md section 1): POST /v3/messages with an Idempotency-Key per activity.

Auth header `x-api-key`. Success is HTTP 202 with the v3 envelope; `data.recipients[0].message_id` is the id
webhooks refer to. A replay with the same key answers the first response (header Idempotent-Replayed: true),
so retrying an activity after a crash is safe. 409 CONFLICT_001 (same key still in flight), 429 and 5xx are
retryable; other 4xx are permanent. Webhooks are signed (Standard Webhooks v1 recipe): `verify_signature`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx

from integrations import http
from integrations.errors import PermanentError, RetryableError, retry_after_seconds
from integrations.transport import Codes

_KEY = re.compile(r"^[a-zA-Z0-9_-]{1,255}$")
SIGNATURE_TOLERANCE = 300  # seconds
# Sent.dm's error codes: authentication or account standing -> halt; the number opted out / inactive -> suppress.
CODES = Codes(halt=frozenset({"AUTH_001", "AUTH_002", "AUTH_004", "AUTH_005", "AUTH_006", "AUTH_007", "BUSINESS_003"}),
              suppress=frozenset({"BUSINESS_004"}), in_flight=frozenset({"CONFLICT_001"}))


@dataclass(frozen=True)
class SmsResult:
    message_id: str
    status: str
    replayed: bool = False


def idempotency_key(activity_id: int) -> str:
    return f"mkt-activity-{int(activity_id)}"


class SentDmClient:
    sandbox = False
    provider = "sentdm"

    def __init__(self, api_key: str, *, base_url: str = "https://api.sent.dm", sender: str | None = None,
                 timeout: float = 15.0, client: httpx.Client | None = None) -> None:
        if not api_key:
            raise ValueError("a Sent.dm API key is required (SENTDM_API_KEY)")
        self.base_url = base_url.rstrip("/")
        self.sender = sender
        self._headers = {"x-api-key": api_key, "Content-Type": "application/json", "Accept": "application/json"}
        self._client = client or httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=32))

    def send_sms(self, to: str, text: str, key: str) -> SmsResult:
        """Send one SMS (free-form text) to an E.164 number, idempotently under `key`."""
        if not _KEY.match(key):
            raise ValueError(f"bad idempotency key {key!r}")
        body: dict[str, Any] = {"to": [to], "text": text, "channel": ["sms"]}
        if self.sender:
            body["channels"] = {"sms": [{"from": [self.sender]}]}
        response = self._post("/v3/messages", body, {"Idempotency-Key": key})
        data = (response.json() or {}).get("data") or {}
        recipients = data.get("recipients") or []
        if not recipients or not recipients[0].get("message_id"):
            raise RetryableError("Sent.dm accepted the request but returned no message id", status=response.status_code)
        return SmsResult(str(recipients[0]["message_id"]), str(data.get("status", "QUEUED")),
                         response.headers.get("Idempotent-Replayed", "").lower() == "true")

    def _post(self, path: str, body: dict[str, Any], extra: dict[str, str]) -> httpx.Response:
        return http.call(self._client, "Sent.dm", "POST", self.base_url + path, raise_for, json=body,
                         headers=self._headers | extra)

    def close(self) -> None:
        self._client.close()


def raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    try:
        error = (response.json() or {}).get("error") or {}
    except ValueError:
        error = {}
    code = error.get("code")
    message = f"Sent.dm HTTP {status} {code or ''}: {error.get('message') or response.text[:200]}".strip()
    if status == 429 or status >= 500 or code == "CONFLICT_001":
        raise RetryableError(message, status=status, code=code,
                             retry_after=retry_after_seconds(response.headers.get("Retry-After"), 1.0))
    raise PermanentError(message, status=status, code=code)


def sign(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """The `v1,<base64>` signature of a webhook body (also used by the fake and by tests)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify_signature(secret: str, webhook_id: str, timestamp: str, body: bytes, header: str,
                     now: float | None = None) -> bool:
    """True when one of the header's v1 signatures matches and the timestamp is within 5 minutes."""
    if not (secret and webhook_id and timestamp and header):
        return False
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
        expected = sign(secret, webhook_id, timestamp, body).split(",", 1)[1]
    except (ValueError, TypeError, OverflowError):  # OverflowError: a 400-digit timestamp
        return False
    if age > SIGNATURE_TOLERANCE:
        return False
    return any(hmac.compare_digest(expected, part.split(",", 1)[1])
               for part in header.split() if part.startswith("v1,"))


_shared: dict[tuple[str, ...], SentDmClient] = {}
_lock = threading.Lock()


def shared_client(api_key: str, base_url: str, sender: str | None) -> SentDmClient:
    key = (api_key, base_url, sender or "")
    with _lock:
        if key not in _shared:
            _shared[key] = SentDmClient(api_key, base_url=base_url, sender=sender)
        return _shared[key]
