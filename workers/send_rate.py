"""Send-rate limits shared by every worker: messages per second per provider.

A GCRA schedule ("the next free slot"): each caller reserves `n` message slots spaced 1/rate apart and waits
until its slot: `reserve` (the send path) books the slots and returns when they start, so the job is deferred in the
queue instead of holding a thread, and books nothing when the schedule is full further than a horizon (ghost
bookings of a paused campaign then cost at most that); `wait` (blocking) is for callers that may sleep. With Redis (MKT_REDIS_URL) the schedule lives in one Redis key updated by a Lua script using the
Redis clock, so all worker processes share it; without Redis it lives in this process. Unlike fixed windows,
slots never bunch at a window edge, so a provider's token bucket of one second never sees more than the rate.
A 429's Retry-After pushes the schedule back for everyone (`hold`).

The schedule says when a batch should go; `take` says whether it may go now. It charges the messages actually about
to leave to a copy of the provider's token bucket (a GCRA on send times, shared like the schedule): a batch that
comes back late from the queue goes as soon as that bucket has room, instead of bunching with the batches sent on
time beyond what the provider holds (requests refused) or booking a new slot at the end of the schedule (a hole: the
rate is lost)."""

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
_RESERVE_WITHIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = math.max(tat, now)
if start - now > tonumber(ARGV[3]) then
  return '0:' .. tostring(start - now)
end
local new_tat = start + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], tostring(new_tat), 'EX', math.ceil(new_tat - now) + 60)
return '1:' .. tostring(start - now)
"""
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local over = tat - now - tonumber(ARGV[3])
if over > 0 then
  return tostring(over)
end
local new_tat = tat + tonumber(ARGV[1]) * tonumber(ARGV[2])
redis.call('SET', KEYS[1], tostring(new_tat), 'EX', math.ceil(new_tat - now) + 60)
return '0'
"""
_HELD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = tonumber(redis.call('GET', KEYS[1]) or '0')
return tostring(math.max(until_ - now, 0))
"""
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local new_tat = math.max(tat, now + tonumber(ARGV[1]))
redis.call('SET', KEYS[1], tostring(new_tat), 'EX', math.ceil(new_tat - now) + 60)
local held = now + tonumber(ARGV[1])
redis.call('SET', KEYS[2], tostring(held), 'EX', math.ceil(tonumber(ARGV[1])) + 60)
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
            self._reserve_within = self._redis.register_script(_RESERVE_WITHIN)
            self._take = self._redis.register_script(_TAKE)
            self._held = self._redis.register_script(_HELD)
            self._hold = self._redis.register_script(_HOLD)
        self._lock = threading.Lock()
        self._tat = 0.0
        self._sent_tat = 0.0
        self._held_until = 0.0

    def reserve(self, n: int, horizon: float) -> tuple[float, bool]:
        """Book `n` consecutive slots unless the schedule is full further than `horizon` seconds. Returns (seconds
        until the first booked slot, True), or (seconds until the schedule frees up, False) when nothing was booked.
        Never sleeps. Raises when the shared schedule is unreachable (Redis down)."""
        if not self.interval or n <= 0:
            return 0.0, True
        if self._redis is not None:
            booked, delay = self._reserve_within(keys=[self._key], args=[n, self.interval, horizon]).decode().split(":")
            return max(float(delay), 0.0), booked == "1"
        with self._lock:
            now = time.monotonic()
            start = max(self._tat, now)
            if start - now > horizon:
                return start - now, False
            self._tat = start + n * self.interval
            return start - now, True

    def take(self, n: int, tolerance: float) -> float:
        """Charge `n` messages leaving now to the provider's bucket as we track it (one token per message, refilled
        at the rate) unless that bucket is behind by more than `tolerance` seconds; returns 0.0 when charged, else
        the seconds until it has room (nothing charged). Never sleeps. Raises when Redis is unreachable."""
        if not self.interval or n <= 0:
            return 0.0
        if self._redis is not None:
            return max(float(self._take(keys=[self._key + ":sent"], args=[n, self.interval, tolerance])), 0.0)
        with self._lock:
            now = time.monotonic()
            tat = max(self._sent_tat, now)
            if (over := tat - now - tolerance) > 0:
                return over
            self._sent_tat = tat + n * self.interval
            return 0.0

    def held_for(self) -> float:
        """Seconds a provider's Retry-After still holds everyone back (0: none)."""
        if self._redis is not None:
            return float(self._held(keys=[self._key + ":held"]))
        with self._lock:
            return max(self._held_until - time.monotonic(), 0.0)

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
            self._hold(keys=[self._key, self._key + ":held"], args=[seconds])
            return
        with self._lock:
            self._tat = max(self._tat, time.monotonic() + seconds)
            self._held_until = max(self._held_until, time.monotonic() + seconds)


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
