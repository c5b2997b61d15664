"""Send eligibility: one reason for every exclusion, quiet hours deferred in the contact's zone (DST-correct)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from domain.send_rules import REASONS, Outcome, Recipient, SendRules, decide, zones_for

NOON_UTC = datetime(2026, 6, 10, 17, 0, tzinfo=UTC)  # 12:00 in Chicago (CDT), 13:00 New York


def sms(**kw):
    base = {"contact_id": 1, "channel": "sms", "address": "+15125550100", "phone": "+15125550100",
            "timezone": "America/Chicago"}
    return Recipient(**(base | kw))


def email(**kw):
    return Recipient(**({"contact_id": 1, "channel": "email", "address": "ana@example.com"} | kw))


@pytest.mark.parametrize(("recipient", "reason"), [
    (email(opted_out=True), "opted_out"),
    (email(suppressed=True), "suppressed"),
    (email(address=None), "no_address"),
    (email(address_valid=False), "invalid_address"),
    (email(email_status="bounced"), "bounced"),
    (email(email_status="complained"), "complained"),
    (email(already_in_campaign=True), "already_sent"),
    (email(last_reply_at=NOON_UTC - timedelta(days=2)), "replied"),
    (email(last_booking_at=NOON_UTC - timedelta(hours=1)), "booked"),
    (email(recent_sends=(NOON_UTC - timedelta(hours=3),)), "cap_24h"),
    (email(recent_sends=tuple(NOON_UTC - timedelta(days=d) for d in (2, 3, 4))), "cap_7d"),
])
def test_every_exclusion_has_its_reason(recipient, reason):
    decision = decide(recipient, SendRules(), NOON_UTC)
    assert decision == decision.__class__(Outcome.EXCLUDE, reason)
    assert reason in REASONS


def test_an_eligible_email_is_sent_now_whatever_the_hour():
    assert decide(email(), SendRules(), NOON_UTC.replace(hour=3)).outcome is Outcome.SEND


def test_old_sends_and_old_replies_do_not_count():
    r = email(recent_sends=(NOON_UTC - timedelta(days=8),) * 5, last_reply_at=NOON_UTC - timedelta(days=40))
    assert decide(r, SendRules(), NOON_UTC).outcome is Outcome.SEND


def test_caps_are_configurable_and_zero_means_no_cap():
    r = email(recent_sends=(NOON_UTC - timedelta(hours=1),) * 2)
    assert decide(r, SendRules(cap_24h=0, cap_7d=0), NOON_UTC).outcome is Outcome.SEND
    assert decide(r, SendRules(cap_24h=3), NOON_UTC).outcome is Outcome.SEND
    assert decide(r, SendRules(cap_24h=2), NOON_UTC).reason == "cap_24h"


def test_stop_on_reply_uses_the_reference_time_and_can_be_switched_off():
    r = email(last_reply_at=NOON_UTC - timedelta(days=2))
    assert decide(r, SendRules(stop_since=NOON_UTC - timedelta(days=1)), NOON_UTC).outcome is Outcome.SEND
    assert decide(r, SendRules(stop_on_reply=False), NOON_UTC).outcome is Outcome.SEND


def test_sms_inside_hours_in_the_contacts_zone_is_sent():
    assert decide(sms(), SendRules(), NOON_UTC).outcome is Outcome.SEND


def test_quiet_hours_defer_sms_to_8am_local_time():
    late = datetime(2026, 6, 10, 3, 30, tzinfo=UTC)  # 22:30 in Chicago on June 9
    decision = decide(sms(), SendRules(), late)
    assert decision.outcome is Outcome.DEFER and decision.reason == "quiet_hours"
    assert decision.not_before == datetime(2026, 6, 10, 13, 0, tzinfo=UTC)  # 08:00 CDT


def test_early_morning_defers_to_the_same_day():
    early = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)  # 06:00 CDT
    assert decide(sms(), SendRules(), early).not_before == datetime(2026, 6, 10, 13, 0, tzinfo=UTC)


def test_quiet_hours_follow_dst_changes():
    # US DST starts 2026-03-08: 08:00 CST = 14:00 UTC before, 08:00 CDT = 13:00 UTC after.
    before = decide(sms(), SendRules(), datetime(2026, 3, 7, 6, 0, tzinfo=UTC))
    after = decide(sms(), SendRules(), datetime(2026, 3, 8, 6, 0, tzinfo=UTC))
    assert before.not_before == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    assert after.not_before == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)
    # 21:00 local ends the window: 20:59 CDT is fine, 21:00 is not.
    assert decide(sms(), SendRules(), datetime(2026, 3, 9, 1, 59, tzinfo=UTC)).outcome is Outcome.SEND
    assert decide(sms(), SendRules(), datetime(2026, 3, 9, 2, 0, tzinfo=UTC)).outcome is Outcome.DEFER


def test_other_zones_are_respected():
    tokyo = sms(timezone="Asia/Tokyo")  # 02:00 JST at 17:00 UTC
    assert decide(tokyo, SendRules(), NOON_UTC).not_before == datetime(2026, 6, 10, 23, 0, tzinfo=UTC)


def test_unknown_zone_is_inferred_from_the_phone_number():
    london = sms(timezone=None, phone="+442071838750", address="+442071838750")
    at = datetime(2026, 6, 10, 20, 30, tzinfo=UTC)  # 21:30 BST
    assert decide(london, SendRules(), at).not_before == datetime(2026, 6, 11, 7, 0, tzinfo=UTC)


def test_a_number_spanning_several_zones_must_be_inside_hours_in_all_of_them():
    # A toll-free/US-wide number maps to many zones; 08:30 in New York is 05:30 in Los Angeles.
    r = sms(timezone="Not/AZone", phone="+18005550199", address="+18005550199")
    assert len(zones_for(None, "+18005550199", "UTC")) > 1
    at = datetime(2026, 6, 10, 12, 30, tzinfo=UTC)
    decision = decide(r, SendRules(), at)
    assert decision.outcome is Outcome.DEFER
    assert decision.not_before >= datetime(2026, 6, 10, 15, 0, tzinfo=UTC)  # 08:00 PDT at the earliest


def test_no_zone_at_all_uses_the_account_zone():
    r = sms(timezone=None, phone=None, address="+15125550100")
    at = datetime(2026, 6, 10, 6, 0, tzinfo=UTC)
    assert decide(r, SendRules(), at, account_zone="Europe/Paris").outcome is Outcome.SEND  # 08:00 CEST
    assert decide(r, SendRules(), at, account_zone="UTC").not_before == datetime(2026, 6, 10, 8, 0, tzinfo=UTC)


def test_campaign_hours_may_be_stricter_never_looser():
    rules = SendRules.from_dict({"quiet_start": "10:00", "quiet_end": "18:00"})
    assert rules.quiet_start == time(10) and rules.quiet_end == time(18)
    at = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 09:00 CDT
    assert decide(sms(), rules, at).not_before == datetime(2026, 6, 10, 15, 0, tzinfo=UTC)
    for bad in ({"quiet_start": "07:00"}, {"quiet_end": "22:00"}, {"quiet_start": "19:00", "quiet_end": "10:00"}):
        with pytest.raises(ValueError, match="08:00-21:00"):
            SendRules.from_dict(bad)


def test_bad_rules_get_clear_errors_and_round_trip():
    with pytest.raises(ValueError, match="unknown send rule"):
        SendRules.from_dict({"cap_per_hour": 1})
    with pytest.raises(ValueError, match="negative"):
        SendRules.from_dict({"cap_24h": -1})
    rules = SendRules.from_dict({"cap_7d": 5, "stop_since": "2026-06-01T00:00:00+00:00"})
    assert SendRules.from_dict(rules.to_dict()) == rules


def test_email_waits_for_the_local_window_only_when_asked():
    r = email(timezone="America/Chicago")
    late = datetime(2026, 6, 10, 3, 30, tzinfo=UTC)  # 22:30 in Chicago
    assert decide(r, SendRules(), late).outcome is Outcome.SEND
    windowed = SendRules.from_dict({"local_window": True, "quiet_start": "09:00", "quiet_end": "17:00"})
    decision = decide(r, windowed, late)
    assert decision.outcome is Outcome.DEFER and decision.not_before == datetime(2026, 6, 10, 14, 0, tzinfo=UTC)
    assert SendRules.from_dict(windowed.to_dict()) == windowed
