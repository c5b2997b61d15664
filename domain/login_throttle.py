"""Login throttling: exponential back-off per account and per client address (pure; the caller passes the clock).

Each key (an account name, a client address) may fail `free` times; every failure after that blocks the key for
`base` seconds doubled each time (1, 2, 4 ... at most `cap`). While a key is blocked every attempt is refused
before the password is even checked, so guessing costs the attacker the whole back-off. A success clears the
account's failures; a key left alone for `forget` seconds is forgotten. Memory is bounded by `max_keys`.

(A rate-limit library such as `limits` counts requests in fixed or moving windows; what is wanted here is a
block that doubles with each failure and ends on success, which is these few lines.)"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Strikes:
    failures: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


@dataclass
class Policy:
    free: int
    base: float = 1.0
    cap: float = 900.0


ACCOUNT = Policy(free=5)
ADDRESS = Policy(free=20)


@dataclass
class LoginThrottle:
    forget: float = 3600.0
    max_keys: int = 100_000
    _keys: dict[tuple[str, str], _Strikes] = field(default_factory=dict)

    def retry_after(self, keys: list[tuple[str, str]], now: float) -> float:
        """Seconds until every key may try again (0: go ahead)."""
        waits = [self._keys[k].blocked_until - now for k in keys if k in self._keys]
        return max([0.0, *waits])

    def failed(self, keys: list[tuple[str, str]], now: float) -> float:
        """Count a failure on every key; returns the longest block it started (0: none yet)."""
        longest = 0.0
        for key in keys:
            if key not in self._keys:
                self._prune(now)  # room for a new key only: a known key's failure evicts nobody
            strikes = self._keys.setdefault(key, _Strikes())
            if now - strikes.last > self.forget:
                strikes.failures = 0
            strikes.failures += 1
            strikes.last = now
            policy = ACCOUNT if key[0] == "account" else ADDRESS
            over = strikes.failures - policy.free
            if over > 0:
                delay = min(policy.cap, policy.base * 2 ** min(over - 1, 30))
                strikes.blocked_until = now + delay
                longest = max(longest, delay)
        return longest

    def succeeded(self, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            self._keys.pop(key, None)

    def failures(self, key: tuple[str, str]) -> int:
        return self._keys[key].failures if key in self._keys else 0

    def _prune(self, now: float) -> None:
        if len(self._keys) < self.max_keys:
            return
        for key in [k for k, s in self._keys.items() if now - s.last > self.forget and s.blocked_until <= now]:
            del self._keys[key]
        while len(self._keys) >= self.max_keys:  # still full: forget the oldest
            del self._keys[min(self._keys, key=lambda k: self._keys[k].last)]
