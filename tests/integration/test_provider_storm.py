"""Provider storms (issue 11): Postmark and Sent.dm answering 429 with Retry-After, 500/503, timing out and answering
slowly in the middle of a campaign. The real send path runs (campaigns.send_batch in a worker -> tools/campaigns/sending
-> the Postmark / Sent.dm clients over HTTP -> the fakes of tests/fakes, scripted with `Fault`s), on SQLite and on
PostgreSQL + Redis. Proven for email and SMS:

- a mixed storm: every eligible recipient reaches the fake exactly once (counted at the fake by Postmark Metadata
  activity id / Sent.dm Idempotency-Key); the retry of a 429'd request never arrives before its Retry-After; no
  recipient is requested more than the retry limit (MAX_ATTEMPTS); an email whose answer came too late (the batch went
  out) is reconciled by metadata, never resent; an SMS is retried with its key (409 while in flight, then a replay);
- permanent errors (Postmark ErrorCode 406 / 300, Sent.dm 400 VALIDATION_001 / 422 BUSINESS_004) are not retried: one
  answer at the fake, no request for that recipient after it, the row failed with the provider's reason;
- a storm that does not heal: each recipient is tried exactly MAX_ATTEMPTS times, then fails; the campaign pauses
  itself at its error threshold naming the last error; no request reaches the fake while it is paused; resumed after
  the fake heals, the rest goes out exactly once;
- an email timeout where nothing went out is left for review (never resent blindly);
- SMS batches of several rows whose first message (or one in two) is answered "retry later": the rest of the batch
  goes back untried and keeps its attempts, so every row's attempt count is its number of requests at the fake, no
  row fails with fewer than MAX_ATTEMPTS requests, and every other recipient is reached exactly once when it heals;
- (`redis`, PostgreSQL + Redis pass) the same kind of storm on an email and an SMS campaign at once, sent by two
  `mkt worker` processes sharing the rate limit's Retry-After hold and the delayed retries through Redis.

The workers' transports are the real clients built with a 1 s timeout (production: 30 s Postmark, 15 s Sent.dm), so
that a fake holding its answer for 2 s is a timeout. Each scenario prints one `STORM ...` line (bench/RESULTS.md,
"## faults")."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from db.models import Campaign, MarketingActivity
from db.session import unit_of_work
from integrations import postmark, sentdm
from settings import get_settings
from tests.fakes.postmark import FakePostmark, Fault
from tests.fakes.sentdm import FakeSentDm
from tests.integration.campaign_support import MARKETER, drain, fakes, people, running_worker
from tools import channels
from tools.campaigns import drafting, reconcile, sending
from tools.campaigns import lifecycle as tc

MAX = sending.MAX_ATTEMPTS
CLIENT_TIMEOUT = 3.0  # long enough that only a scripted late answer runs past it on a loaded machine (1 s did not)
HOLD = 2 * CLIENT_TIMEOUT  # a "late" or "hung" answer: longer than the client waits
TOLERANCE = 0.01  # seconds: the queue's delay is counted in whole milliseconds


def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers send through the real clients, pointed at the fakes, with a CLIENT_TIMEOUT timeout."""
    s = get_settings()
    email = postmark.PostmarkClient(s.postmark_server_token, base_url=s.postmark_api_url, sender=s.email_from,
                                    stream=s.postmark_message_stream, timeout=CLIENT_TIMEOUT)
    sms = sentdm.SentDmClient(s.sentdm_api_key, base_url=s.sentdm_api_url, sender=s.sentdm_sender or None,
                              timeout=CLIENT_TIMEOUT)
    monkeypatch.setattr(channels, "email_transport", lambda: email)
    monkeypatch.setattr(channels, "sms_transport", lambda: sms)


def campaign(channel: str, name: str = "Storm") -> int:
    content = ({"subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here."}
               if channel == "email" else {"body_text": "Hi {first_name|there}, 20% off today."})
    with unit_of_work() as uow:
        view = drafting.draft_campaign(uow.session, MARKETER, name=name, channel=channel, filter=None,
                                       send_rules={"cap_24h": 0, "cap_7d": 0}, **content)
    return view.id


def launch(campaign_id: int) -> None:
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, campaign_id)


def status_of(campaign_id: int):
    def read() -> str:
        with unit_of_work() as uow:
            return uow.session.scalar(sa.select(Campaign.status).where(Campaign.id == campaign_id))
    return read


