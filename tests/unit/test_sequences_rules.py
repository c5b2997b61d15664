"""Sequences (pure): waits in the contact's zone across DST, step conditions, exit rules, validation."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.sequences import (
    ExitRules,
    Facts,
    SequenceRuleError,
    Wait,
    exit_on_facts,
    next_due,
    skip_reason,
    validate_steps,
)

CHICAGO = ZoneInfo("America/Chicago")


def local(*args, zone=CHICAGO):
    return datetime(*args, tzinfo=zone)


def test_days_after_keep_the_local_time_of_day_across_spring_forward():
    sent = local(2026, 3, 7, 10, 0)  # Saturday 10:00 CST; DST starts Sunday 8 March 2026
    due = next_due(Wait(days=2), sent.astimezone(UTC), CHICAGO)
    assert due.astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 3, 9, 10, 0)
    assert due - sent.astimezone(UTC) == (datetime(2026, 3, 9, 15) - datetime(2026, 3, 7, 16))  # 47 h elapsed


def test_days_after_keep_the_local_time_of_day_across_fall_back():
    sent = local(2026, 10, 31, 18, 30)
    due = next_due(Wait(days=1), sent.astimezone(UTC), CHICAGO)
    assert due.astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 11, 1, 18, 30)
    assert (due - sent).total_seconds() == 25 * 3600


def test_hours_are_elapsed_time_not_wall_clock():
    sent = local(2026, 3, 8, 1, 0).astimezone(UTC)
    assert next_due(Wait(hours=3), sent, CHICAGO) - sent == (datetime(2, 1, 1, 3) - datetime(2, 1, 1))


def test_a_local_time_inside_the_spring_gap_lands_after_the_gap():
    due = next_due(Wait(weekday=6, at=time(2, 30)), local(2026, 3, 6, 12, 0).astimezone(UTC), CHICAGO)
    assert due.astimezone(CHICAGO).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)


def test_an_ambiguous_local_time_takes_its_first_occurrence():
    due = next_due(Wait(weekday=6, at=time(1, 30)), local(2026, 10, 30, 12, 0).astimezone(UTC), CHICAGO)
    assert due == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 CDT, not 01:30 CST an hour later


@pytest.mark.parametrize(("previous", "expected"), [
    (local(2026, 6, 10, 9, 0), datetime(2026, 6, 12, 10, 0)),  # Wednesday -> this Friday
    (local(2026, 6, 12, 9, 59), datetime(2026, 6, 12, 10, 0)),  # Friday before 10:00 -> today
    (local(2026, 6, 12, 10, 0), datetime(2026, 6, 19, 10, 0)),  # Friday at 10:00 -> next week
    (local(2026, 6, 13, 8, 0), datetime(2026, 6, 19, 10, 0)),  # Saturday -> next Friday
])
def test_next_weekday_at_a_time_in_the_contacts_zone(previous, expected):
    due = next_due(Wait.from_dict({"weekday": "friday", "at": "10:00"}), previous.astimezone(UTC), CHICAGO)
    assert due.astimezone(CHICAGO).replace(tzinfo=None) == expected
    assert due.tzinfo is UTC


def test_the_same_weekday_wait_differs_by_the_contacts_zone():
    previous = datetime(2026, 6, 10, 12, tzinfo=UTC)
    wait = Wait.from_dict({"weekday": "fri", "at": "10:00"})
    tokyo, chicago = next_due(wait, previous, ZoneInfo("Asia/Tokyo")), next_due(wait, previous, CHICAGO)
    assert tokyo == datetime(2026, 6, 12, 1, tzinfo=UTC)
    assert chicago == datetime(2026, 6, 12, 15, tzinfo=UTC)


def test_waits_round_trip_and_describe_themselves():
    for data in ({"after_days": 2}, {"after_days": 0, "after_hours": 4}, {"weekday": "tuesday", "at": "09:30"}):
        assert Wait.from_dict(data).to_dict() == data
    assert Wait(days=2).describe() == "2 days after the previous step"
    assert Wait().describe() == "right away"
    assert Wait(weekday=4, at=time(10)).describe() == "next Friday 10:00 their time"


@pytest.mark.parametrize(("data", "message"), [
    ({"after_days": -1}, "between 0 and"),
    ({"after_days": "two"}, "whole number"),
    ({"weekday": "someday"}, "not a weekday"),
    ({"weekday": "friday", "at": "25:00"}, "time of day"),
    ({"weekday": "friday", "after_days": 1}, "not both"),
    ({"every": 3}, "unknown wait"),
])
def test_bad_waits_say_why(data, message):
    with pytest.raises(SequenceRuleError, match=message):
        Wait.from_dict(data)


@pytest.mark.parametrize(("condition", "facts", "reason"), [
    ("always", Facts(replied=True, booked=True), None),
    ("no_reply", Facts(), None),
    ("no_reply", Facts(replied=True), "condition_no_reply"),
    ("no_booking", Facts(replied=True), None),
    ("no_booking", Facts(booked=True), "condition_no_booking"),
    ("not_opened", Facts(previous_opened=True), "condition_not_opened"),
    ("not_opened", Facts(), None),
    ("clicked", Facts(previous_clicked=True), None),
    ("clicked", Facts(previous_opened=True), "condition_clicked"),
])
def test_step_conditions(condition, facts, reason):
    assert skip_reason(condition, facts) == reason


def test_exit_rules_default_to_reply_and_booking_and_always_include_opt_out_and_bounce():
    rules = ExitRules.from_dict(None)
    assert [rules.exit_reason(e) for e in ("replied", "booked", "opted_out", "bounced", "removed")] == [
        "replied", "booked", "opted_out", "bounced", "removed"]
    lenient = ExitRules.from_dict({"exit_on": ["booked"]})
    assert lenient.exit_reason("replied") is None
    assert lenient.exit_reason("opted_out") == "opted_out"


def test_a_goal_is_an_exit_of_its_own():
    rules = ExitRules.from_dict({"exit_on": [], "goal": "booked"})
    assert rules.exit_reason("booked") == "goal"
    assert rules.exit_reason("replied") is None
    assert exit_on_facts(rules, Facts(replied=True, booked=True)) == "goal"
    assert exit_on_facts(ExitRules(), Facts(replied=True)) == "replied"
    assert exit_on_facts(ExitRules(frozenset()), Facts(replied=True)) is None
    with pytest.raises(SequenceRuleError, match="goal"):
        ExitRules.from_dict({"goal": "opened"})


def test_steps_are_validated_where_they_stand():
    steps = validate_steps([{"channel": "sms"}, {"channel": "email", "wait": {"after_days": 2},
                                                 "condition": "no_reply"},
                            {"channel": "sms", "wait": {"after_days": 1}, "condition": "not_opened"}])
    assert [s.channel for s in steps] == ["sms", "email", "sms"]
    with pytest.raises(SequenceRuleError, match="at least one"):
        validate_steps([])
    with pytest.raises(SequenceRuleError, match="first step"):
        validate_steps([{"channel": "email", "condition": "clicked"}])
    with pytest.raises(SequenceRuleError, match="only follow an email"):
        validate_steps([{"channel": "sms"}, {"channel": "sms", "condition": "not_opened"}])
    with pytest.raises(SequenceRuleError, match="channel"):
        validate_steps([{"channel": "fax"}])
    with pytest.raises(SequenceRuleError, match="unknown condition"):
        validate_steps([{"channel": "sms", "condition": "maybe"}])
