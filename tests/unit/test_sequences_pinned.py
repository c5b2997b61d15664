"""Sequence rules pinned where the mutation run (docs/testing.md) found them unpinned: the step-list refusals with
their whole messages, weekdays given as numbers, and a weekday wait without a time (10:00 local)."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.sequences import ExitRules, SequenceRuleError, Step, Wait, next_due, validate_steps

EMAIL, SMS = {"channel": "email"}, {"channel": "sms"}


@pytest.mark.parametrize(("steps", "message"), [
    ([], "a sequence needs at least one step"),
    ([EMAIL] * 6, "a sequence has at most 5 steps"),
    ([{"channel": "email", "condition": "not_opened"}], "the first step cannot depend on a previous message being "
                                                        "opened or clicked"),
    ([{"channel": "sms", "condition": "clicked"}], "the first step cannot depend on a previous message being "
                                                   "opened or clicked"),
    ([EMAIL, SMS, {"channel": "email", "condition": "clicked"}],
     "'not opened' and 'clicked' only follow an email step (SMS have no opens)"),
    ([SMS, {"channel": "sms", "condition": "not_opened"}],
     "'not opened' and 'clicked' only follow an email step (SMS have no opens)"),
])
def test_step_lists_refused_saying_why(steps, message):
    with pytest.raises(SequenceRuleError) as error:
        validate_steps(steps)
    assert str(error.value) == message


def test_five_steps_and_conditions_after_an_email_are_accepted():
    steps = validate_steps([EMAIL, {"channel": "email", "condition": "not_opened"},
                            {"channel": "sms", "condition": "clicked"}, SMS, {"channel": "email"}])
    assert steps == [Step("email"), Step("email", condition="not_opened"), Step("sms", condition="clicked"),
                     Step("sms"), Step("email")]


def test_weekdays_as_numbers_from_monday_0_to_sunday_6():
    assert Wait.from_dict({"weekday": 0}) == Wait(weekday=0, at=time(10))
    assert Wait.from_dict({"weekday": 6, "at": "09:30"}) == Wait(weekday=6, at=time(9, 30))
    for bad in (7, -1):
        with pytest.raises(SequenceRuleError) as error:
            Wait.from_dict({"weekday": bad})
        assert str(error.value) == f"not a weekday: {bad}"


def test_a_weekday_wait_without_a_time_is_due_at_ten_local():
    chicago = ZoneInfo("America/Chicago")
    tuesday = datetime(2026, 6, 9, 15, 0, tzinfo=UTC)  # 10:00 in Chicago (CDT, UTC-5)
    assert next_due(Wait(weekday=4), tuesday, chicago) == datetime(2026, 6, 12, 15, 0, tzinfo=UTC)  # Friday 10:00
    assert next_due(Wait(weekday=1), tuesday, chicago) == datetime(2026, 6, 16, 15, 0, tzinfo=UTC)  # not at 10:00


def _refused(make) -> str:
    with pytest.raises(SequenceRuleError) as error:
        make()
    return str(error.value)


def test_wait_refusals_are_written_out():
    assert _refused(lambda: Wait.from_dict({"bogus": 1, "zz": 2})) == "unknown wait fields: bogus, zz"
    assert _refused(lambda: Wait.from_dict({"bogus": 1})) == "unknown wait field: bogus"
    assert _refused(lambda: Wait.from_dict({"weekday": "fri", "after_hours": 2})) == (
        "a wait is either 'N days after' or 'next <weekday> HH:MM', not both")
    assert _refused(lambda: Wait.from_dict({"after_hours": "x"})) == "after_hours must be a whole number (got 'x')"
    assert _refused(lambda: Wait.from_dict({"after_days": "y"})) == "after_days must be a whole number (got 'y')"
    assert _refused(lambda: Wait.from_dict({"after_days": 365, "after_hours": 1})) == (
        "a wait must be between 0 and 365 days")
    assert _refused(lambda: Wait.from_dict({"after_hours": -1})) == "a wait must be between 0 and 365 days"
    assert _refused(lambda: Wait.from_dict({"after_days": 364, "after_hours": 25})) == (
        "a wait must be between 0 and 365 days")


def test_waits_read_and_written():
    assert Wait.from_dict({"after_days": 364, "after_hours": 24}) == Wait(days=364, hours=24)  # exactly 365 days
    assert Wait.from_dict({"after_hours": 30}) == Wait(hours=30)
    assert Wait.from_dict({}) == Wait() and Wait.from_dict(None) == Wait()
    assert Wait(weekday=4).to_dict() == {"weekday": "friday", "at": "10:00"}
    assert Wait(days=2, hours=3).to_dict() == {"after_days": 2, "after_hours": 3}


@pytest.mark.parametrize(("wait", "words"), [
    (Wait(weekday=4), "next Friday 10:00 their time"),
    (Wait(hours=1), "1 hour after the previous step"),
    (Wait(hours=2), "2 hours after the previous step"),
    (Wait(days=1, hours=2), "1 day 2 hours after the previous step"),
    (Wait(days=3), "3 days after the previous step"),
    (Wait(), "right away"),
])
def test_waits_describe_themselves(wait, words):
    assert wait.describe() == words


def test_steps_read_and_refused():
    assert Step.from_dict({"channel": "SMS", "wait": {"after_days": 2}}) == Step("sms", Wait(days=2))
    assert _refused(lambda: Step.from_dict({})) == "a step's channel must be sms or email (got '')"
    assert _refused(lambda: Step.from_dict({"channel": "sms", "condition": "x"})) == (
        "unknown condition 'x': use one of always, no_reply, no_booking, not_opened, clicked")


def test_exit_rules_read_written_and_refused():
    rules = ExitRules.from_dict({"exit_on": ["booked", "opted_out"], "goal": "replied"})
    assert rules == ExitRules(frozenset({"booked"}), "replied")
    assert rules.to_dict() == {"exit_on": ["booked"], "goal": "replied"}
    assert _refused(lambda: ExitRules.from_dict({"exit_on": ["x", "y"]})) == "unknown exit rules: x, y"
    assert _refused(lambda: ExitRules.from_dict({"exit_on": ["x"]})) == "unknown exit rule: x"
    assert _refused(lambda: ExitRules.from_dict({"goal": "x"})) == "a goal must be one of booked, replied (got 'x')"
