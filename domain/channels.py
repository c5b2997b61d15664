"""Channels as one concept (pure): per channel, where a contact's address lives and how it is normalised, how two
addresses are the same, where an opt-out is kept, how a message is priced, whether quiet hours always apply.

A channel's providers, transports and codes live in `tools/channels.py` (the registry); this module holds only
the rules, so domain code (send rules, audiences) and db queries read the same answer.

Adding a channel here is one `ChannelRule` in `RULES`; everything that asks "which address, opted out?, quiet
hours?" follows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.contacts import Normalised, normalise_email, normalise_phone


@dataclass(frozen=True)
class ChannelRule:
    """What a channel is, without any provider.

    - `address_field`: the contact attribute that holds the address (`email`, `phone`).
    - `normalise(raw, default_region)`: the stored form of an address (a `Normalised`).
    - `valid`: the cheap syntactic check of an address already normalised on write.
    - `fold_case`: two addresses differing only in case are one (email).
    - `opt_out_field`: the contact's own opt-out flag (`opted_out_<channel>`, with `_at` and `_reason`), or None
      when the suppressions table (keyed by channel + address) is the only record.
    - `quiet_hours`: quiet hours always apply (they otherwise apply only with the local-window rule).
    - `per_segment`: its text is measured and priced per segment (SMS) rather than per message, so a preview or a
      launch renders each message to price it; else every message costs the channel's one price.
    - `provider_refusal`: the opt-out reason recorded when the provider says the address is inactive.
    - `noun`: how the chat names the address ("phone number").
    - `tracks_engagement`: opens and clicks are reported (email): tracking settings and clicks per link apply.
    - `rich`: a subject (required), a Markdown body in the brand's HTML layout with its text twin, a footer with the
      sender's postal address and an unsubscribe link (email); else plain text with the STOP notice.
    - `reached`: the status that counts as reaching a person when A/B variants are compared (delivered, clicked)."""

    name: str
    address_field: str
    normalise: Callable[[str | None, str], Normalised]
    valid: re.Pattern[str]
    noun: str
    fold_case: bool = False
    opt_out_field: str | None = None
    quiet_hours: bool = False
    per_segment: bool = False
    provider_refusal: str = "opt_out"
    tracks_engagement: bool = False
    rich: bool = False
    reached: str = "delivered"


def _email(raw: str | None, default_region: str = "US") -> Normalised:
    return normalise_email(raw)


RULES: dict[str, ChannelRule] = {
    "sms": ChannelRule("sms", "phone", normalise_phone, re.compile(r"^\+[1-9]\d{6,14}$"), "phone number",
                       opt_out_field="opted_out_sms", quiet_hours=True, per_segment=True),
    "email": ChannelRule("email", "email", _email, re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$"), "email address",
                         fold_case=True, opt_out_field="opted_out_email", provider_refusal="hard_bounce",
                         tracks_engagement=True, rich=True, reached="clicked"),
}


def names() -> tuple[str, ...]:
    """The channels known, in the order they are listed."""
    return tuple(RULES)


def rule(channel: str) -> ChannelRule:
    """The rule of a channel; a clear error for one we do not know."""
    found = RULES.get(channel)
    if found is None:
        raise ValueError(f"unknown channel {channel!r}: use {' or '.join(RULES)}")
    return found


def address_of(channel: str, contact: Any) -> str | None:
    """The address `contact` (an ORM object or a light row) has on `channel`, as stored."""
    return getattr(contact, rule(channel).address_field, None)


def usable(channel: str, address: str | None) -> bool:
    """Whether a stored address passes the channel's cheap syntactic check."""
    return bool(address) and bool(rule(channel).valid.match(address or ""))


def address_key(channel: str, address: str | None) -> str | None:
    """What makes two addresses one: e-mail without case, a phone number as stored (E.164)."""
    if not address:
        return None
    return address.strip().lower() if rule(channel).fold_case else address.strip()


def opted_out(channel: str, contact: Any) -> bool:
    """The contact's own opt-out flag on `channel` (False where the channel keeps only suppressions)."""
    field = rule(channel).opt_out_field
    return bool(getattr(contact, field, False)) if field else False


def quiet_hours_apply(channel: str, local_window: bool) -> bool:
    """Whether quiet hours hold this channel back: always for channels that say so, else only with the
    local-window rule."""
    return rule(channel).quiet_hours or local_window
