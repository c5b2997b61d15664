"""The provider call of the send path, answer by answer (tools/campaigns/sending.py `deliver`; issue 24, the mutation
run's survivors). The real Sent.dm and Postmark clients talk over HTTP to the fakes (tests/fakes/); each test writes
out the Results it expects, the requests the fake saw and what the rate limiter was told.

SMS go one request per message, each with the activity's Idempotency-Key, each marked requested right before its
call (a row the mark refuses is skipped, the rest still go), each in its booked slot, each after the gate: a
refusal of one number fails or suppresses that one message; "retry later" or "halt" sends the rest of the batch back
untried (they use up no attempt). Email goes in one request: an answer per message, or one outcome for all (retry,
halt, or "unknown" when Postmark may have sent without answering). A 429's Retry-After, and only a 429's, is passed
on to the limiter; a limiter that fails is logged and the results still come back."""

from __future__ import annotations

import logging
import time

import pytest

from integrations import postmark, sentdm
from tests.fakes.postmark import FakePostmark, Fault
from tests.fakes.sentdm import FakeSentDm
from tests.fakes.server import serve_app
from tools.campaigns.sending import Batch, Result, deliver
from tools.channels import Outgoing

NUMBERS = {1: "+15125550101", 2: "+15125550102", 3: "+15125550103", 4: "+15125550104"}
OPTED_OUT = "Sent.dm HTTP 422 BUSINESS_004: All recipients opted out"
INVALID = "Sent.dm HTTP 400 VALIDATION_001: Validation failed"
RATE = "Sent.dm HTTP 429 BUSINESS_002: Rate limit exceeded"
DOWN = "Sent.dm HTTP 503 SERVICE_001: Service temporarily unavailable"
KEY_REFUSED = "Sent.dm HTTP 401 AUTH_002: API key invalid"


class Limiter:
    """The rate limiter's `hold` as the send path sees it: records each Retry-After it is told."""

    def __init__(self, broken: bool = False) -> None:
        self.held: list[float] = []
        self.broken = broken

    def hold(self, seconds: float) -> None:
        if self.broken:
            raise ConnectionError("redis is away")
        self.held.append(seconds)


class Marks:
    """The `mark` callback: records each call; refuses the ids in `taken` (requested by another claim)."""

    def __init__(self, taken: set[int] = frozenset()) -> None:
        self.calls: list[list[int]] = []
        self.taken = set(taken)

    def __call__(self, ids: list[int]) -> set[int]:
        self.calls.append(list(ids))
        return set(ids) - self.taken


def sms_batch(ids=(1, 2, 3, 4)) -> Batch:
    return Batch(7, "sms", [Outgoing(i, 100 + i, NUMBERS[i], text=f"Hi {i}. Reply STOP to opt out.", segments=1)
                            for i in ids])


def sms(fake: FakeSentDm, ids=(1, 2, 3, 4), **kw):
    """deliver() of an SMS batch through the real Sent.dm client to `fake`."""
    with serve_app(fake.app()) as url:
        return deliver(sms_batch(ids), sentdm.SentDmClient(fake.api_key, base_url=url), **kw)


def sent_ids(fake: FakeSentDm) -> dict[str, str]:
    return {m["to"]: m["message_id"] for m in fake.delivered}


def test_each_sms_answer_is_its_own_result_under_its_own_key(db):
    fake = FakeSentDm(opted_out={NUMBERS[2]}, invalid={NUMBERS[3]})
    gate, limiter, marks = [], Limiter(), Marks()
    results, wait = sms(fake, limiter=limiter, mark=marks, gate=lambda: gate.append(len(fake.log)))
    ids = sent_ids(fake)
    assert (results, wait) == ([
        Result(1, "sent", ids[NUMBERS[1]]),
        Result(2, "suppressed", code="BUSINESS_004", message=OPTED_OUT),
        Result(3, "failed", code="VALIDATION_001", message=INVALID),
        Result(4, "sent", ids[NUMBERS[4]])], None)
    assert [(e["key"], e["to"]) for e in fake.log] == [(f"mkt-activity-{i}", [NUMBERS[i]]) for i in (1, 2, 3, 4)]
    assert marks.calls == [[1], [2], [3], [4]]  # one mark per message, right before its own request
    assert gate == [0, 1, 2, 3]  # the gate is passed before each request
    assert limiter.held == []