def rows(campaign_id: int) -> dict[str, MarketingActivity]:
    """The campaign's activities by activity id (as text, the way the fakes see them) and by address."""
    with unit_of_work() as uow:
        acts = list(uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id == campaign_id).order_by(MarketingActivity.id)))
        uow.session.expunge_all()
    return {str(a.id): a for a in acts}


def tick() -> None:
    """What the scheduler runs every 10 s: reconcile email in doubt, re-enqueue, complete finished campaigns."""
    from workers.campaigns import tick as tick_actor

    tick_actor.fn()


def progress(campaign_id: int) -> tc.CampaignProgress:
    with unit_of_work() as uow:
        return tc.campaign_status(uow.session, MARKETER, campaign_id)


# --- what the fakes saw ------------------------------------------------------------------------------------------

def ids_in(entry: dict[str, Any]) -> list[str]:
    """The activity ids a send request carried (Postmark: Metadata of each message; Sent.dm: the Idempotency-Key)."""
    if "ids" in entry:
        return entry["ids"]
    return [entry["key"].removeprefix("mkt-activity-")] if entry["key"] else []


def reached(fake: Any) -> Counter:
    """Messages the fake accepted, per activity id."""
    if isinstance(fake, FakePostmark):
        return fake.per_activity()
    return Counter(key.removeprefix("mkt-activity-") for key in fake.per_key().elements())


def requests_per_activity(fake: Any) -> Counter:
    return Counter(i for entry in fake.log for i in ids_in(entry))


def permanent_answer(entry: dict[str, Any], activity_id: str) -> str | None:
    """The permanent error the fake gave this activity in this request, if any."""
    if "answered" in entry:
        code = entry["answered"].get(activity_id)
        return str(code) if code not in (None, 0) else None
    return entry["code"] if entry["status"] in (400, 422) else None


def check_retry_after(fake: Any) -> int:
    """Every request answered 429 with Retry-After: each of its recipients is requested again, never earlier than
    Retry-After after it. Returns how many 429s were checked."""
    checked = 0
    for n, entry in enumerate(fake.log):
        if entry["status"] != 429 or entry["retry_after"] is None:
            continue
        for activity_id in ids_in(entry):
            later = [e for e in fake.log[n + 1:] if activity_id in ids_in(e)]
            assert later, f"activity {activity_id} was not retried after a 429"
            waited = later[0]["at"] - entry["at"]
            assert waited >= entry["retry_after"] - TOLERANCE, \
                f"activity {activity_id} retried {waited:.3f} s after a 429 with Retry-After {entry['retry_after']}"
        checked += 1
    return checked


def retries(fake: Any) -> int:
    """Requests carrying an activity already carried by an earlier request."""
    seen: set[str] = set()
    count = 0
    for entry in fake.log:
        ids = ids_in(entry)
        count += any(i in seen for i in ids)
        seen.update(ids)
    return count


def figures(title: str, **values: Any) -> None:
    print(f"\nSTORM {title}: " + ", ".join(f"{k}={v}" for k, v in values.items()), flush=True)


def storm_figures(fake: Any, **extra: Any) -> dict[str, Any]:
    statuses = Counter(e["status"] for e in fake.log)
    faults = Counter(e["fault"] for e in fake.log if e["fault"])
    return {"requests": len(fake.log), "retries": retries(fake), "429": statuses[429],
            "5xx": sum(c for s, c in statuses.items() if s >= 500), "timeouts": faults["late"] + faults["hang"],
            "slow": faults["slow"], **extra}


# --- a mixed storm -----------------------------------------------------------------------------------------------

N = 30
STORM = {  # one fault per request in arrival order, then calm
    "email": [Fault.error(429, 2), Fault.error(500), Fault.slow(0.3), Fault.late(HOLD), Fault.error(503), None,
              Fault.error(429, 1.5), Fault.error(503), Fault.slow(0.3)],
    # the SMS answered late is held 2 s past the client's timeout: its retry (timeout + 1 s back-off) finds the key in
    # flight (409), a later one the replay. (Held much longer, its 409s use up every attempt and the row is left in
    # doubt for the tick to retry: tests/unit/test_sending_outcomes.py.)
    "sms": [Fault.error(429, 2), Fault.error(500), Fault.slow(0.3), Fault.late(CLIENT_TIMEOUT + 2), Fault.error(503),
            None,
            Fault.hang(HOLD), Fault.error(429, 1.5), None, Fault.error(503), Fault.slow(0.3)],
}


