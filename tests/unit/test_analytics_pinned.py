"""Analytics rules pinned where the mutation run (docs/testing.md) found them unpinned: every rate of a whole totals
row, the funnel's shares, money and costs on their rounding edges, periods with their messages, and days around a
daylight-saving change."""

from datetime import UTC, date, datetime

import pytest

from domain import analytics as rules
from domain.analytics import AnalyticsInputError, FunnelStep
from domain.wording import money

TOTALS = {"contacted": 8, "sms_sent": 8, "sms_delivered": 6, "sms_failed": 2, "emails_sent": 20,
          "emails_delivered": 16, "emails_opened": 8, "emails_clicked": 4, "emails_bounced": 2, "responses": 3,
          "opt_outs": 1}


def test_every_rate_of_a_totals_row():
    assert rules.rates(TOTALS) == {
        "sms_delivery_rate": 0.75, "sms_failure_rate": 0.25, "email_delivery_rate": 0.8, "email_open_rate": 0.5,
        "email_click_rate": 0.25, "email_bounce_rate": 0.1, "response_rate": 0.375, "opt_out_rate": 0.125}
    assert rules.rates({}) == dict.fromkeys(rules.rates(TOTALS))  # no denominator: None, never 0
    only_denominators = {"contacted": 4, "sms_sent": 4, "emails_sent": 4, "emails_delivered": 4}
    assert rules.rates({"emails_sent": 4}) == {**dict.fromkeys(rules.rates(TOTALS)), "email_delivery_rate": 0.0,
                                               "email_bounce_rate": 0.0}
    assert rules.rates(only_denominators) == {**dict.fromkeys(rules.rates(TOTALS), 0.0), "email_delivery_rate": 1.0}


def test_the_funnel_shares():
    assert rules.funnel([("audience", 10), ("sent", 8), ("replied", 2), ("booked", 0), ("won", 0)]) == [
        FunnelStep("audience", 10, None, 1.0), FunnelStep("sent", 8, 0.8, 0.8), FunnelStep("replied", 2, 0.25, 0.2),
        FunnelStep("booked", 0, 0.0, 0.0), FunnelStep("won", 0, None, 0.0)]
    assert rules.funnel([("audience", 0), ("sent", 0)]) == [FunnelStep("audience", 0, None, None),
                                                            FunnelStep("sent", 0, None, None)]
    assert rules.funnel([]) == []


@pytest.mark.parametrize(("micros", "text"), [
    (None, "n/a"), (1_234_567, "$1.23"), (-1_235_000, "-$1.24"), (123_456_789_000, "$123,456.79"),
    (4_999, "$0.00"), (5_000, "$0.01"), (0, "$0.00"), (-4_999, "$0.00"), (-5_000, "-$0.01"), (1_500_000.0, "$1.50")])
def test_money_for_people(micros, text):
    assert money(micros) == text


def test_costs():
    assert rules.cost_per(1_000, 3) == 333
    assert rules.cost_per(1, 2) == 1  # half a micro rounds up
    assert rules.cost_per(7, 1) == 7
    assert rules.cost_per(1_000, 0) is None and rules.cost_per(5, -1) is None
    row = {"cost_sms_micros": 1, "cost_email_micros": 20, "cost_enrichment_micros": 300, "cost_model_micros": 4_000,
           "cost_ads_micros": 50_000, "sms_sent": 7}
    assert rules.total_cost(row) == 54_321
    assert rules.total_cost({}) == 0


def _refused(make) -> str:
    with pytest.raises(AnalyticsInputError) as error:
        make()
    return str(error.value)


def test_periods_and_their_messages():
    today = date(2026, 3, 10)
    assert rules.last_n_days(today, 1) == (today, today)
    assert rules.last_n_days(today, 7) == (date(2026, 3, 4), today)
    assert _refused(lambda: rules.last_n_days(today, 0)) == "the number of days must be at least 1"
    assert _refused(lambda: rules.check_period(date(2026, 3, 2), date(2026, 3, 1))) == (
        "the period ends (2026-03-01) before it starts (2026-03-02)")
    start = date(2020, 1, 1)
    assert (date(2030, 1, 8) - start).days + 1 == 3_661
    assert _refused(lambda: rules.check_period(start, date(2030, 1, 8))) == (
        "the period is longer than 3660 days: choose a shorter one")
    rules.check_period(start, date(2030, 1, 7))  # exactly 3,660 days
    assert rules.days_in(today, today) == [today]
    assert rules.days_in(date(2026, 2, 27), date(2026, 3, 2)) == [
        date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]


def test_days_around_a_daylight_saving_change():
    chicago = "America/Chicago"  # clocks go forward on Sunday 8 March 2026
    assert rules.day_bounds(date(2026, 3, 8), chicago) == (datetime(2026, 3, 8, 6, tzinfo=UTC),
                                                           datetime(2026, 3, 9, 5, tzinfo=UTC))
    assert rules.range_bounds(date(2026, 3, 7), date(2026, 3, 8), chicago) == (
        datetime(2026, 3, 7, 6, tzinfo=UTC), datetime(2026, 3, 9, 5, tzinfo=UTC))
    assert rules.local_day(datetime(2026, 3, 8, 5, 30, tzinfo=UTC), chicago) == date(2026, 3, 7)
    assert _refused(lambda: rules.local_day(datetime(2026, 3, 8, 5, 30), chicago)) == (
        "naive datetime: analytics need timezone-aware times")
