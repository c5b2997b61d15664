"""Send eligibility: ONE pure function, `decide`, with a reason for every exclusion. FIELD.md section 5.

Outcomes: SEND now, DEFER until `not_before` (SMS quiet hours: deferred, never dropped; email too when a campaign
asks for the contact's local window), or EXCLUDE with a reason. Quiet hours are 08:00-21:00 in the contact's own time zone (47 CFR 64.1200(c)(1)); a campaign may make
them stricter, never looser. The zone is the contact's, else the one(s) its phone number belongs to (when a
number spans several zones every one of them must be inside the window), else the account's. DST is handled by
zoneinfo: "08:00 local" is computed on the local calendar, then converted to UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from domain import channels
from domain.wording import noun

LEGAL_START = time(8, 0)
LEGAL_END = time(21, 0)

REASONS = {
    "opted_out": "opted out of this channel",
    "suppressed": "address on the suppression list",
    "no_address": "no address for this channel",
    "invalid_address": "invalid address",
    "already_sent": "already messaged in this campaign",
    "duplicate_address": "another contact with the same address gets this campaign (one message per address)",
    "cap_24h": "already messaged in the last 24 hours (frequency cap)",
    "cap_7d": "messaged too often in the last 7 days (frequency cap)",
    "replied": "replied since the reference time (stop on reply)",
    "booked": "booked a meeting since the reference time",
    "bounced": "email hard-bounced before",
    "complained": "marked an email as spam before",
    "quiet_hours": "outside SMS hours in the contact's time zone (deferred)",
    "sample": "sample contact (sample data is only messaged in sandbox mode)",
}


class Outcome(StrEnum):
    SEND = "send"
    DEFER = "defer"
    EXCLUDE = "exclude"


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class SendRules:
    """Per-campaign rules (settings give the defaults). Caps of 0 mean no cap."""

    cap_24h: int = 1
    cap_7d: int = 3
    quiet_start: time = LEGAL_START
    quiet_end: time = LEGAL_END
    stop_on_reply: bool = True
    stop_since: datetime | None = None  # replies/bookings after this instant exclude; None: the last 30 days
    local_window: bool = False  # email too waits for quiet_start..quiet_end in the contact's zone (SMS always does)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, defaults: SendRules | None = None) -> SendRules:
        """Validate a campaign's rules. Quiet hours may only narrow the legal 08:00-21:00 window."""
        base = defaults or cls()
        data = dict(data or {})
        unknown = set(data) - {"cap_24h", "cap_7d", "quiet_start", "quiet_end", "stop_on_reply", "stop_since",
                               "local_window"}
        if unknown:
            raise ValueError(f"unknown send {noun(len(unknown), 'rule')}: {', '.join(sorted(unknown))}")
        caps = {k: int(data.get(k, getattr(base, k))) for k in ("cap_24h", "cap_7d")}
        if any(v < 0 for v in caps.values()):
            raise ValueError("frequency caps cannot be negative")
        start = _parse_time(data.get("quiet_start", base.quiet_start))
        end = _parse_time(data.get("quiet_end", base.quiet_end))
        if start < LEGAL_START or end > LEGAL_END or start >= end:
            raise ValueError("SMS hours must lie within 08:00-21:00 local time (stricter is allowed, looser is not)")
        since = data.get("stop_since", base.stop_since)
        if isinstance(since, str):
            since = datetime.fromisoformat(since)
        if since is not None and since.tzinfo is None:
            raise ValueError("stop_since needs a time zone")
        return cls(caps["cap_24h"], caps["cap_7d"], start, end, bool(data.get("stop_on_reply", base.stop_on_reply)),
                   since, bool(data.get("local_window", base.local_window)))

    def to_dict(self) -> dict[str, Any]:
        return {"cap_24h": self.cap_24h, "cap_7d": self.cap_7d, "quiet_start": self.quiet_start.strftime("%H:%M"),
                "quiet_end": self.quiet_end.strftime("%H:%M"), "stop_on_reply": self.stop_on_reply,
                "stop_since": self.stop_since.isoformat() if self.stop_since else None,
                "local_window": self.local_window}


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know about one contact on one channel (gathered by the caller)."""

    contact_id: int
    channel: str  # sms, email
    address: str | None
    address_valid: bool = True
    opted_out: bool = False
    suppressed: bool = False
    email_status: str = "ok"  # ok, bounced, complained
    timezone: str | None = None
    phone: str | None = None
    already_in_campaign: bool = False
    recent_sends: tuple[datetime, ...] = field(default_factory=tuple)  # this channel, other campaigns
    last_reply_at: datetime | None = None
    last_booking_at: datetime | None = None


def decide(r: Recipient, rules: SendRules, now: datetime, account_zone: str = "UTC") -> Decision:
    """May we message this recipient now? The first rule that fails gives the reason."""
    reason = _exclusion(r, rules, now)
    if reason:
        return Decision(Outcome.EXCLUDE, reason)
    start = quiet_until(r.channel, r.timezone, r.phone, rules, now, account_zone)
    if start is not None:
        return Decision(Outcome.DEFER, "quiet_hours", start)
    return Decision(Outcome.SEND)


def quiet_until(channel: str, timezone: str | None, phone: str | None, rules: SendRules, now: datetime,
                account_zone: str = "UTC") -> datetime | None:
    """The quiet-hours part of `decide` alone (also re-checked when a batch is claimed for sending): None when this
    contact may be messaged now, else the next allowed instant (UTC), when the window opens in its zone(s)."""
    if not channels.quiet_hours_apply(channel, rules.local_window):
        return None
    start = next_allowed(now, zones_for(timezone, phone, account_zone), rules.quiet_start, rules.quiet_end)
    return start if start > now else None


def _exclusion(r: Recipient, rules: SendRules, now: datetime) -> str | None:
    if r.opted_out:
        return "opted_out"
    if r.suppressed:
        return "suppressed"
    if not r.address:
        return "no_address"
    if not r.address_valid:
        return "invalid_address"
    if channels.rule(r.channel).address_field == "email" and r.email_status in ("bounced", "complained"):
        return r.email_status
    if r.already_in_campaign:
        return "already_sent"
    if rules.stop_on_reply:
        since = rules.stop_since or now - timedelta(days=30)
        if r.last_reply_at and r.last_reply_at >= since:
            return "replied"
        if r.last_booking_at and r.last_booking_at >= since:
            return "booked"
    return cap_reached(r.recent_sends, rules, now)


def cap_reached(recent_sends: Iterable[datetime], rules: SendRules, now: datetime) -> str | None:
    """The frequency-cap part of `decide` alone (also re-checked when a batch is claimed for sending): "cap_24h" or
    "cap_7d" when one more message on this channel would exceed that cap, given the contact's messages of other
    campaigns sent (or being sent) at `recent_sends`; else None."""
    sends = list(recent_sends)
    if rules.cap_24h and sum(1 for t in sends if t > now - timedelta(hours=24)) >= rules.cap_24h:
        return "cap_24h"
    if rules.cap_7d and sum(1 for t in sends if t > now - timedelta(days=7)) >= rules.cap_7d:
        return "cap_7d"
    return None


def _parse_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a time of day: {value!r} (use HH:MM)") from None


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zones_for(timezone: str | None, phone: str | None, account_zone: str) -> list[ZoneInfo]:
    """The contact's zone; else every zone its phone number may be in; else the account's."""
    own = _zone(timezone)
    if own:
        return [own]
    if phone:
        try:
            names = phone_timezone.time_zones_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            names = ()
        zones = [z for z in (_zone(n) for n in names if n != "Etc/Unknown") if z]
        if zones:
            return zones
    return [_zone(account_zone) or ZoneInfo("UTC")]


def _next_start_in(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime:
    """`now` if it is inside [start, end) local time in `zone`, else the next local `start`, in UTC."""
    local = now.astimezone(zone)
    if start <= local.time() < end:
        return now
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone).astimezone(now.tzinfo)


def next_allowed(now: datetime, zones: list[ZoneInfo], start: time, end: time) -> datetime:
    """The first instant >= now that lies inside the window in every zone (checked up to a week ahead)."""
    candidate = now
    for _ in range(len(zones) * 8 + 8):
        moved = max(_next_start_in(candidate, z, start, end) for z in zones)
        if moved == candidate:
            return candidate
        candidate = moved
    # No common window (zones too far apart): respect the first zone alone.
    return _next_start_in(now, zones[0], start, end)
