"""Tests that send must pass at any hour: SMS (and email with a local window) may only go out between 08:00 and
21:00 in the contact's own time zone, so a test contact in a fixed zone is rightly deferred for half of every day.

A test whose subject is not quiet hours gives its contacts `daytime_zone()`: the zone where it is now closest to
13:00 (within an hour of it all year, DST
changes included: at least 4 hours from either edge of the sending window), whatever the hour the suite runs at. (A test that
runs in this process can freeze the send path's clock instead: `launch_campaign(now=)`, `workers.campaigns.clock`;
a test that drives a separate server process, like the browser test, cannot, and uses this.)"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# one zone per whole-hour UTC offset (standard time), so some zone is always within 30 minutes of 13:00
ZONES = ("Pacific/Pago_Pago", "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
         "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo", "Atlantic/South_Georgia",
         "Atlantic/Cape_Verde", "Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
         "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Brisbane",
         "Pacific/Noumea", "Pacific/Fiji")
NOON_ISH = 13 * 60  # minutes after local midnight


def local_minutes(zone: str, now: datetime) -> int:
    local = now.astimezone(ZoneInfo(zone))
    return local.hour * 60 + local.minute


def daytime_zone(now: datetime | None = None) -> str:
    """The IANA zone where `now` (default: the current instant) is closest to 13:00 local."""
    now = now or datetime.now(UTC)
    return min(ZONES, key=lambda zone: abs(local_minutes(zone, now) - NOON_ISH))
