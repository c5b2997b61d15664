"""Follow-up sequences through the real worker, the sandbox or fake providers and the webhook processors: a reply
after step 1 means no step 2, two workers racing on due steps send once, an opt-out mid-sequence stops it."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from db.models import MarketingActivity, SequenceEnrolment, SequenceStep, WebhookEvent
from db.session import unit_of_work
from domain.roles import PermissionDenied
from tests.fakes import chatwoot as cw
from tests.fakes import sentdm as sd
from tests.fakes.sentdm import FakeSentDm
from tests.integration import companion
from tests.integration.campaign_support import MARKETER, REVIEWER, configure, drain, fakes, people, running_worker
from tools.sequences import lifecycle, views
from tools.webhook_events import store_event
from workers import campaigns as workers_campaigns
from workers.sequences import run_tick

START = datetime.now(UTC).replace(microsecond=0)
STEPS = [{"channel": "sms", "body_text": "Hi {first_name|there}, spring roof check this week?"},
         {"channel": "email", "subject": "Spring offer", "body_text": "Hi {first_name|there}, 10% off in May.",
          "wait": {"after_days": 2}, "condition": "no_reply"}]


@pytest.fixture
def clock(monkeypatch):
    """The send path's clock, moved by the test (the sequence tick and the batch claim both read it)."""
    now = {"t": START}
    monkeypatch.setattr(workers_campaigns, "clock", lambda: now["t"])
    return now


def draft(name="Spring follow-up", steps=STEPS, **kw):
    with unit_of_work() as uow:
        return lifecycle.draft_sequence(uow.session, MARKETER, name=name, filter=None, steps=steps, **kw)


def launch(ref, now=START):
    with unit_of_work() as uow:
        return lifecycle.launch_sequence(uow.session, MARKETER, ref, now=now)


def sends(sequence_id):
    """(step position, contact id, status, error code) of every step message, in order."""
    with unit_of_work() as uow:
        S, A = SequenceStep, MarketingActivity
        return [tuple(r) for r in uow.session.execute(
            sa.select(S.position, A.contact_id, A.status, A.error_code).join(S, S.campaign_id == A.campaign_id)
            .where(S.sequence_id == sequence_id).order_by(S.position, A.contact_id))]


def enrolments(sequence_id):
    with unit_of_work() as uow:
        E = SequenceEnrolment
        return {r[0]: (r[1], r[2]) for r in uow.session.execute(
            sa.select(E.contact_id, E.status, E.exit_reason).where(E.sequence_id == sequence_id))}


def webhook(provider, payload, key):
    with unit_of_work() as uow:
        store_event(uow.session, provider, key, payload.get("event", "x"), payload)
    return companion.drain()


def tick_and_send(clock, at):
    clock["t"] = at
    done = run_tick()
    with running_worker():
        drain()
    return done


def test_a_contact_who_replies_after_step_one_gets_no_step_two(db, monkeypatch, clock):
    configure(monkeypatch)
    ana, ben = people(2)
    preview = draft()
    assert [s.wait for s in preview.steps] == ["right away", "2 days after the previous step"]
    with unit_of_work() as uow:
        full = lifecycle.preview_sequence(uow.session, MARKETER, preview.sequence_id)
    assert full.audience == 2 and full.most_cost_micros > 0
    assert [s.samples[0].body.split(",")[0] for s in full.steps] == ["Hi Ana", "Hi Ana"]  # rendered, email as text
    result = launch(preview.sequence_id)
    assert (result.enrolled, result.first_due) == (2, START) and result.most_cost_micros == full.most_cost_micros
    assert tick_and_send(clock, START) == {"queued": 2}
    assert sends(preview.sequence_id) == [(0, ana, "delivered", None), (0, ben, "delivered", None)]

    reply = cw.message_created(message_id=501, content="Yes please, call me",
                               contact=cw.contact(cid=77, name="Ana", email="p0@example.com", phone="+15125550001"))
    assert webhook("chatwoot", reply, "reply-501") == ["processed"]
    assert enrolments(preview.sequence_id)[ana] == ("exited", "replied")

    assert tick_and_send(clock, START + timedelta(days=1)) == {}  # step 2 is not due yet
    assert tick_and_send(clock, START + timedelta(days=2, minutes=1)) == {"queued": 1, "completed": 1}
    assert sends(preview.sequence_id) == [(0, ana, "delivered", None), (0, ben, "delivered", None),
                                          (1, ben, "delivered", None)]
    assert enrolments(preview.sequence_id) == {ana: ("exited", "replied"), ben: ("completed", "completed")}
    with unit_of_work() as uow:
        status = views.sequence_status(uow.session, MARKETER, "spring")
        assert status.status == "completed"
        card = views.contact_sequences(uow.session, ana)
    assert [s.counts for s in status.steps] == [{"delivered": 2}, {"delivered": 1}]
    assert status.steps[0].exits_after == {"replied": 1} and status.exits == {"replied": 1}
    assert card[0].step == "left after step 1 of 2: replied (any channel)"