def mixed_storm_fakes(channel: str) -> tuple[FakePostmark, FakeSentDm, dict[int, str]]:
    """Fakes with the storm scripted, and the two recipients (index -> expected code) refused permanently."""
    if channel == "email":
        fake = FakePostmark(inactive={"p3@example.com"}, invalid={"p7@example.com"}, storm=list(STORM["email"]))
        return fake, FakeSentDm(), {3: "406", 7: "300"}
    fake = FakeSentDm(invalid={"+15125550004"}, opted_out={"+15125550008"}, storm=list(STORM["sms"]))
    return FakePostmark(), fake, {3: "VALIDATION_001", 7: "BUSINESS_004"}


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_mixed_storm_reaches_every_recipient_exactly_once(channel, db, monkeypatch):
    pm, sd, refused = mixed_storm_fakes(channel)
    fake = pm if channel == "email" else sd
    with fakes(monkeypatch, postmark=pm, sentdm=sd, MKT_EMAIL_BATCH_SIZE="5", MKT_SMS_BATCH_SIZE="5",
               MKT_EMAIL_RATE_PER_SECOND="200", MKT_SMS_RATE_PER_SECOND="200"):
        short_timeouts(monkeypatch)
        contacts = people(N)
        campaign_id = campaign(channel)
        fake.observe = status_of(campaign_id)
        launch(campaign_id)
        with running_worker(threads=2):
            drain()
            tick()  # email in doubt (answered too late) is looked up by metadata
            drain()
        acts = rows(campaign_id)
    by_contact = {a.contact_id: i for i, a in acts.items()}
    refused_ids = {by_contact[contacts[k]]: code for k, code in refused.items()}

    assert fake.storm == []  # the whole storm was played
    assert {e["seen"] for e in fake.log} == {"running"}
    # Which batch the storm answers too late depends on the order the workers take batches in. A refused email in
    # that batch never got its refusal back and is not found by metadata (it never went out): it stays in doubt,
    # never resent, for a person to decide (tools/campaigns/doubt). The others fail with the provider's reason.
    answer_lost = {i for e in fake.log if e["fault"] == "late" for i in ids_in(e)}
    in_doubt_refused = {i for i in refused_ids if i in answer_lost}
    per = reached(fake)
    assert {i: per[i] for i in acts if i not in refused_ids} == {i: 1 for i in acts if i not in refused_ids}
    assert sum(per.values()) == N - len(refused)  # nobody else, nobody twice
    for activity_id, a in acts.items():
        if activity_id in in_doubt_refused:
            assert a.status == "unknown" and a.error_code in (None, "review"), a
        elif activity_id in refused_ids:
            assert (a.status, a.error_code) == ("failed", refused_ids[activity_id]) and a.error_message, a
        else:
            assert a.status == "sent", (activity_id, a.status, a.error_message)
        assert a.attempts <= MAX
    asked = requests_per_activity(fake)
    assert max(asked.values()) <= MAX
    for activity_id in in_doubt_refused:  # its answer was lost: never asked again after that request
        carrying = [e for e in fake.log if activity_id in ids_in(e)]
        assert carrying[-1]["fault"] == "late", carrying
    for activity_id, code in refused_ids.items():  # a permanent error is the last thing the fake says to them
        carrying = [e for e in fake.log if activity_id in ids_in(e)]
        answers = [permanent_answer(e, activity_id) for e in carrying]
        assert answers[-1] == code and answers.count(code) == 1, answers
    honoured = check_retry_after(fake)
    assert honoured == sum(1 for f in STORM[channel] if f and f.status == 429)
    in_doubt = [a for a in acts.values() if (a.error_message or "").startswith("reconciled")]
    if channel == "email":  # the batch answered too late went out: found by metadata, not sent again
        assert len(in_doubt) >= 5 - len(in_doubt_refused)
    else:  # the SMS answered too late, or hung, went out once: their retries got a 409 or a replay
        assert sd.replays + sum(1 for e in sd.log if e["status"] == 409) >= 1
    final = progress(campaign_id)
    expected = {"sent": N - 2, "failed": 2 - len(in_doubt_refused), "unknown": len(in_doubt_refused)}
    assert final.counts == {k: v for k, v in expected.items() if v}
    assert final.status == "completed"  # nothing left to send; what is in doubt is listed for review
    duplicates = sum(c - 1 for c in per.values() if c > 1)
    figures(f"mixed {channel}", recipients=N, **storm_figures(
        fake, retry_after_honoured=f"{honoured}/{honoured}", permanent_failures=len(refused_ids),
        permanent_requests_after_error=0, reconciled=len(in_doubt), replays=getattr(fake, "replays", 0),
        conflicts_409=sum(1 for e in fake.log if e["status"] == 409), max_requests_per_recipient=max(asked.values()),
        duplicates=duplicates, paused_at="-"))


