"""Sandbox twins of the Postmark and Sent.dm clients, used when no key is configured.

Nothing leaves the building: each message is only recorded (in the activity row, provider "sandbox") and given a
made-up id. `simulated_events` returns the webhook events the real provider would send, in the provider's own
format, so delivery goes through the SAME inbox and processors as real webhooks. An address containing
"+bounce" (email) simulates a hard bounce; a number ending in 0000 (SMS) simulates a failure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from integrations.postmark import BatchItem, EmailMessage
from integrations.sentdm import SmsResult
from integrations.transport import Accepted, Event

NOTICE = "SANDBOX: nothing left the building (no provider key configured; messages were only recorded)."


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class SandboxPostmark:
    sandbox = True
    provider = "postmark"

    def __init__(self, stream: str = "broadcast") -> None:
        self.stream = stream

    def send_batch(self, messages: list[EmailMessage]) -> list[BatchItem]:
        return [BatchItem(m.activity_id, 0, "OK (sandbox)", f"sandbox-{uuid.uuid4()}") for m in messages]

    def simulated_events(self, sent: list[Accepted]) -> list[Event]:
        """(event_id, event_type, payload) of a Delivery (or HardBounce) per accepted message."""
        events = []
        for item in sent:
            address, meta = item.to, {"activity_id": str(item.activity_id)}
            if "+bounce" in address:
                payload = {"RecordType": "Bounce", "ID": 0, "Type": "HardBounce", "TypeCode": 1, "Inactive": True,
                           "MessageStream": self.stream, "MessageID": item.message_id, "Email": address,
                           "BouncedAt": _now(), "Details": "sandbox: simulated hard bounce", "Metadata": meta}
            else:
                payload = {"RecordType": "Delivery", "MessageStream": self.stream, "MessageID": item.message_id,
                           "Recipient": address, "DeliveredAt": _now(), "Details": "sandbox: simulated delivery",
                           "Metadata": meta}
            events.append((f"sandbox:{payload['RecordType']}:{item.message_id}", payload["RecordType"], payload))
        return events


class SandboxSentDm:
    sandbox = True
    provider = "sentdm"

    def send_sms(self, to: str, text: str, key: str) -> SmsResult:
        return SmsResult(f"sandbox-{uuid.uuid4()}", "QUEUED")

    def simulated_events(self, sent: list[Accepted]) -> list[Event]:
        """A message.delivered (or message.failed for a number ending in 0000) per accepted message."""
        events = []
        for result in sent:
            to = result.to
            status = "FAILED" if to.endswith("0000") else "DELIVERED"
            sub_type = f"message.{status.lower()}"
            payload = {"field": "message", "sub_type": sub_type, "event": sub_type, "timestamp": _now(),
                       "payload": {"message_id": result.message_id, "message_status": status, "channel": "sms",
                                   "inbound_number": to, "reason": "sandbox: simulated" if status == "FAILED" else None}}
            events.append((f"sandbox:{sub_type}:{result.message_id}", sub_type, payload))
        return events
