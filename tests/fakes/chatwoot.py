"""A fake Chatwoot (CONTRACTS.md section 3): the reply API (3.4) with its errors, and builders for webhook
payloads shaped like `message_created` (3.2), conversation and contact events, signed like PR #13573 (3.3).

Top-level message_type is a string; inside conversation.messages[] it is an integer. Top-level created_at is
ISO; conversation timestamps are unix ints. Messages created through the API are echoed by `echo_of` as the
`message_created` webhook Chatwoot would send back (message_type "outgoing", sender type "user")."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

_MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}


@dataclass
class FakeChatwoot:
    token: str = "cw-token"
    account_id: int = 1
    conversations: dict[int, dict[str, Any]] = field(default_factory=dict)  # display id -> {"inbox_id", "channel"}
    fail_next: list[int] = field(default_factory=list)  # statuses to answer before succeeding (429, 500 ...)
    sent: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(5000))

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/__health")
        async def health() -> dict[str, str]:
            return {"ok": "yes"}

        @app.post("/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages")
        async def create_message(account_id: int, conversation_id: int, request: Request):
            if request.headers.get("api_access_token") != self.token:
                return JSONResponse({"error": "Invalid Access Token"}, status_code=401)
            if account_id != self.account_id:
                return JSONResponse({"error": "You are not authorized to access this account"}, status_code=403)
            if self.fail_next:
                status = self.fail_next.pop(0)
                return JSONResponse({"error": "try later"}, status_code=status, headers={"retry-after": "1"})
            if conversation_id not in self.conversations:
                return JSONResponse({"error": "Resource could not be found"}, status_code=404)
            body = await request.json()
            return JSONResponse(self._create(conversation_id, body))

        return app

    def _create(self, conversation_id: int, body: dict[str, Any]) -> dict[str, Any]:
        conv = self.conversations[conversation_id]
        message = {"id": next(self._ids), "content": body.get("content"), "inbox_id": conv["inbox_id"],
                   "conversation_id": conversation_id, "message_type": 1,
                   "content_type": body.get("content_type", "text"), "status": "sent",
                   "created_at": int(time.time()), "private": bool(body.get("private")), "source_id": None,
                   "sender": {"id": 1, "name": "Agent", "email": "agent@acme.test", "type": "user"}}
        self.sent.append(message)
        return message

    def echo_of(self, message: dict[str, Any], contact: dict[str, Any]) -> dict[str, Any]:
        """The message_created webhook Chatwoot fires for a message we created through the API."""
        conv = self.conversations[message["conversation_id"]]
        return message_created(message_id=message["id"], content=message["content"], message_type="outgoing",
                               conversation_id=message["conversation_id"], inbox_id=conv["inbox_id"],
                               channel=conv["channel"], contact=contact,
                               sender={"id": 1, "name": "Agent", "email": "agent@acme.test", "type": "user"})


def contact(cid: int = 14, name: str = "Ana", email: str | None = "ana@example.com",
            phone: str | None = "+14155550123", identifier: str | None = None) -> dict[str, Any]:
    return {"id": cid, "name": name, "email": email, "phone_number": phone, "identifier": identifier,
            "avatar": "", "thumbnail": "", "type": "contact", "additional_attributes": {}, "custom_attributes": {},
            "account": {"id": 1, "name": "Acme"}}


def conversation(conversation_id: int = 10, inbox_id: int = 3, channel: str = "Channel::Sms",
                 contact_data: dict[str, Any] | None = None, status: str = "open",
                 messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    person = contact_data or contact()
    now = int(time.time())
    meta_sender = {k: person[k] for k in ("id", "name", "email", "phone_number", "identifier", "thumbnail",
                                          "additional_attributes", "custom_attributes", "type")}
    return {"id": conversation_id, "inbox_id": inbox_id, "status": status, "channel": channel, "can_reply": True,
            "additional_attributes": {}, "custom_attributes": {}, "labels": [], "snoozed_until": None,
            "contact_inbox": {"id": 12, "contact_id": person["id"], "inbox_id": inbox_id,
                              "source_id": person.get("phone_number") or person.get("email") or "src",
                              "created_at": "2026-05-19T18:00:00.000Z", "updated_at": "2026-05-19T18:00:00.000Z",
                              "hmac_verified": False, "pubsub_token": uuid.uuid4().hex},
            "messages": messages or [],
            "meta": {"sender": meta_sender, "assignee": None, "assignee_type": None, "team": None,
                     "hmac_verified": False},
            "unread_count": 1, "first_reply_created_at": None, "priority": None, "waiting_since": now,
            "agent_last_seen_at": 0, "contact_last_seen_at": 0, "last_activity_at": now, "timestamp": now,
            "created_at": now - 60, "updated_at": now + 0.12}


def message_created(*, message_id: int = 118, content: str = "Hi, is this available?",
                    message_type: str = "incoming", conversation_id: int = 10, inbox_id: int = 3,
                    channel: str = "Channel::Sms", contact: dict[str, Any] | None = None,
                    sender: dict[str, Any] | None = None, private: bool = False,
                    created_at: datetime | None = None, event: str = "message_created") -> dict[str, Any]:
    """A message_created payload exactly as CONTRACTS.md 3.2 shows it."""
    person = contact or globals()["contact"]()
    when = created_at or datetime.now(UTC)
    inner = {"id": message_id, "content": content, "account_id": 1, "inbox_id": inbox_id,
             "conversation_id": conversation_id, "message_type": _MESSAGE_TYPES[message_type],
             "created_at": int(when.timestamp()), "updated_at": when.isoformat(), "private": private,
             "status": "sent", "source_id": None, "content_type": "text", "content_attributes": {},
             "sender_type": "Contact" if message_type == "incoming" else "User",
             "sender_id": person["id"], "external_source_ids": {}}
    return {"event": event, "id": message_id, "content": content,
            "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "message_type": message_type,
            "content_type": "text", "content_attributes": {}, "private": private, "source_id": "SMxxxx",
            "additional_attributes": {}, "attachments": [], "sender": sender or person,
            "inbox": {"id": inbox_id, "name": "Acme inbox"}, "account": {"id": 1, "name": "Acme"},
            "conversation": conversation(conversation_id, inbox_id, channel, person, messages=[inner])}


def conversation_event(event: str, conv: dict[str, Any], changed: list[dict[str, Any]] | None = None
                       ) -> dict[str, Any]:
    payload = {"event": event, **conv}
    if changed is not None:
        payload["changed_attributes"] = changed
    return payload


def contact_event(event: str, person: dict[str, Any], changed: list[dict[str, Any]] | None = None
                  ) -> dict[str, Any]:
    payload = {"event": event, **person}
    if changed is not None:
        payload["changed_attributes"] = changed
    return payload


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None,
                   delivery: str | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Chatwoot-Signature": f"sha256={mac}",
            "X-Chatwoot-Timestamp": ts, "X-Chatwoot-Delivery": delivery or str(uuid.uuid4())}


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()
