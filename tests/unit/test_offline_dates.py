"""Relative periods resolve the same for the offline parser and the language model: in the account time zone,
with the date and zone written into the system prompt."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.core.prompts import system_prompt
from agent.offline.dates import resolve_period, today_in
from agent.offline.filters import Vocabulary
from agent.offline.parser import parse

MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("today", "2026-12-07", "2026-12-07"), ("yesterday", "2026-12-06", "2026-12-06"),
    ("last week", "2026-11-30", "2026-12-06"), ("this week", "2026-12-07", "2026-12-07"),
    ("this month", "2026-12-01", "2026-12-07"), ("last month", "2026-11-01", "2026-11-30"),
    ("last 30 days", "2026-11-08", "2026-12-07"), ("past 7 days", "2026-12-01", "2026-12-07"),
    ("last 2 weeks", "2026-11-24", "2026-12-07"), ("since 2026-11-15", "2026-11-15", "2026-12-07"),
    ("2026-01-01 to 2026-01-31", "2026-01-01", "2026-01-31"), ("in march", "2026-03-01", "2026-03-31"),
    ("last year", "2025-01-01", "2025-12-31"),
])
def test_periods(text, start, end):
    assert resolve_period(text, MONDAY) == (date.fromisoformat(start), date.fromisoformat(end))


def test_not_a_period():
    assert resolve_period("next tuesday", MONDAY) is None and resolve_period("last 0 days", MONDAY) is None


def test_today_is_taken_in_the_account_time_zone():
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
        assert today_in(tz) == datetime.now(ZoneInfo(tz)).date()
    assert today_in("Not/AZone") == datetime.now(UTC).date()


def test_the_parser_uses_the_vocabulary_today():
    call = parse("analytics last week", Vocabulary(today=MONDAY))[0]
    assert call.args == {"start": "2026-11-30", "end": "2026-12-06"}


def test_the_system_prompt_carries_today_and_the_zone():
    text = system_prompt("2026-12-07", "America/Chicago")
    assert "Today is Monday 2026-12-07 in the account time zone (America/Chicago)" in text
    assert "last week = the previous Monday-Sunday" in text


@pytest.mark.parametrize(("text", "day"), [
    ("last tuesday", "2026-12-01"), ("last monday", "2026-11-30"), ("monday", "2026-12-07"),
    ("on friday", "2026-12-04"), ("this past sunday", "2026-12-06"), ("this morning", "2026-12-07"),
])
def test_a_weekday_is_the_latest_one_gone_by(text, day):
    assert resolve_period(text, MONDAY) == (date.fromisoformat(day), date.fromisoformat(day))


def test_since_a_day_runs_to_today():
    assert resolve_period("since last tuesday", MONDAY) == (date(2026, 12, 1), MONDAY)
    assert resolve_period("since last week", MONDAY) == (date(2026, 11, 30), MONDAY)
    assert resolve_period("since monday", MONDAY) == (MONDAY, MONDAY)


def test_last_weekend_is_the_weekend_before_this_week():
    assert resolve_period("last weekend", MONDAY) == (date(2026, 12, 5), date(2026, 12, 6))
    assert resolve_period("last weekend", date(2026, 12, 13)) == (date(2026, 12, 5), date(2026, 12, 6))
    assert resolve_period("next friday", MONDAY) is None