# --- a storm that does not heal ----------------------------------------------------------------------------------

OUTAGE_N = 6


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_storm_that_does_not_heal_stops_at_the_retry_limit_and_pauses_the_campaign(channel, db, monkeypatch):
    outage = Fault.error(503)
    with fakes(monkeypatch, MKT_EMAIL_BATCH_SIZE="1", MKT_SMS_BATCH_SIZE="1", MKT_EMAIL_RATE_PER_SECOND="200",
               MKT_SMS_RATE_PER_SECOND="200", MKT_CAMPAIGN_ERROR_MIN_ATTEMPTS="2",
               MKT_CAMPAIGN_ERROR_THRESHOLD="0.2") as (pm, sd):
        fake = pm if channel == "email" else sd
        fake.outage = outage
        people(OUTAGE_N)
        campaign_id = campaign(channel, "Outage")
        fake.observe = status_of(campaign_id)
        launch(campaign_id)
        with running_worker(threads=1):  # one batch at a time: the order of attempts is the order of batches
            drain()
            paused = progress(campaign_id)
            at_pause = rows(campaign_id)
            requests_at_pause = len(fake.log)
            fake.outage = None  # the provider heals; a person resumes
            with unit_of_work() as uow:
                tc.resume_campaign(uow.session, MARKETER, campaign_id)
            drain()
        tick()
        final = progress(campaign_id)
        acts = rows(campaign_id)

    assert paused.status == "paused", paused
    assert paused.pause_reason.startswith("2 of 2 attempted sends failed"), paused.pause_reason
    assert "HTTP 503" in paused.pause_reason  # the last error, in the provider's words
    failed = [i for i, a in at_pause.items() if a.status == "failed"]
    assert len(failed) == 2 and paused.counts == {"failed": 2, "queued": OUTAGE_N - 2}
    asked_at_pause = Counter(i for e in fake.log[:requests_at_pause] for i in ids_in(e))
    for activity_id in failed:  # tried exactly up to the limit, then given up
        assert at_pause[activity_id].attempts == MAX and asked_at_pause[activity_id] == MAX
        assert "503" in at_pause[activity_id].error_message
    assert all(asked_at_pause[i] < MAX for i in at_pause if i not in failed)
    assert all(e["status"] == 503 for e in fake.log[:requests_at_pause]) and reached(fake).get(failed[0]) is None
    # nothing reached the provider while the campaign was paused
    assert [e["seen"] for e in fake.log] == ["running"] * len(fake.log)
    # resumed: the rest exactly once, the failed ones never again
    per = reached(fake)
    assert {i: per[i] for i in acts} == {i: (0 if i in failed else 1) for i in acts}
    assert requests_per_activity(fake)[failed[0]] == MAX and requests_per_activity(fake)[failed[1]] == MAX
    assert final.status == "completed" and final.counts == {"sent": OUTAGE_N - 2, "failed": 2}
    figures(f"outage {channel}", recipients=OUTAGE_N, **storm_figures(
        fake, requests_per_failed_recipient=MAX, requests_while_paused=0,
        paused_at=f"{paused.counts['failed']} failed of 2 attempted (threshold 20%)",
        sent_after_resume=OUTAGE_N - 2, duplicates=sum(c - 1 for c in per.values() if c > 1)))


# --- an email timeout is never resent blindly --------------------------------------------------------------------

