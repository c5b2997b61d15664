"""Typed provider errors: retry later, or never retry."""

from __future__ import annotations

import time
from datetime import UTC
from email.utils import parsedate_to_datetime


class ProviderError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class RetryableError(ProviderError):
    """429, 5xx, timeouts, connection errors: try again, after `retry_after` seconds when the provider says.
    `in_doubt`: the request may have reached the provider and been acted on (no answer in time, the connection
    dropped after sending, an answer that does not match the request): trying again may do it twice."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 retry_after: float | None = None, in_doubt: bool = False) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after
        self.in_doubt = in_doubt


class PermanentError(ProviderError):
    """4xx validation, auth, invalid recipient: retrying cannot help."""


def retry_after_seconds(value: str | None, default: float | None = None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"), which
    becomes the seconds from `now` (time.time()) until then, 0 when past; anything unreadable gives `default`."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return default
    if when is None:
        return default
    if when.tzinfo is None:  # RFC 9110: an HTTP-date is always UTC ("GMT")
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
    try:
        return max(0.0, float(value))
    except ValueError:
        return default
