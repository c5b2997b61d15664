"""Typed provider errors: retry later, or never retry."""

from __future__ import annotations


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


def retry_after_seconds(value: str | None, default: float | None = None) -> float | None:
    """Parse a Retry-After header given in seconds (HTTP-date forms fall back to `default`)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default
