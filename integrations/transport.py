"""What every provider transport offers the send path (`tools/channels.py`), so no caller types one `Any`.

A transport is a provider's client or its sandbox twin (integrations/sandbox.py): it says which provider it is and
whether it is the sandbox. Sending is channel-specific (Postmark takes a batch in one request, Sent.dm one message
per request with an Idempotency-Key); the registry's channel entry says which call to make. A sandbox twin also
returns the webhook events the real provider would send, in the provider's own format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

Event = tuple[str, str, dict[str, Any]]  # (event id, event type, payload) as the provider's webhook carries it


@dataclass(frozen=True)
class Accepted:
    """One message a provider accepted: our activity, its id at the provider, the address it went to."""

    activity_id: int
    message_id: str
    to: str


@runtime_checkable
class Transport(Protocol):
    provider: str
    sandbox: bool


class Sandbox(Transport, Protocol):
    def simulated_events(self, sent: list[Accepted]) -> list[Event]:
        """The webhook events the real provider would send for these accepted messages."""
        ...


@dataclass(frozen=True)
class Codes:
    """A provider's own error codes: `halt` (our configuration is wrong: pause and say why), `suppress` (the
    address is inactive or opted out at the provider: suppress it). Any other refusal fails the one message."""

    halt: frozenset[str] = frozenset()
    suppress: frozenset[str] = frozenset()
    in_flight: frozenset[str] = frozenset()  # the same request is still being processed: its outcome is unknown

    def kind(self, code: str | None) -> str:
        """suppressed, halt or failed."""
        return "suppressed" if code in self.suppress else "halt" if code in self.halt else "failed"