def test_a_failed_condition_skips_the_step_with_its_reason_and_the_next_one_still_comes(db, monkeypatch, clock):
    configure(monkeypatch)
    [ana] = people(1)
    steps = [STEPS[0], {**STEPS[1], "condition": "no_reply"},
             {"channel": "sms", "body_text": "Last call, {first_name|there}", "wait": {"after_days": 3}}]
    preview = draft(steps=steps, exit_on=["booked"])  # a reply does not end this one
    launch(preview.sequence_id)
    tick_and_send(clock, START)
    webhook("chatwoot", cw.message_created(message_id=9, content="maybe later", contact=cw.contact(
        cid=5, email="p0@example.com", phone="+15125550001")), "r9")
    assert enrolments(preview.sequence_id)[ana] == ("active", None)
    tick_and_send(clock, START + timedelta(days=2, minutes=1))
    tick_and_send(clock, START + timedelta(days=5, minutes=2))
    assert sends(preview.sequence_id) == [(0, ana, "delivered", None), (1, ana, "cancelled", "condition_no_reply"),
                                          (2, ana, "delivered", None)]


def test_two_workers_racing_on_due_steps_send_once(db, monkeypatch, clock):
    fake = FakeSentDm()
    with fakes(monkeypatch, sentdm=fake):
        ids = people(12)
        preview = draft(steps=[STEPS[0]])
        launch(preview.sequence_id)
        barrier, results = threading.Barrier(2), []

        def worker():
            barrier.wait()
            results.append(run_tick())

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sum(r.get("queued", 0) for r in results) == 12
        run_tick()  # a third tick finds nothing due
        with running_worker():
            drain()
    assert len(fake.delivered) == 12 and set(fake.per_key().values()) == {1}  # each contact once, one request each
    assert [s[2] for s in sends(preview.sequence_id)] == ["sent"] * 12
    assert set(enrolments(preview.sequence_id).values()) == {("completed", "completed")} and len(ids) == 12


def test_an_opt_out_mid_sequence_stops_it_and_says_why(db, monkeypatch, clock):
    configure(monkeypatch)
    ana, ben = people(2)
    steps = [STEPS[0], {"channel": "sms", "body_text": "Still keen, {first_name|there}?",
                        "wait": {"after_days": 2}}]
    preview = draft(steps=steps)
    launch(preview.sequence_id)
    tick_and_send(clock, START)
    assert webhook("sentdm", sd.inbound_event("+15125550001", "STOP"), "stop-1") == ["processed"]
    assert enrolments(preview.sequence_id)[ana] == ("exited", "opted_out")
    tick_and_send(clock, START + timedelta(days=2, minutes=1))
    assert sends(preview.sequence_id) == [(0, ana, "delivered", None), (0, ben, "delivered", None),
                                          (1, ben, "delivered", None)]
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) >= 1
        assert views.sequence_status(uow.session, MARKETER, preview.sequence_id).exits == {"opted_out": 1}


def test_an_opt_out_found_when_the_step_falls_due_is_recorded_and_ends_the_enrolment(db, monkeypatch, clock):
    from tools.contacts.optouts import opt_out

    configure(monkeypatch)
    [ana] = people(1)
    preview = draft(steps=[{**STEPS[1], "wait": {"after_days": 1}, "condition": "always"}])
    launch(preview.sequence_id)
    with unit_of_work() as uow:  # suppressed by address only (another contact's STOP): no contact flag, no hook
        from db.models import Suppression

        uow.session.add(Suppression(channel="email", address="p0@example.com", reason="opt_out", source="chat"))
    tick_and_send(clock, START + timedelta(days=1))
    assert sends(preview.sequence_id) == [(0, ana, "cancelled", "suppressed")]
    assert enrolments(preview.sequence_id)[ana] == ("exited", "opted_out")
    assert opt_out  # the processors' path is covered above