def test_an_email_timeout_is_reconciled_or_left_for_review_never_resent(db, monkeypatch):
    pm = FakePostmark(storm=[Fault.hang(HOLD), Fault.late(HOLD)])  # first batch dropped, second sent but late
    with fakes(monkeypatch, postmark=pm, MKT_EMAIL_BATCH_SIZE="1"):
        short_timeouts(monkeypatch)
        monkeypatch.setattr(reconcile, "INDEXING_SECONDS", 0.0)  # Postmark's search lag, over at once here
        people(2)
        campaign_id = campaign("email", "Timeouts")
        launch(campaign_id)
        with running_worker(threads=1):
            drain()
            in_doubt = rows(campaign_id)
            tick()
            drain()
        acts = rows(campaign_id)
    assert {a.status for a in in_doubt.values()} == {"unknown"}  # no answer: not retried, not failed
    assert all("timed out" in a.error_message for a in in_doubt.values())
    assert requests_per_activity(pm) == {i: 1 for i in acts}
    dropped, late = list(acts)
    assert (acts[late].status, reached(pm)[late]) == ("sent", 1)
    assert acts[late].error_message.startswith("reconciled")
    assert (acts[dropped].status, acts[dropped].error_code, reached(pm)[dropped]) == ("unknown", "review", 0)
    assert progress(campaign_id).counts == {"sent": 1, "unknown": 1}
    figures("email timeouts", recipients=2, requests=len(pm.log), reconciled_sent=1, left_for_review=1, resent=0)


# --- SMS put back untried keep their attempts ------------------------------------------------------------------------

# (recipients, batch size, worker threads, the storm, how many rows must end failed). A retryable answer ends the
# batch's round (the rest go back untried and the batch is retried after a 1 s back-off), so:
# - first-of-batch: while the storm lasts, every round's first request fails. 9 failures over two batches of 4: one
#   batch gets at least MAX of them, so exactly one row (its first) uses up its attempts; before the fix its three
#   batch mates, never sent to the provider, failed with it;
# - one-in-two: each round sends one message, then the next fails; before the fix the last row failed after a
#   single request (its four earlier "attempts" were rounds in which it was never tried). Now nobody fails.
UNTRIED = [
    pytest.param(8, 4, 2, [Fault.error(503)] * (2 * MAX - 1), 1, id="first-of-batch"),
    pytest.param(6, 6, 1, [None, Fault.error(503)] * 5, 0, id="one-in-two"),
]


@pytest.mark.parametrize(("n", "batch", "threads", "storm", "exhausted"), UNTRIED)
def test_sms_put_back_untried_keep_their_attempts(db, monkeypatch, n, batch, threads, storm, exhausted):
    fake = FakeSentDm(storm=list(storm))
    with fakes(monkeypatch, sentdm=fake, MKT_SMS_BATCH_SIZE=str(batch), MKT_SMS_RATE_PER_SECOND="200"):
        people(n)
        campaign_id = campaign("sms", "Untried")
        launch(campaign_id)
        with running_worker(threads=threads):
            drain()
        tick()
        acts = rows(campaign_id)
        final = progress(campaign_id)

    assert fake.storm == [] and len(acts) == n
    asked, per = requests_per_activity(fake), reached(fake)
    assert {i: a.attempts for i, a in acts.items()} == {i: asked[i] for i in acts}  # attempts = requests made
    failed = [i for i, a in acts.items() if a.status == "failed"]
    assert len(failed) == exhausted
    for activity_id in failed:  # given up only after MAX requests, every one answered 503
        assert asked[activity_id] == MAX and per[activity_id] == 0, (activity_id, asked[activity_id])
        assert {e["status"] for e in fake.log if activity_id in ids_in(e)} == {503}
        assert "503" in acts[activity_id].error_message
    assert {i: per[i] for i in acts if i not in failed} == {i: 1 for i in acts if i not in failed}
    assert all(acts[i].status == "sent" for i in acts if i not in failed)
    assert sum(1 for e in fake.log if e["status"] == 503) == sum(1 for f in storm if f)
    expected = {"sent": n - exhausted, "failed": exhausted}
    assert final.status == "completed" and final.counts == {k: v for k, v in expected.items() if v}
    figures(f"untried put back ({n} SMS, batches of {batch})", recipients=n, **storm_figures(
        fake, failed_at_limit=len(failed), max_requests_per_recipient=max(asked.values()),
        duplicates=sum(c - 1 for c in per.values() if c > 1)))


# --- the same storm with real worker processes (PostgreSQL + Redis pass) -------------------------------------------

PROCESS_N = 100
PATTERN = [Fault.error(429, 1.5), None, Fault.error(500), Fault.slow(0.2), None, Fault.error(503), None,
           Fault.error(429, 1), Fault.slow(0.2), None]
