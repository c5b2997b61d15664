"""A 3-step sequence for 1,000 contacts under a frozen clock (issue 23, "Done when"), through the real sequence and
campaign ticks, the real worker (campaigns.send_batch), the Sent.dm and Postmark fakes over HTTP, and the real webhook
processors while webhooks arrive: replies (Chatwoot), bookings (Cal.com), STOPs (Sent.dm inbound), hard bounces
(Postmark), and replies that land after a step was queued but before the worker sent it.

Step 1: SMS now; step 2: email 2 days later if no reply; step 3: SMS 3 days after that if no booking. A tenth of the
contacts live where it is 02:00 at launch: their SMS waits for 08:00 local, and their later steps count from then.
What must hold, counted at the fakes: each contact got exactly the steps before their exit, each once; no SMS went
out outside 08:00-21:00 in the contact's zone; each enrolment ended for the right reason."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from db.models import Contact, MarketingActivity, SequenceEnrolment, SequenceStep
from db.session import unit_of_work
from tests.fakes import calcom as cal
from tests.fakes import chatwoot as cw
from tests.fakes import sentdm as sd
from tests.integration import companion
from tests.integration.campaign_support import MARKETER, drain, fakes, running_worker, zone_at
from tools.sequences import lifecycle
from tools.webhook_events import store_event
from workers import campaigns as workers_campaigns
from workers import sequences as workers_sequences

N = 1000
START = datetime(2026, 5, 18, 17, 0, tzinfo=UTC)  # a Monday; the contacts' zones are chosen from it
DAY_ZONE, NIGHT_ZONE = zone_at(12, START), zone_at(2, START)
STEP_TEXT = ("Hi {first_name|there}, spring roof check?", "Hi {first_name|there}, 10% off in May.",
             "Last call for spring checks, {first_name|there}")
STEPS = [{"channel": "sms", "body_text": STEP_TEXT[0]},
         {"channel": "email", "subject": "Spring offer", "body_text": STEP_TEXT[1], "wait": {"after_days": 2},
          "condition": "no_reply"},
         {"channel": "sms", "body_text": STEP_TEXT[2], "wait": {"after_days": 3}, "condition": "no_booking"}]
# what happens to contact i, by i % 10
REPLY_1, BOOK_1, STOP_1, BOUNCE_2, REPLY_QUEUED_2, NIGHT = 0, 1, 2, 3, 4, 9
EXPECTED = {REPLY_1: ((1,), ("exited", "replied")), BOOK_1: ((1,), ("exited", "booked")),
            STOP_1: ((1,), ("exited", "opted_out")), BOUNCE_2: ((1, 2), ("exited", "bounced")),
            REPLY_QUEUED_2: ((1,), ("exited", "replied"))}
ALL_STEPS = ((1, 2, 3), ("completed", "completed"))


def phone(i: int) -> str:
    return f"+1512555{i + 1:04d}"


def email(i: int) -> str:
    return f"p{i}@example.com"


def seed() -> dict[int, int]:
    """N contacts (roofers), a tenth at night; returns contact id -> i."""
    with unit_of_work() as uow:
        rows = [Contact(first_name=f"P{i}", email=email(i), phone=phone(i), tags=["roofer"],
                        timezone=NIGHT_ZONE if i % 10 == NIGHT else DAY_ZONE) for i in range(N)]
        uow.session.add_all(rows)
        uow.session.flush()
        return {c.id: i for i, c in enumerate(rows)}


def webhooks(events: list[tuple[str, str, dict]]) -> Counter:
    with unit_of_work() as uow:
        for provider, key, payload in events:
            store_event(uow.session, provider, key, payload.get("event") or payload.get("triggerEvent")
                        or payload.get("RecordType"), payload)
    return Counter(companion.drain())


def reply(i: int) -> tuple[str, str, dict]:
    return "chatwoot", f"reply-{i}", cw.message_created(
        message_id=10_000 + i, content="Yes, call me", contact=cw.contact(cid=20_000 + i, name=f"P{i}", email=email(i),
                                                                          phone=phone(i)))


def booking(i: int) -> tuple[str, str, dict]:
    return "calcom", f"book-{i}", cal.booking(uid=f"uid-{i}", booking_id=30_000 + i, email=email(i), name=f"P{i} Roof",
                                              start=START + timedelta(days=4), created_at=START + timedelta(hours=1))


def stop(i: int) -> tuple[str, str, dict]:
    return "sentdm", f"stop-{i}", sd.inbound_event(phone(i), "STOP")


def bounce(message: dict) -> tuple[str, str, dict]:
    return "postmark", f"bounce-{message['MessageID']}", {
        "RecordType": "Bounce", "Type": "HardBounce", "TypeCode": 1, "MessageID": message["MessageID"],
        "Email": message["To"], "Description": "mailbox unknown", "Metadata": message["Metadata"]}


def tick(clock: dict, at: datetime, *, send: bool = True) -> dict[str, int]:
    """Both periodic ticks at `at` (the sequence tick queues due steps; the campaign tick frees deferred ones), then
    the worker sends what they queued."""
    clock["t"] = at
    done = workers_sequences.run_tick(at)
    workers_campaigns.run_tick(at)
    if send:
        send_all()
    return done


def send_all() -> None:
    with running_worker():
        drain()


def test_a_three_step_sequence_for_1000_contacts_while_webhooks_arrive(db, monkeypatch):
    clock = {"t": START}
    monkeypatch.setattr(workers_campaigns, "clock", lambda: clock["t"])
    sentdm = sd.FakeSentDm()
    with fakes(monkeypatch, sentdm=sentdm, MKT_SEND_CAP_24H="2", MKT_SEND_CAP_7D="5",
               MKT_SMS_RATE_PER_SECOND="1000") as (postmark, _):
        sentdm.observe = postmark.observe = lambda: clock["t"]
        index = seed()
        by_group = {g: [i for i in range(N) if i % 10 == g] for g in range(10)}
        with unit_of_work() as uow:
            sequence = lifecycle.draft_sequence(uow.session, MARKETER, name="Spring", steps=STEPS,
                                                filter={"field": "tags", "op": "has", "value": "roofer"})
        with unit_of_work() as uow:
            launched = lifecycle.launch_sequence(uow.session, MARKETER, sequence.sequence_id, now=START)
        assert launched.enrolled == N

        # day 0: step 1 to everyone awake; the night zone waits for its 08:00 (START + 6 h)
        assert tick(clock, START) == {"queued": 900, "deferred": 100}
        assert webhooks([reply(i) for i in by_group[REPLY_1]] + [booking(i) for i in by_group[BOOK_1]]
                        + [stop(i) for i in by_group[STOP_1]]) == {"processed": 300}
        tick(clock, START + timedelta(hours=3))  # still night there: nothing
        assert len(sentdm.delivered) == 900
        tick(clock, START + timedelta(hours=6, minutes=1))
        assert len(sentdm.delivered) == 1000

        # day 2: step 2 (email) to those still in; replies arrive after it was queued, before the worker sends it
        due = tick(clock, START + timedelta(days=2, minutes=1), send=False)
        assert due == {"queued": 600}  # 1,000 - 300 who left - the night zone (due 6 h later)
        assert webhooks([reply(i) for i in by_group[REPLY_QUEUED_2]]) == {"processed": 100}
        send_all()
        assert len(postmark.delivered) == 500
        bounced = [m for m in postmark.delivered if int(m["To"][1:].split("@")[0]) % 10 == BOUNCE_2]
        assert webhooks([bounce(m) for m in bounced]) == {"processed": 100}
        assert tick(clock, START + timedelta(days=2, hours=6, minutes=2)) == {"queued": 100}  # the night zone

        # day 5: step 3 (SMS) to those who never left; then nothing more is due, ever
        assert tick(clock, START + timedelta(days=5, minutes=2)) == {"queued": 400}
        assert tick(clock, START + timedelta(days=5, hours=6, minutes=3)) == {"queued": 100, "completed": 1}
        assert tick(clock, START + timedelta(days=30)) == {}

    expected = {i: EXPECTED.get(i % 10, ALL_STEPS) for i in range(N)}
    got: dict[int, list[int]] = {i: [] for i in range(N)}
    by_phone = {phone(i): i for i in range(N)}
    for m in sentdm.delivered:
        got[by_phone[m["to"]]].append(1 if m["text"].startswith("Hi ") else 3)
    for m in postmark.delivered:
        got[int(m["To"][1:].split("@")[0])].append(2)
    assert {i: tuple(sorted(s)) for i, s in got.items()} == {i: e[0] for i, e in expected.items()}  # each step once
    assert set(sentdm.per_key().values()) == {1} and set(postmark.per_activity().values()) == {1}

    late = [(entry["to"], entry["seen"]) for entry in sentdm.log if entry["status"] == 202
            for number in entry["to"] if not 8 <= local_hour(by_phone[number], entry["seen"]) < 21]
    assert late == []  # no SMS outside 08:00-21:00 where the contact lives

    with unit_of_work() as uow:
        E = SequenceEnrolment
        ended = {index[r[0]]: (r[1], r[2]) for r in uow.session.execute(
            sa.select(E.contact_id, E.status, E.exit_reason).where(E.sequence_id == sequence.sequence_id))}
        cancelled = Counter(tuple(r) for r in uow.session.execute(
            sa.select(SequenceStep.position, MarketingActivity.error_code)
            .join(SequenceStep, SequenceStep.campaign_id == MarketingActivity.campaign_id)
            .where(MarketingActivity.status == "cancelled")))
    assert ended == {i: e[1] for i, e in expected.items()}
    assert cancelled == {(1, "replied"): 100}  # the queued step 2 of those who replied before it went out


def local_hour(i: int, at: datetime) -> int:
    return at.astimezone(ZoneInfo(NIGHT_ZONE if i % 10 == NIGHT else DAY_ZONE)).hour