def test_pause_holds_due_steps_and_resume_sends_them(db, monkeypatch, clock):
    configure(monkeypatch)
    [ana] = people(1)
    preview = draft(steps=[STEPS[0]])
    launch(preview.sequence_id)
    with unit_of_work() as uow:
        lifecycle.pause_sequence(uow.session, MARKETER, preview.sequence_id)
    assert tick_and_send(clock, START) == {}
    assert sends(preview.sequence_id) == []
    with unit_of_work() as uow:
        lifecycle.resume_sequence(uow.session, MARKETER, preview.sequence_id)
    assert tick_and_send(clock, START + timedelta(minutes=1)) == {"queued": 1, "completed": 1}
    assert sends(preview.sequence_id) == [(0, ana, "delivered", None)]


def test_removal_by_hand_and_roles(db, monkeypatch, clock):
    configure(monkeypatch)
    ana, ben = people(2)
    preview = draft(steps=[{**STEPS[0], "wait": {"after_days": 1}}])
    launch(preview.sequence_id)
    with unit_of_work() as uow:
        lifecycle.remove_contact(uow.session, MARKETER, preview.sequence_id, f"#{ana}")
        with pytest.raises(lifecycle.SequenceError, match="not active"):
            lifecycle.remove_contact(uow.session, MARKETER, preview.sequence_id, f"#{ana}")
    with unit_of_work() as uow, pytest.raises(PermissionDenied):
        lifecycle.launch_sequence(uow.session, REVIEWER, preview.sequence_id)
    tick_and_send(clock, START + timedelta(days=1))
    assert sends(preview.sequence_id) == [(0, ben, "delivered", None)]
    assert enrolments(preview.sequence_id)[ana] == ("exited", "removed")


def test_bad_drafts_say_why_and_leave_nothing(db, monkeypatch):
    configure(monkeypatch)
    for steps, message in (([], "at least one step"), ([{"channel": "sms", "body_text": ""}], "step 1: the message"),
                           ([{"channel": "email", "body_text": "x"}], "subject"),
                           ([{"channel": "sms", "body_text": "x", "wait": {"weekday": "someday"}}], "weekday")):
        with unit_of_work() as uow, pytest.raises(lifecycle.SequenceError, match=message):
            lifecycle.draft_sequence(uow.session, MARKETER, name="Bad", filter=None, steps=steps)
            # the unit of work commits (the error is caught inside it): whatever the draft wrote must be undone
    with unit_of_work() as uow:
        assert views.list_sequences(uow.session, MARKETER) == []


def test_a_step_due_at_night_waits_for_the_contacts_morning_and_the_next_counts_from_then(db, monkeypatch, clock):
    from tests.integration.campaign_support import zone_at
    from tools.contacts.card import contact_card

    configure(monkeypatch)
    [ana] = people(1, timezone=zone_at(2, START))  # 02:00 where she lives: SMS wait for 08:00
    preview = draft(steps=[STEPS[0], {"channel": "sms", "body_text": "Still keen?", "wait": {"after_days": 1}}])
    launch(preview.sequence_id)
    assert run_tick() == {"deferred": 1}
    morning = START.replace(minute=0, second=0) + timedelta(hours=6)
    with unit_of_work() as uow:
        activity = uow.session.scalar(sa.select(MarketingActivity).where(MarketingActivity.contact_id == ana))
        enrolment = uow.session.scalar(sa.select(SequenceEnrolment).where(SequenceEnrolment.contact_id == ana))
        assert (activity.status, activity.error_code) == ("deferred", "quiet_hours")
        assert activity.scheduled_for.replace(tzinfo=UTC) == morning
        assert enrolment.next_due_at.replace(tzinfo=UTC) == morning + timedelta(days=1)
        card = contact_card(uow.session, MARKETER, f"#{ana}")
    assert [s.step for s in card.sequences] == [f"step 2 of 2 (sms) due {morning + timedelta(days=1):%a %d %b %H:%M} UTC"]


def test_an_sms_answer_through_sentdm_ends_it_but_help_does_not(db, monkeypatch, clock):
    configure(monkeypatch)
    ana, ben = people(2)
    preview = draft(steps=[{**STEPS[0], "wait": {"after_days": 1}}])
    launch(preview.sequence_id)
    assert webhook("sentdm", sd.inbound_event("+15125550001", "sounds good, call me"), "in-1") == ["processed"]
    assert webhook("sentdm", sd.inbound_event("+15125550002", "HELP"), "in-2") == ["processed"]
    assert enrolments(preview.sequence_id) == {ana: ("exited", "replied"), ben: ("active", None)}
