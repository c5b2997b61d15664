"""Ad figures (domain/ads_metrics.py), every answer written out: money in integer micro-dollars, counts, days in
UTC and not after tomorrow, and each refusal's words (they name the figure a person typed wrong)."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.ads_metrics import MetricsError, check_figures, money_text, parse_count, parse_day, parse_money, per

DEC_1 = date(2026, 12, 1)


def refusal(call, *args, **kwargs) -> str:
    with pytest.raises(MetricsError) as refused:
        call(*args, **kwargs)
    return str(refused.value)


def test_money_is_read_into_micro_dollars():
    assert [parse_money(v) for v in (12, "12.50 usd", "$1,234.50", None, "", "$", "0", "0.50")] == [
        12_000_000, 12_500_000, 1_234_500_000, 0, 0, 0, 0, 500_000]
    assert refusal(parse_money, True) == "spend: True is not an amount"
    assert refusal(parse_money, "-3") == "spend: '-3' is negative"
    assert (money_text(None), money_text(1_234_500_000), money_text(5)) == ("-", "$1,234.50", "$0.00")


def test_counts_are_whole_and_not_negative():
    assert [parse_count(v, "clicks") for v in (None, "", " ", "1,234", 7)] == [0, 0, 0, 1234, 7]
    assert refusal(parse_count, True, "clicks") == "clicks: True is not a count"
    assert refusal(parse_count, "abc", "clicks") == "clicks: 'abc' is not a whole number"
    assert refusal(parse_count, "-3", "clicks") == "clicks: '-3' must be a whole number of at least 0"
    assert refusal(parse_count, "1.5", "clicks") == "clicks: '1.5' must be a whole number of at least 0"


def test_a_day_is_the_utc_date_and_at_most_tomorrow():
    chicago = timezone(timedelta(hours=-6))
    assert parse_day(datetime(2026, 12, 1, 21, 30, tzinfo=chicago), DEC_1) == date(2026, 12, 2)  # 03:30 UTC
    assert parse_day(datetime(2026, 12, 1, 21, 30), DEC_1) == DEC_1  # naive: its own date
    assert parse_day("2026-12-02", DEC_1) == date(2026, 12, 2)  # tomorrow: a zone ahead of UTC
    assert refusal(parse_day, "2026-12-03", DEC_1) == "day 2026-12-03 is in the future"
    assert refusal(parse_day, None, DEC_1) == "day: '' is not a date (use YYYY-MM-DD)"
    assert refusal(parse_day, "31/12/2026", DEC_1) == "day: '31/12/2026' is not a date (use YYYY-MM-DD)"


def test_a_day_is_read_in_utc_whatever_the_machines_zone():
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"  # UTC+14: from 10:00 UTC its date is UTC's date + 1
    time.tzset()
    try:
        assert parse_day(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), DEC_1) == date(2026, 12, 2)  # 02:00 on the 3rd there
        assert parse_day(datetime(2026, 12, 2, 3, 0), DEC_1) == date(2026, 12, 2)  # naive: its own date, not moved
        later = datetime.now(UTC).date() + timedelta(days=2)
        assert refusal(parse_day, later.isoformat()) == f"day {later.isoformat()} is in the future"
    finally:  # the process's zone as it was, for the tests after this one
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_a_days_figures_are_checked_and_name_what_is_wrong():
    assert check_figures("2026-12-01", 5_000_000, "10", "10", "1", today=DEC_1).clicks == 10  # as many as shown
    assert check_figures("2026-12-01", "$5", 10, 2, 0, today=DEC_1).spend_micros == 5_000_000
    assert refusal(check_figures, "2026-12-03", 0, 0, 0, 0, today=DEC_1) == "day 2026-12-03 is in the future"
    bad = {"spend": ("12.5", 0, 0, 0), "impressions": (0, "x", 0, 0), "clicks": (0, 0, "x", 0),
           "conversions": (0, 0, 0, "x")}
    said = {what: refusal(check_figures, "2026-12-01", *figures, today=DEC_1) for what, figures in bad.items()}
    assert said == {"spend": "spend_micros: '12.5' must be a whole number of at least 0",
                    "impressions": "impressions: 'x' is not a whole number",
                    "clicks": "clicks: 'x' is not a whole number",
                    "conversions": "conversions: 'x' is not a whole number"}


def test_cost_per_is_whole_micros_rounded_half_up():
    assert [per(5, 2), per(10, 3), per(4, 3), per(7, 0)] == [3, 3, 1, None]
    assert type(per(10, 3)) is int