PROCESS_STORM = {"email": PATTERN * 2, "sms": PATTERN * 4}  # no more entries than requests: 20 batches / 100 SMS


@pytest.mark.redis
@pytest.mark.slow
def test_a_storm_across_worker_processes(db, tmp_path):
    """An email and an SMS campaign at once, sent by two `mkt worker` processes on a private Redis (the rate limit's
    Retry-After hold and the delayed retries are shared through it), against fakes answering 4 in 10 of their first
    requests with 429/500/503 and 2 in 10 slowly, each with one recipient refused permanently. Every recipient is
    reached exactly once, or (if the storm happened to hit it MAX_ATTEMPTS times) failed with exactly MAX_ATTEMPTS
    requests and never reached; the refused one is answered once; retries honour Retry-After."""
    import uuid

    from tests.fakes.server import serve_app
    from tests.faults_support import (
        RedisServer,
        base_env,
        launch,
        seed_contacts,
        start_worker,
        stop_workers,
        wait_until,
    )

    seed_contacts(db, PROCESS_N)
    fake = {"email": FakePostmark(inactive={"r3@example.com"}, storm=list(PROCESS_STORM["email"])),
            "sms": FakeSentDm(invalid={"+15122000003"}, storm=list(PROCESS_STORM["sms"]))}
    redis_server, procs = RedisServer(tmp_path), []
    redis_server.start()
    try:
        with serve_app(fake["email"].app()) as pm_url, serve_app(fake["sms"].app()) as sd_url:
            env = base_env(db.url.render_as_string(hide_password=False), redis_server.url,
                           f"mkt-storm-{uuid.uuid4().hex[:8]}", tmp_path) | {
                "POSTMARK_SERVER_TOKEN": fake["email"].token, "MKT_POSTMARK_API_URL": pm_url,
                "MKT_EMAIL_BATCH_SIZE": "5", "MKT_EMAIL_RATE_PER_SECOND": "100",
                "SENTDM_API_KEY": fake["sms"].api_key, "MKT_SENTDM_API_URL": sd_url, "MKT_SMS_BATCH_SIZE": "10",
                "MKT_SMS_RATE_PER_SECOND": "50"}
            campaigns = {channel: launch(env, channel, f"Storm {channel}")["campaign_id"] for channel in fake}
            procs += [start_worker(env, tmp_path / f"worker-{i}.log") for i in (1, 2)]

            def settled() -> bool:  # every row sent or failed (a delayed retry keeps its row queued)
                with db.connect() as conn:
                    return conn.scalar(sa.text(
                        "SELECT count(*) FROM marketing_activities WHERE status IN "
                        "('queued', 'deferred', 'sending', 'unknown')")) == 0

            wait_until("both campaigns settled", settled, 90, step=0.2)
    finally:
        stop_workers(procs)
        redis_server.stop()
    for channel, campaign_id in campaigns.items():
        f, acts = fake[channel], rows(campaign_id)
        per, asked = reached(f), requests_per_activity(f)
        refused = next(i for i, a in acts.items() if a.error_code in ("406", "VALIDATION_001"))
        exhausted = [i for i, a in acts.items() if a.status == "failed" and i != refused]
        assert f.storm == [] and len(acts) == PROCESS_N
        assert sum(c - 1 for c in per.values() if c > 1) == 0
        for activity_id, a in acts.items():
            if activity_id in exhausted:  # the storm hit it every time: given up at the limit, never reached
                assert asked[activity_id] == MAX and per[activity_id] == 0 and a.attempts == MAX, a
            elif activity_id != refused:
                assert a.status == "sent" and per[activity_id] == 1, (activity_id, a.status, a.error_message)
        answers = [permanent_answer(e, refused) for e in f.log if refused in ids_in(e)]
        assert answers[-1] is not None and sum(1 for x in answers if x) == 1 and per[refused] == 0
        honoured = check_retry_after(f)
        assert honoured == sum(1 for e in f.log if e["status"] == 429) == \
            sum(1 for x in PROCESS_STORM[channel] if x and x.status == 429)
        figures(f"processes {channel}", recipients=PROCESS_N, workers=2, **storm_figures(
            f, retry_after_honoured=f"{honoured}/{honoured}", permanent_failures=1, retries_used_up=len(exhausted),
            max_requests_per_recipient=max(asked.values()), duplicates=0, paused_at="-"))
