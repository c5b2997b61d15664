"""Send rules pinned where the mutation run (docs/testing.md) found them unpinned: which zone a contact is in when
its own zone, its phone or the account's zone is missing or unreadable; what a campaign's rules refuse (and say),
and keep from the defaults; zones that never share an open hour."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.send_rules import Recipient, SendRules, cap_reached, decide, next_allowed, zones_for


def keys(zones):
    return [z.key for z in zones]


def test_an_unreadable_phone_falls_back_to_the_account_zone():
    assert keys(zones_for(None, "not a phone", "America/Chicago")) == ["America/Chicago"]
    assert keys(zones_for("", "+", "Europe/Paris")) == ["Europe/Paris"]


def test_an_unreadable_account_zone_falls_back_to_utc():
    assert keys(zones_for(None, None, "Not/AZone")) == ["UTC"]
    assert keys(zones_for("Nowhere/Else", "not a phone", "")) == ["UTC"]


def test_the_contacts_own_zone_wins_over_its_phone():
    assert keys(zones_for("Asia/Tokyo", "+442071838750", "UTC")) == ["Asia/Tokyo"]
    assert keys(zones_for(None, "+442071838750", "UTC")) == ["Europe/London"]
    assert zones_for(None, "+442071838750", "UTC") == [ZoneInfo("Europe/London")]


# --- a campaign's rules: what is refused, with what message, and what is kept from the defaults -------------------

def test_bad_rules_are_refused_saying_why():
    with pytest.raises(ValueError, match=r"^unknown send rules: bogus, extra$"):
        SendRules.from_dict({"extra": 1, "bogus": 2, "cap_24h": 1})
    with pytest.raises(ValueError, match="^frequency caps cannot be negative$"):
        SendRules.from_dict({"cap_7d": -1})
    with pytest.raises(ValueError, match=r"^SMS hours must lie within 08:00-21:00 local time \(stricter"):
        SendRules.from_dict({"quiet_start": "10:00", "quiet_end": "10:00"})  # an empty window
    with pytest.raises(ValueError, match="^stop_since needs a time zone$"):
        SendRules.from_dict({"stop_since": "2026-05-01T00:00:00"})
    with pytest.raises(ValueError, match=r"^not a time of day: 'noon' \(use HH:MM\)$"):
        SendRules.from_dict({"quiet_start": "noon"})


def test_caps_of_zero_mean_no_cap():
    rules = SendRules.from_dict({"cap_24h": 0, "cap_7d": 0})
    assert (rules.cap_24h, rules.cap_7d) == (0, 0)


def test_rules_not_given_keep_the_defaults_and_given_ones_are_read():
    since = datetime(2026, 5, 1, tzinfo=UTC)
    defaults = SendRules(stop_on_reply=False, stop_since=since, local_window=True)
    assert SendRules.from_dict({}, defaults) == defaults
    assert SendRules.from_dict({}) == SendRules()
    assert SendRules().stop_on_reply is True and SendRules().local_window is False
    given = SendRules.from_dict({"stop_on_reply": False, "local_window": True,
                                 "stop_since": "2026-05-01T00:00:00+00:00"})
    assert (given.stop_on_reply, given.local_window, given.stop_since) == (False, True, since)


def test_zones_that_never_share_an_open_hour_respect_the_first_zone_alone():
    # 10:00-11:00 in Tokyo (UTC+9) and in New York (UTC-4 in June) never overlap
    zones = [ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")]
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # 21:00 in Tokyo
    assert next_allowed(now, zones, time(10), time(11)) == datetime(2026, 6, 11, 1, 0, tzinfo=UTC)  # 10:00 JST
    assert next_allowed(now, zones[::-1], time(10), time(11)) == datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 10 EDT


def test_frequency_caps_count_the_last_24_hours_and_7_days_exactly():
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    day_cap, week_cap = SendRules(cap_24h=1, cap_7d=0), SendRules(cap_24h=0, cap_7d=3)
    assert cap_reached([now - timedelta(hours=24) + timedelta(seconds=1)], day_cap, now) == "cap_24h"
    assert cap_reached([now - timedelta(hours=24)], day_cap, now) is None  # exactly a day ago: outside
    assert cap_reached([now - timedelta(hours=24, minutes=30)], day_cap, now) is None
    inside = [now - timedelta(days=7) + timedelta(seconds=1)] * 3
    assert cap_reached(inside, week_cap, now) == "cap_7d"
    assert cap_reached([now - timedelta(days=7)] * 3, week_cap, now) is None  # exactly a week ago: outside
    assert cap_reached([now - timedelta(days=7, hours=12)] * 3, week_cap, now) is None
    assert cap_reached(inside[:2], week_cap, now) is None  # two of three


def test_stop_on_reply_looks_back_30_days_or_to_stop_since_inclusive():
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    month = now - timedelta(days=30)

    def outcome(rules, **seen):
        recipient = Recipient(contact_id=1, channel="email", address="ana@example.com", **seen)
        return decide(recipient, rules, now).reason

    rules = SendRules(cap_24h=0, cap_7d=0)
    assert outcome(rules, last_reply_at=month) == "replied"  # exactly 30 days ago: still counts
    assert outcome(rules, last_reply_at=month - timedelta(hours=1)) is None
    assert outcome(rules, last_booking_at=month) == "booked"
    assert outcome(rules, last_booking_at=month - timedelta(hours=1)) is None
    since = SendRules(cap_24h=0, cap_7d=0, stop_since=now - timedelta(days=2))
    assert outcome(since, last_reply_at=now - timedelta(days=2)) == "replied"  # at stop_since: counts
    assert outcome(since, last_booking_at=now - timedelta(days=2)) == "booked"
    assert outcome(since, last_reply_at=now - timedelta(days=3)) is None
    assert outcome(SendRules(cap_24h=0, cap_7d=0, stop_on_reply=False), last_reply_at=now) is None