def test_a_row_the_mark_refuses_is_skipped_and_the_rest_still_go(db):
    fake = FakeSentDm()
    marks = Marks(taken={2})
    results, wait = sms(fake, ids=(1, 2, 3), mark=marks)
    ids = sent_ids(fake)
    assert (results, wait) == ([Result(1, "sent", ids[NUMBERS[1]]), Result(3, "sent", ids[NUMBERS[3]])], None)
    assert [e["to"] for e in fake.log] == [[NUMBERS[1]], [NUMBERS[3]]]
    assert marks.calls == [[1], [2], [3]]


def test_retry_later_sends_the_rest_of_the_batch_back_untried_and_holds_the_limiter(db):
    fake = FakeSentDm(storm=[None, Fault.error(429, 7)])
    limiter = Limiter()
    results, wait = sms(fake, limiter=limiter, mark=Marks())
    assert (results, wait) == ([
        Result(1, "sent", sent_ids(fake)[NUMBERS[1]]),
        Result(2, "retry", code="BUSINESS_002", message=RATE),
        Result(3, "retry", code="BUSINESS_002", message=f"not tried: {RATE}", tried=False),
        Result(4, "retry", code="BUSINESS_002", message=f"not tried: {RATE}", tried=False)], 7.0)
    assert len(fake.log) == 2 and limiter.held == [7.0]


def test_only_a_429_holds_the_limiter(db):
    limiter = Limiter()
    results, wait = sms(FakeSentDm(storm=[Fault.error(503, 9)]), ids=(1, 2), limiter=limiter, mark=Marks())
    assert (results, wait) == ([Result(1, "retry", code="SERVICE_001", message=DOWN),
                                Result(2, "retry", code="SERVICE_001", message=f"not tried: {DOWN}", tried=False)], 9.0)
    assert limiter.held == []


def test_a_limiter_that_fails_is_logged_and_the_retry_still_comes_back(db, caplog):
    with caplog.at_level(logging.WARNING, logger="tools.campaigns.sending"):
        results, wait = sms(FakeSentDm(storm=[Fault.error(429, 3)]), ids=(1,), limiter=Limiter(broken=True),
                            mark=Marks())
    assert (results, wait) == ([Result(1, "retry", code="BUSINESS_002", message=RATE)], 3.0)
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "tools.campaigns.sending"] == [
        ("WARNING", "rate limiter unavailable for a Retry-After hold: ConnectionError")]


def test_no_limiter_no_hold_and_nothing_to_log(db, caplog):
    with caplog.at_level(logging.DEBUG, logger="tools.campaigns.sending"):
        results, wait = sms(FakeSentDm(storm=[Fault.error(429, 3)]), ids=(1,), limiter=None, mark=Marks())
    assert (results, wait) == ([Result(1, "retry", code="BUSINESS_002", message=RATE)], 3.0)
    assert [r for r in caplog.records if r.name == "tools.campaigns.sending"] == []


def test_a_refused_key_halts_and_sends_the_rest_back_untried(db):
    fake = FakeSentDm()

    def refuse_after_the_first() -> None:  # our key is revoked while the batch goes out
        if len(fake.log) == 1:
            fake.api_key = "99999999-2222-3333-4444-555555555555"

    fake.observe = refuse_after_the_first
    with serve_app(fake.app()) as url:
        client = sentdm.SentDmClient("11111111-2222-3333-4444-555555555555", base_url=url)
        results, wait = deliver(sms_batch((1, 2, 3)), client, Limiter(), mark=Marks())
    assert (results, wait) == ([
        Result(1, "sent", sent_ids(fake)[NUMBERS[1]]),
        Result(2, "halt", code="AUTH_002", message=KEY_REFUSED),
        Result(3, "halt", code="AUTH_002", message=f"not tried: {KEY_REFUSED}", tried=False)], None)
    assert len(fake.log) == 2


def test_each_sms_waits_for_its_booked_slot(db):
    fake = FakeSentDm()
    fake.observe = time.time  # the wall clock as each request arrives
    slot = time.time() + 0.8  # one slot booked for the first message; the second has none and goes at once
    results, _ = sms(fake, ids=(1, 2), mark=Marks(), slots=[slot])
    assert [r.kind for r in results] == ["sent", "sent"]
    assert fake.log[0]["seen"] >= slot, "the first SMS left before its slot"


