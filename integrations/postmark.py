"""Postmark client (CONTRACTS.md section 2): batch sends of up to 500 messages on a message stream.

POST /email/batch with a JSON array; HTTP 200 answers one element per message, in order, each with its own
ErrorCode (0 ok, 406 inactive recipient, 300 invalid request, ...). Whole-request failures: 401 (bad token),
422 (ErrorCode in the body), 429 and 5xx. 429, 5xx and network errors are retryable; every other 4xx is not.
Postmark webhooks carry no signature: they are authenticated with HTTP basic auth (webhooks/providers.py)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import httpx

from integrations import http
from integrations.errors import PermanentError, RetryableError, retry_after_seconds
from integrations.transport import Codes

BATCH_LIMIT = 500
INACTIVE_RECIPIENT = 406
INVALID_REQUEST = 300
# Postmark's error codes (https://postmarkapp.com/developer/api/overview#error-codes): our configuration is wrong
# (bad token, sender signature missing or unconfirmed, no credits, ...) -> halt; inactive recipient -> suppress.
CODES = Codes(halt=frozenset({"10", "400", "401", "405", "410", "412", "413"}), suppress=frozenset({"406"}))


@dataclass(frozen=True)
class EmailMessage:
    """One email of a batch. `activity_id` travels in Metadata so webhooks find their activity."""

    activity_id: int
    to: str
    subject: str
    text_body: str
    html_body: str | None = None
    unsubscribe_url: str | None = None
    tag: str | None = None
    track_opens: bool = True
    track_links: bool = True  # HtmlAndText: Postmark rewrites links to count clicks (Click webhooks)


@dataclass(frozen=True)
class BatchItem:
    """Postmark's answer for one message of a batch."""

    activity_id: int
    error_code: int
    message: str
    message_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code == 0


def to_payload(message: EmailMessage, sender: str, stream: str) -> dict[str, Any]:
    """The JSON of one message: broadcast stream, List-Unsubscribe with one-click, our activity id as Metadata,
    open and link tracking as the campaign says (opens can only be seen in HTML)."""
    payload: dict[str, Any] = {
        "From": sender, "To": message.to, "Subject": message.subject, "TextBody": message.text_body,
        "MessageStream": stream, "Metadata": {"activity_id": str(message.activity_id)},
        "TrackOpens": bool(message.track_opens and message.html_body),
        "TrackLinks": "HtmlAndText" if message.track_links else "None",
    }
    if message.html_body:
        payload["HtmlBody"] = message.html_body
    if message.tag:
        payload["Tag"] = message.tag[:1000]
    if message.unsubscribe_url:
        payload["Headers"] = [
            {"Name": "List-Unsubscribe", "Value": f"<{message.unsubscribe_url}>"},
            {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"},
        ]
    return payload


class PostmarkClient:
    """One client per process; thread-safe (httpx.Client is)."""

    sandbox = False
    provider = "postmark"

    def __init__(self, token: str, *, base_url: str = "https://api.postmarkapp.com", sender: str,
                 stream: str = "broadcast", timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        if not token:
            raise ValueError("a Postmark server token is required (POSTMARK_SERVER_TOKEN)")
        self.base_url = base_url.rstrip("/")
        self.sender = sender
        self.stream = stream
        self._headers = {"X-Postmark-Server-Token": token, "Accept": "application/json",
                         "Content-Type": "application/json"}
        self._client = client or httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=32))

    def send_batch(self, messages: list[EmailMessage]) -> list[BatchItem]:
        """Send up to 500 messages in one request. Returns one BatchItem per message, in order.
        Raises RetryableError (429, 5xx, network; retry_after from Retry-After) or PermanentError (other 4xx)."""
        if not messages:
            return []
        if len(messages) > BATCH_LIMIT:
            raise ValueError(f"a Postmark batch holds at most {BATCH_LIMIT} messages (got {len(messages)})")
        body = [to_payload(m, self.sender, self.stream) for m in messages]
        response = self._post("/email/batch", body)
        answers = response.json()
        if not isinstance(answers, list) or len(answers) != len(messages):
            raise RetryableError(f"Postmark answered {len(answers) if isinstance(answers, list) else 'no'} results "
                                 f"for {len(messages)} messages", status=response.status_code, in_doubt=True)
        return [BatchItem(m.activity_id, int(a.get("ErrorCode", 0)), str(a.get("Message", "")), a.get("MessageID"))
                for m, a in zip(messages, answers, strict=True)]

    def find_by_activity(self, activity_id: int) -> str | None:
        """Reconciliation: the MessageID Postmark holds for our activity (outbound search by metadata), or None."""
        response = self._get("/messages/outbound", {"count": 1, "offset": 0, "metadata_activity_id": activity_id})
        found = response.json().get("Messages") or []
        return found[0].get("MessageID") if found else None

    def _post(self, path: str, body: Any) -> httpx.Response:
        return self._call("POST", path, json=body)

    def _get(self, path: str, params: dict[str, Any]) -> httpx.Response:
        return self._call("GET", path, params=params)

    def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return http.call(self._client, "Postmark", method, self.base_url + path, raise_for, headers=self._headers, **kw)

    def close(self) -> None:
        self._client.close()


def raise_for(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    try:
        data = response.json()
        code, text = data.get("ErrorCode"), data.get("Message", "")
    except ValueError:
        code, text = None, response.text[:200]
    message = f"Postmark HTTP {status}" + (f" ErrorCode {code}" if code is not None else "") + f": {text}"
    code_text = None if code is None else str(code)
    if status == 429 or status >= 500:
        raise RetryableError(message, status=status, code=code_text,
                             retry_after=retry_after_seconds(response.headers.get("Retry-After"), 1.0))
    raise PermanentError(message, status=status, code=code_text)


_shared: dict[tuple[str, ...], PostmarkClient] = {}
_lock = threading.Lock()


def shared_client(token: str, base_url: str, sender: str, stream: str) -> PostmarkClient:
    """The process-wide client for these settings (created on first use, never at import)."""
    key = (token, base_url, sender, stream)
    with _lock:
        if key not in _shared:
            _shared[key] = PostmarkClient(token, base_url=base_url, sender=sender, stream=stream)
        return _shared[key]
