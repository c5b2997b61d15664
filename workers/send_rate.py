"""Send-rate limits shared by every worker: messages per second per provider.

A GCRA schedule ("the next free slot"): each caller reserves `n` message slots spaced 1/rate apart and sleeps
until its slot. With Redis (MKT_REDIS_URL) the schedule lives in one Redis key updated by a Lua script using the
Redis clock, so all worker processes share it; without Redis it lives in this process. Unlike fixed windows,
slots never bunch at a window edge, so a provider's token bucket of one second never sees more than the rate.
A 429's Retry-After pushes the schedule back for everyone (`hold`)."""

from __future__ import annotations

import threading
import time

from settings import get_settings

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
local new_tat = start + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], tostring(new_tat), 'EX', math.ceil(new_tat - now) + 60)
return tostring(start - now)
"""
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local new_tat = math.max(tat, now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], tostring(new_tat), 'EX', math.ceil(new_tat - now) + 60)
return tostring(new_tat - now)
"""


class RateLimiter:
    def __init__(self, name: str, per_second: float) -> None:
        self.name = name
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        settings = get_settings()
        self._redis = None
        if settings.redis_url:
            import redis

            self._redis = redis.Redis.from_url(settings.redis_url)
            self._key = f"{settings.queue_namespace}:rate:{name}"
            self._reserve = self._redis.register_script(_RESERVE)
            self._hold = self._redis.register_script(_HOLD)
        self._lock = threading.Lock()
        self._tat = 0.0

    def wait(self, n: int = 1) -> float:
        """Block until `n` messages may go. Returns the seconds waited."""
        if not self.interval or n <= 0:
            return 0.0
        if self._redis is not None:
            delay = float(self._reserve(keys=[self._key], args=[n, self.interval]))
        else:
            with self._lock:
                now = time.monotonic()
                start = max(self._tat, now)
                self._tat = start + n * self.interval
                delay = start - now
        if delay > 0:
            time.sleep(delay)
        return max(delay, 0.0)

    def hold(self, seconds: float) -> None:
        """Nobody sends for `seconds` (a provider's Retry-After)."""
        if seconds <= 0:
            return
        if self._redis is not None:
            self._hold(keys=[self._key], args=[seconds])
            return
        with self._lock:
            self._tat = max(self._tat, time.monotonic() + seconds)


_limiters: dict[tuple[str, float], RateLimiter] = {}
_lock = threading.Lock()


def limiter(provider: str, per_second: float) -> RateLimiter:
    """The process-wide limiter of a provider at this rate."""
    with _lock:
        key = (provider, per_second)
        if key not in _limiters:
            _limiters[key] = RateLimiter(provider, per_second)
        return _limiters[key]


def reset() -> None:
    """Forget the limiters (tests change settings)."""
    with _lock:
        _limiters.clear()