def test_an_empty_batch_calls_nobody(db):
    marks = Marks()
    fake = FakeSentDm()
    assert sms(fake, ids=(), mark=marks) == ([], None)
    assert (marks.calls, fake.log) == ([], [])


# --- email: one request for the batch ------------------------------------------------------------------

def email_batch(ids=(1, 2, 3)) -> Batch:
    return Batch(8, "email", [Outgoing(i, 200 + i, f"p{i}@example.com", subject="Spring", text=f"Hi {i}",
                                       html=f"<p>Hi {i}</p>") for i in ids])


def email(fake: FakePostmark, ids=(1, 2, 3), timeout: float = 30.0, token: str | None = None, **kw):
    with serve_app(fake.app()) as url:
        client = postmark.PostmarkClient(token or fake.token, base_url=url, sender="news@acme.test", timeout=timeout)
        return deliver(email_batch(ids), client, **kw)


def test_each_email_of_a_batch_gets_its_own_answer(db):
    fake = FakePostmark(inactive={"p2@example.com"}, invalid={"p3@example.com"})
    marks = Marks(taken={4})
    results, wait = email(fake, ids=(1, 2, 3, 4), limiter=Limiter(), mark=marks)
    delivered = {m["To"]: m["MessageID"] for m in fake.delivered}
    inactive_id = results[1].message_id
    assert isinstance(inactive_id, str) and len(inactive_id) == 36  # Postmark's id for the refused message
    assert (results, wait) == ([
        Result(1, "sent", delivered["p1@example.com"]),
        Result(2, "suppressed", inactive_id, "406", "You tried to send to recipient(s) that have been marked as "
                                                    "inactive. Found inactive addresses: p2@example.com."),
        Result(3, "failed", None, "300", "Invalid 'To' address: 'p3@example.com'.")], None)
    assert marks.calls == [[1, 2, 3, 4]] and [e["ids"] for e in fake.log] == [["1", "2", "3"]]


def test_a_batch_nobody_may_send_makes_no_request(db):
    fake = FakePostmark()
    assert email(fake, mark=Marks(taken={1, 2, 3})) == ([], None)
    assert fake.requests == 0


def test_an_email_batch_refused_as_a_whole(db):
    limiter = Limiter()
    results, wait = email(FakePostmark(failures=[(429, 11)]), ids=(1, 2), limiter=limiter, mark=Marks())
    rate = "Postmark HTTP 429 ErrorCode 429: Rate limit exceeded."
    assert (results, wait) == ([Result(1, "retry", code="429", message=rate),
                                Result(2, "retry", code="429", message=rate)], 11.0)
    assert limiter.held == [11.0]

    results, wait = email(FakePostmark(), ids=(1, 2), token="a-revoked-token", limiter=limiter,
                          mark=Marks())
    refused = "Postmark HTTP 401 ErrorCode 10: Request does not contain a valid Server token."
    assert (results, wait) == ([Result(1, "halt", code="10", message=refused),
                                Result(2, "halt", code="10", message=refused)], None)


def test_an_email_batch_without_an_answer_is_in_doubt_never_retried(db):
    fake = FakePostmark(storm=[Fault.late(3.0)])  # sent, but the answer comes long after the client gave up
    limiter = Limiter()
    results, wait = email(fake, ids=(1, 2), timeout=0.3, limiter=limiter, mark=Marks())
    assert wait is None and limiter.held == [] and [(r.activity_id, r.kind, r.code, r.tried) for r in results] == [
        (1, "unknown", None, True), (2, "unknown", None, True)]
    note = "no answer from postmark, it may have sent: looked up by metadata before anything else (Postmark timed out: "
    assert all(r.message.startswith(note) for r in results), results[0].message


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_the_channel_decides_how_a_batch_goes_out(db, channel):
    """SMS never go as one batch request, email never one by one (each needs the other's transport)."""
    fake = FakeSentDm() if channel == "sms" else FakePostmark()
    results, _ = sms(fake, ids=(1,), mark=Marks()) if channel == "sms" else email(fake, ids=(1,), mark=Marks())
    assert [r.kind for r in results] == ["sent"] and len(fake.delivered) == 1
