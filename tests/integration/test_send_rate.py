"""The send path's copy of a provider's token bucket (workers/send_rate.py `RateLimiter.take`), on the shared Redis
schedule when the suite runs with Redis, in process otherwise: what it charges, and what it refuses until the
provider has room. A late batch may go at once when the bucket is idle, never beyond the tolerance given."""

import uuid

from workers.send_rate import RateLimiter


def fresh(rate: float) -> RateLimiter:
    return RateLimiter(f"test-{uuid.uuid4().hex[:8]}", rate)


def test_an_idle_bucket_takes_a_whole_batch_at_once_then_refuses_what_would_go_beyond_the_tolerance():
    limit = fresh(10)  # 0.1 s per message
    assert limit.take(5, 0.3) == 0.0  # idle: charged, the bucket is now 0.5 s behind
    wait = limit.take(5, 0.3)  # 0.5 s behind > 0.3 s: refused, nothing charged
    assert 0.1 < wait <= 0.2 + 1e-6
    assert limit.take(1, 0.6) == 0.0  # within a wider tolerance: charged (0.6 s behind now)
    assert limit.take(1, 0.55) > 0.0  # and that one counted: 0.6 s behind now


def test_a_refused_take_charges_nothing():
    limit = fresh(10)
    assert limit.take(3, 0.0) == 0.0  # 0.3 s behind
    for _ in range(5):
        assert limit.take(1, 0.0) > 0.0  # refused every time: had one been charged, the wait would grow
    assert limit.take(1, 0.35) == 0.0


def test_no_rate_means_no_limit():
    limit = fresh(0)
    assert [limit.take(100, 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]


def test_the_schedule_and_the_bucket_are_separate():
    """Booking slots ahead (`reserve`, for deferring) does not use the bucket, which counts requests leaving."""
    limit = fresh(10)
    delay, booked = limit.reserve(20, horizon=30)
    assert booked and delay <= 0.01
    assert limit.take(5, 0.3) == 0.0
