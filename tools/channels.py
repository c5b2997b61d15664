"""The channel registry: per channel (`domain/channels.py` holds its rules) the provider's transport or its
sandbox twin (and whether the twin is in use), its rate, its price, how many messages a send job carries, how a batch
goes out (all in one request, or one request per message with an Idempotency-Key), the provider's own error codes and
the message it takes.

A new channel is one client in integrations/ (with its sandbox twin), one `ChannelRule` and one `Channel` entry
here, one webhook route; drafting, preview, launch and the send path (tools/campaigns/, workers/campaigns.py) ask
the registry and the rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain import sms
from domain.channels import RULES, ChannelRule, rule
from integrations import postmark, sandbox, sentdm
from integrations.transport import Codes, Transport
from settings import get_settings


@dataclass
class Outgoing:
    """One rendered message of a campaign (or a test send) on its way to the provider."""

    activity_id: int
    contact_id: int
    to: str
    subject: str = ""
    text: str = ""
    html: str | None = None
    unsubscribe_url: str | None = None
    segments: int | None = None
    cost_micros: int = 0
    track_opens: bool = True
    track_links: bool = True


SendAll = Callable[[Any, list[Outgoing]], list[postmark.BatchItem]]  # one request: an answer per message
SendOne = Callable[[Any, Outgoing, str | None], str]  # one request per message: the provider's message id


def _never() -> bool:
    return False


def _one() -> int:
    return 1


def _free(address: str | None) -> int:
    return 0


@dataclass(frozen=True)
class Channel:
    """A channel's sending side. Exactly one of `send_all` (the batch in one request; a timeout leaves it in doubt,
    reconciled by metadata) and `send_one` (one request per message, retried safely with `idempotency_key`).

    - `sandboxed()`: the sandbox twin is in use (no provider key): nothing leaves the building, results say so.
    - `batch_size()`: the messages one send job carries.
    - `price_micros(address)`: what one message to this address costs; on a channel priced per segment
      (`ChannelRule.per_segment`), one segment of it."""

    name: str
    transport: Callable[[], Transport]
    rate_per_second: Callable[[], float]
    codes: Codes
    send_all: SendAll | None = None
    send_one: SendOne | None = None
    idempotency_key: Callable[[int], str] | None = None
    sandboxed: Callable[[], bool] = _never
    batch_size: Callable[[], int] = _one
    price_micros: Callable[[str | None], int] = _free

    @property
    def rule(self) -> ChannelRule:
        return rule(self.name)


def email_transport() -> Transport:
    """The Postmark client, or its sandbox twin when no POSTMARK_SERVER_TOKEN is set."""
    s = get_settings()
    if s.sandbox_email:
        return sandbox.SandboxPostmark(s.postmark_message_stream)
    return postmark.shared_client(s.postmark_server_token, s.postmark_api_url, s.email_from, s.postmark_message_stream)


def sms_transport() -> Transport:
    """The Sent.dm client, or its sandbox twin when no SENTDM_API_KEY is set."""
    s = get_settings()
    if s.sandbox_sms:
        return sandbox.SandboxSentDm()
    return sentdm.shared_client(s.sentdm_api_key, s.sentdm_api_url, s.sentdm_sender or None)


def _postmark_batch(transport: Any, messages: list[Outgoing]) -> list[postmark.BatchItem]:
    return transport.send_batch([postmark.EmailMessage(m.activity_id, m.to, m.subject, m.text, m.html,
                                                       m.unsubscribe_url, track_opens=m.track_opens,
                                                       track_links=m.track_links) for m in messages])


def _sentdm_one(transport: Any, m: Outgoing, key: str | None) -> str:
    return transport.send_sms(m.to, m.text, key or sentdm.idempotency_key(m.activity_id)).message_id


def _sms_segment_price(address: str | None) -> int:
    s = get_settings()
    return sms.price_per_segment(address, s.sms_prices_by_country, s.sms_price_micros)


REGISTRY: dict[str, Channel] = {
    "email": Channel("email", lambda: email_transport(), lambda: get_settings().email_rate_per_second,
                     postmark.CODES, send_all=_postmark_batch, sandboxed=lambda: get_settings().sandbox_email,
                     batch_size=lambda: max(1, min(500, get_settings().email_batch_size)),  # a Postmark batch
                     price_micros=lambda address: get_settings().email_price_micros),
    "sms": Channel("sms", lambda: sms_transport(), lambda: get_settings().sms_rate_per_second, sentdm.CODES,
                   send_one=_sentdm_one, idempotency_key=sentdm.idempotency_key,
                   sandboxed=lambda: get_settings().sandbox_sms,
                   batch_size=lambda: max(1, get_settings().sms_batch_size), price_micros=_sms_segment_price),
}


def names() -> list[str]:
    """The channels a campaign can go out on (a rule and a registry entry), in the rules' order."""
    return [name for name in RULES if name in REGISTRY]


def notice(channel: str) -> str | None:
    """The sandbox notice every result on this channel carries while its sandbox twin is in use, else None."""
    return sandbox.NOTICE if get(channel).sandboxed() else None


def resendable() -> list[str]:
    """The channels whose sends in doubt may be retried: their provider takes an Idempotency-Key."""
    return [name for name, entry in REGISTRY.items() if entry.idempotency_key is not None]


def get(channel: str) -> Channel:
    """The registry entry of a channel; a clear error for one we do not know."""
    found = REGISTRY.get(channel)
    if found is None:
        raise ValueError(f"unknown channel {channel!r}: use {' or '.join(REGISTRY)}")
    return found
