"""What a batch result does to its row (tools/campaigns/sending._row): out of attempts while Sent.dm still works on
the same Idempotency-Key (409 CONFLICT_001) is in doubt, never "failed": the first request may well have sent it
(a provider storm test saw a delivered SMS recorded as failed)."""

from __future__ import annotations

from datetime import UTC, datetime

from tools.campaigns.sending import MAX_ATTEMPTS, Result, _row
from tools.channels import Outgoing

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OUT = Outgoing(activity_id=1, contact_id=1, to="+15125550100", text="Hi", segments=1, cost_micros=7900)


def status(result: Result, attempts: int) -> str:
    return _row(result, OUT, "sentdm", NOW, attempts, "sms")["status"]


def test_a_key_still_in_flight_after_the_last_attempt_is_in_doubt_not_failed():
    in_flight = Result(1, "retry", code="CONFLICT_001", message="still being processed")
    assert status(in_flight, MAX_ATTEMPTS - 1) == "queued"  # attempts left: retried with the same key
    assert status(in_flight, MAX_ATTEMPTS) == "unknown"  # the tick retries it later with the same key


def test_other_retryable_errors_still_fail_after_the_last_attempt():
    assert status(Result(1, "retry", code="INTERNAL_001", message="503"), MAX_ATTEMPTS) == "failed"
    assert status(Result(1, "retry", code=None, message="timed out"), MAX_ATTEMPTS) == "failed"
