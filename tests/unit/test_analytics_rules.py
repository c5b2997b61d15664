"""Pure analytics rules: local days across daylight saving, ratios, costs per outcome, funnel, money."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain import analytics as rules
from domain.analytics import AnalyticsInputError
from domain.wording import money


def test_days_follow_the_account_time_zone_across_daylight_saving():
    start, end = rules.day_bounds(date(2026, 3, 8), "America/New_York")  # clocks go forward: a 23-hour day
    assert start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC) and end == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    start, end = rules.day_bounds(date(2026, 11, 1), "America/New_York")  # clocks go back: 25 hours
    assert (end - start).total_seconds() == 25 * 3600
    assert rules.local_day(datetime(2026, 6, 10, 3, 30, tzinfo=UTC), "America/New_York") == date(2026, 6, 9)
    assert rules.local_day(datetime(2026, 6, 10, 18, 45, tzinfo=UTC), "Asia/Kolkata") == date(2026, 6, 11)


def test_bad_zones_periods_and_naive_times_are_refused():
    with pytest.raises(AnalyticsInputError, match="unknown time zone"):
        rules.day_bounds(date(2026, 1, 1), "Mars/Olympus")
    with pytest.raises(AnalyticsInputError, match="before it starts"):
        rules.days_in(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(AnalyticsInputError, match="longer than"):
        rules.check_period(date(2000, 1, 1), date(2026, 1, 1))
    with pytest.raises(AnalyticsInputError, match="naive"):
        rules.local_day(datetime(2026, 1, 1), "UTC")
    with pytest.raises(AnalyticsInputError):
        rules.last_n_days(date(2026, 1, 1), 0)


def test_periods():
    assert rules.last_n_days(date(2026, 5, 30), 30) == (date(2026, 5, 1), date(2026, 5, 30))
    assert rules.month_to_date(date(2026, 5, 17)) == (date(2026, 5, 1), date(2026, 5, 17))
    assert len(rules.days_in(date(2026, 2, 1), date(2026, 2, 28))) == 28


def test_ratios_and_costs_per_outcome_never_invent_a_zero():
    assert rules.ratio(1, 4) == 0.25 and rules.ratio(3, 0) is None
    assert rules.cost_per(1_000_000, 3) == 333_333 and rules.cost_per(5, 2) == 3  # half up
    assert rules.cost_per(1_000, 0) is None
    rates = rules.rates({"emails_sent": 10, "emails_delivered": 8, "emails_opened": 2, "contacted": 0})
    assert rates["email_delivery_rate"] == 0.8 and rates["email_open_rate"] == 0.25 and rates["response_rate"] is None


def test_totals_funnel_and_money():
    totals = rules.add_rows([{"sms_sent": 2, "cost_sms_micros": 16_000}, {"sms_sent": 1, "cost_ads_micros": 4}])
    assert totals["sms_sent"] == 3 and rules.total_cost(totals) == 16_004 and totals["bookings"] == 0
    steps = rules.funnel([("audience", 100), ("sent", 80), ("responded", 8), ("booked", 0)])
    assert [(s.stage, s.of_previous, s.of_audience) for s in steps] == [
        ("audience", None, 1.0), ("sent", 0.8, 0.8), ("responded", 0.1, 0.08), ("booked", 0.0, 0.0)]
    assert rules.funnel([("audience", 0), ("sent", 0)])[1].of_audience is None
    assert money(1_234_567) == "$1.23" and money(1_235_000_000) == "$1,235.00"
    assert money(-5_000) == "-$0.01" and money(None) == "n/a"
    assert rules.percent(0.1234) == "12.3%" and rules.percent(None) == "n/a"
