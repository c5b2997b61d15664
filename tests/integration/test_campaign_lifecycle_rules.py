"""The state rules of a campaign after its draft, stated with literal answers (tools/campaigns/lifecycle.py; issue 24,
the mutation run's survivors): who may launch, pause, resume, cancel, preview, see and test a campaign; which
status each move starts from and the exact refusal otherwise; what a launch writes (one outbox row per recipient,
queued or deferred with the reason, the campaign's stats) and which send jobs it enqueues after commit; what pause,
resume and cancel do to the campaign and its rows.

The clock of a launch is frozen (`launch_campaign(now=)`); contacts live in zones where that instant is midday
(Chicago) or the night (Tokyo). The send jobs are caught where `db.jobs` sends them after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from db.models import Campaign, MarketingActivity, SchedulerLock, utcnow
from db.session import unit_of_work
from domain.roles import PermissionDenied
from integrations.sandbox import NOTICE
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER, REVIEWER, configure
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc

NOW = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)  # Chicago 12:00 CDT; Tokyo 02:00 JST (quiet until 08:00)
TOKYO_8AM = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
SMS_TEXT = "Hi {first_name|there}, 20% off today."


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone (stored as UTC)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def world(monkeypatch, **env: str) -> dict[str, int]:
    """Five contacts: ana and ben by day in Chicago, cy at night in Tokyo, dee opted out of SMS, eve without a phone."""
    configure(monkeypatch, **env)
    with unit_of_work() as uow:
        s = uow.session
        return {
            "ana": create_contact(s, first_name="Ana", phone="+15125550101", email="ana@example.com",
                                  timezone="America/Chicago").id,
            "ben": create_contact(s, first_name="Ben", phone="+15125550102", email="ben@example.com",
                                  timezone="America/Chicago").id,
            "cy": create_contact(s, first_name="Cy", phone="+15125550103", email="cy@example.com",
                                 timezone="Asia/Tokyo").id,
            "dee": create_contact(s, first_name="Dee", phone="+15125550104", email="dee@example.com",
                                  timezone="America/Chicago", opted_out_sms=True).id,
            "eve": create_contact(s, first_name="Eve", email="eve@example.com", timezone="America/Chicago").id,
        }


def draft(channel: str = "sms", name: str = "Spring", **kw) -> int:
    args = {"body_text": SMS_TEXT} if channel == "sms" else {
        "subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here."}
    with unit_of_work() as uow:
        return drafting.draft_campaign(uow.session, MARKETER, name=name, channel=channel, filter=None,
                                       **(args | kw)).id


def rows(campaign_id: int) -> dict[int, dict]:
    with unit_of_work() as uow:
        return {a.contact_id: {"status": a.status, "scheduled_for": _utc(a.scheduled_for), "error_code": a.error_code,
                               "error_message": a.error_message, "variant": a.variant, "cost_micros": a.cost_micros,
                               "attempts": a.attempts, "created_at": _utc(a.created_at),
                               "updated_at": _utc(a.updated_at), "channel": a.channel, "type": a.type}
                for a in uow.session.scalars(sa.select(MarketingActivity).where(
                    MarketingActivity.campaign_id == campaign_id))}


def ids_by_status(campaign_id: int, status: str) -> list[int]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(MarketingActivity.id).where(
            MarketingActivity.campaign_id == campaign_id, MarketingActivity.status == status)
            .order_by(MarketingActivity.id)))


def set_status(campaign_id: int, status: str) -> None:
    with unit_of_work() as uow:
        uow.session.get(Campaign, campaign_id).status = status


def campaign(campaign_id: int) -> Campaign:
    with unit_of_work() as uow:
        c = uow.session.get(Campaign, campaign_id)
        uow.session.expunge(c)
        return c


def queued_row(campaign_id: int, contact_id: int, status: str, **kw) -> MarketingActivity:
    return MarketingActivity(campaign_id=campaign_id, contact_id=contact_id, channel="sms", type="campaign",
                             status=status, cost_micros=0, attempts=0, created_at=NOW, updated_at=NOW, **kw)


# --- who may do what -------------------------------------------------------------------------------------------------

REFUSED = "your role (reviewer) does not allow to {}: it needs the 'campaigns' permission"


@pytest.mark.parametrize(("call", "action"), [
    (lambda s, ref: tc.check_launch(s, REVIEWER, ref), "launch campaigns"),
    (lambda s, ref: tc.launch_campaign(s, REVIEWER, ref, now=NOW), "launch campaigns"),
    (lambda s, ref: tc.preview_campaign(s, REVIEWER, ref), "preview campaigns"),
    (lambda s, ref: tc.campaign_status(s, REVIEWER, ref), "see campaigns"),
    (lambda s, ref: tc.pause_campaign(s, REVIEWER, ref), "pause campaigns"),
    (lambda s, ref: tc.resume_campaign(s, REVIEWER, ref), "resume campaigns"),
    (lambda s, ref: tc.cancel_campaign(s, REVIEWER, ref), "cancel campaigns"),
    (lambda s, ref: tc.send_test(s, REVIEWER, ref, "+15125550199"), "send test messages"),
], ids=["check_launch", "launch", "preview", "status", "pause", "resume", "cancel", "send_test"])
def test_a_reviewer_is_refused_every_move_with_the_action_named(db, monkeypatch, sent_jobs, call, action):
    world(monkeypatch)
    ref = draft()
    set_status(ref, "paused" if action == "resume campaigns" else "running" if action == "pause campaigns"
               else "draft")
    before = (campaign(ref).status, rows(ref))
    with unit_of_work() as uow, pytest.raises(PermissionDenied) as refused:
        call(uow.session, ref)
    assert str(refused.value) == REFUSED.format(action)
    assert (campaign(ref).status, rows(ref)) == before and sent_jobs == []


@pytest.mark.parametrize("call", [
    lambda s, ref: tc.check_launch(s, MARKETER, ref), lambda s, ref: tc.launch_campaign(s, MARKETER, ref, now=NOW),
    lambda s, ref: tc.preview_campaign(s, MARKETER, ref), lambda s, ref: tc.campaign_status(s, MARKETER, ref),
    lambda s, ref: tc.pause_campaign(s, MARKETER, ref), lambda s, ref: tc.resume_campaign(s, MARKETER, ref),
    lambda s, ref: tc.cancel_campaign(s, MARKETER, ref), lambda s, ref: tc.send_test(s, MARKETER, ref, "+15125550199"),
], ids=["check_launch", "launch", "preview", "status", "pause", "resume", "cancel", "send_test"])
def test_an_unknown_campaign_is_a_campaign_error_naming_it(db, monkeypatch, call):
    world(monkeypatch)
    draft()
    with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
        call(uow.session, "Autumn")
    assert str(refused.value) == "no campaign is called 'Autumn': say 'list campaigns' to see them"


# --- launch ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["running", "paused", "completed", "cancelled"])
def test_only_a_draft_can_be_launched(db, monkeypatch, sent_jobs, status):
    world(monkeypatch)
    ref = draft()
    set_status(ref, status)
    for check in (lambda s: tc.check_launch(s, MARKETER, ref), lambda s: tc.launch_campaign(s, MARKETER, ref, now=NOW)):
        with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
            check(uow.session)
        assert str(refused.value) == f"campaign 'Spring' is {status}: only a draft can be launched"
    assert rows(ref) == {} and sent_jobs == []


def test_check_launch_answers_the_draft_itself(db, monkeypatch):
    world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        checked = tc.check_launch(uow.session, MARKETER, "spring")
        assert (checked.id, checked.name, checked.status) == (ref, "Spring", "draft")


def test_a_real_email_without_a_postal_address_is_refused_before_approval(db, monkeypatch, sent_jobs):
    world(monkeypatch, POSTMARK_SERVER_TOKEN="a-real-token", MKT_SENDER_POSTAL_ADDRESS="")
    ref = draft("email")
    for check in (lambda s: tc.check_launch(s, MARKETER, ref), lambda s: tc.launch_campaign(s, MARKETER, ref, now=NOW)):
        with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
            check(uow.session)
        assert str(refused.value) == drafting.POSTAL_MISSING
    assert rows(ref) == {} and campaign(ref).status == "draft" and sent_jobs == []
    sms = draft("sms", name="Texts")  # an SMS carries no postal footer: it launches
    with unit_of_work() as uow:
        assert tc.check_launch(uow.session, MARKETER, sms).status == "draft"


def test_an_sms_launch_writes_one_row_per_recipient_and_enqueues_the_queued_ones(db, monkeypatch, sent_jobs):
    who = world(monkeypatch, MKT_SMS_BATCH_SIZE="1")
    ref = draft()
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert launched == tc.LaunchResult(ref, "running", 2, 1, {"opted_out": 1, "no_address": 1}, 3 * 8000, NOTICE,
                                       tc.NO_WORKER)
    base = {"scheduled_for": None, "error_code": None, "error_message": None, "variant": None, "cost_micros": 0,
            "attempts": 0, "created_at": NOW, "updated_at": NOW, "channel": "sms", "type": "campaign"}
    assert rows(ref) == {
        who["ana"]: base | {"status": "queued"},
        who["ben"]: base | {"status": "queued"},
        who["cy"]: base | {"status": "deferred", "scheduled_for": TOKYO_8AM, "error_code": "quiet_hours",
                           "error_message": "outside SMS hours in the contact's time zone (deferred): found at launch"},
    }
    c = campaign(ref)
    assert (c.status, _utc(c.launched_at), c.pause_reason) == ("running", NOW, None)
    assert c.stats == {"audience": 5, "excluded": {"opted_out": 1, "no_address": 1}, "deferred_at_launch": 1,
                       "estimated_cost_micros": 24000, "sandbox": True}
    queued = ids_by_status(ref, "queued")
    assert len(queued) == 2
    assert sent_jobs == [("campaigns.send_batch", (ref, [queued[0]])), ("campaigns.send_batch", (ref, [queued[1]]))]


def test_send_jobs_carry_the_channels_batch_size(db, monkeypatch, sent_jobs):
    world(monkeypatch, MKT_SMS_BATCH_SIZE="2")
    ref = draft()
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert sent_jobs == [("campaigns.send_batch", (ref, ids_by_status(ref, "queued")))]


def test_an_sms_launch_prices_each_recipients_segments(db, monkeypatch, sent_jobs):
    world(monkeypatch)
    long_text = "Hi {first_name|there}, " + "x" * 150  # 2 segments once the STOP notice is added
    ref = draft(body_text=long_text)
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert (launched.queued, launched.deferred, launched.estimated_cost_micros) == (2, 1, 3 * 2 * 8000)


def test_an_email_launch_costs_one_price_per_message(db, monkeypatch, sent_jobs):
    who = world(monkeypatch)
    ref = draft("email")
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert (launched.queued, launched.deferred, launched.excluded, launched.estimated_cost_micros) == (5, 0, {}, 5 * 1800)
    assert {contact: r["status"] for contact, r in rows(ref).items()} == {i: "queued" for i in who.values()}
    assert campaign(ref).stats["estimated_cost_micros"] == 9000


def test_a_schedule_in_the_future_defers_everyone_until_then_and_enqueues_nothing(db, monkeypatch, sent_jobs):
    who = world(monkeypatch)
    later = NOW + timedelta(hours=2)
    ref = draft(schedule_at=later)
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert (launched.queued, launched.deferred) == (0, 3)
    got = {contact: (r["status"], r["scheduled_for"], r["error_code"]) for contact, r in rows(ref).items()}
    assert got == {who["ana"]: ("deferred", later, None), who["ben"]: ("deferred", later, None),
                   who["cy"]: ("deferred", TOKYO_8AM, "quiet_hours")}  # the later of the two
    assert campaign(ref).stats["deferred_at_launch"] == 3
    assert sent_jobs == []


def test_a_schedule_later_than_quiet_hours_wins_for_the_deferred_contact(db, monkeypatch, sent_jobs):
    who = world(monkeypatch)
    later = TOKYO_8AM + timedelta(hours=1)
    ref = draft(schedule_at=later)
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert rows(ref)[who["cy"]]["scheduled_for"] == later


@pytest.mark.parametrize("at", [NOW, NOW - timedelta(minutes=1)], ids=["now", "past"])
def test_a_schedule_that_is_not_in_the_future_sends_now(db, monkeypatch, sent_jobs, at):
    who = world(monkeypatch)
    ref = draft(schedule_at=at)
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert (launched.queued, launched.deferred) == (2, 1)
    assert rows(ref)[who["ana"]]["scheduled_for"] is None


def test_a_launch_clears_an_old_pause_reason(db, monkeypatch, sent_jobs):
    world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        uow.session.get(Campaign, ref).pause_reason = "left over"
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert campaign(ref).pause_reason is None


def test_ab_variants_are_written_on_each_row(db, monkeypatch, sent_jobs):
    from domain.campaigns import pick_variant  # the split itself is domain/campaigns.py's (pinned there)

    world(monkeypatch)
    variants = [{"name": "A", "weight": 1, "body_text": "A {first_name|}"},
                {"name": "B", "weight": 1, "body_text": "B {first_name|}"}]
    ref = draft("email", variants=variants)  # five recipients
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    got = {contact: r["variant"] for contact, r in rows(ref).items()}
    assert got == {contact: pick_variant(variants, ref, contact)["name"] for contact in got}
    assert set(got.values()) == {"A", "B"}  # both used, so a constant answer would fail


@pytest.mark.parametrize(("lock_until", "note"), [
    (None, tc.NO_WORKER),
    ("launch", tc.NO_WORKER),  # a lease at the launch's (past) instant is no worker now
    ("now", None),
], ids=["no-lease", "old-lease", "live-lease"])
def test_the_worker_note_says_when_nothing_will_send(db, monkeypatch, sent_jobs, lock_until, note):
    world(monkeypatch)
    ref = draft()
    if lock_until:
        with unit_of_work() as uow:
            until = NOW if lock_until == "launch" else utcnow() + timedelta(minutes=5)
            uow.session.add(SchedulerLock(name="periodic:tick", owner="w", locked_until=until))
    with unit_of_work() as uow:
        assert tc.launch_campaign(uow.session, MARKETER, ref, now=NOW).worker_note == note


# --- pause, resume, cancel -------------------------------------------------------------------------------------------

def launched(monkeypatch) -> tuple[int, dict[str, int]]:
    who = world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    return ref, who


def test_pause_stops_a_running_campaign_and_says_who_paused_it(db, monkeypatch, sent_jobs):
    ref, _ = launched(monkeypatch)
    before = rows(ref)
    sent_jobs.clear()
    with unit_of_work() as uow:
        progress = tc.pause_campaign(uow.session, MARKETER, ref)
    assert (progress.status, progress.pause_reason) == ("paused", "paused by marketer@example.com")
    assert progress.counts == {"queued": 2, "deferred": 1}
    c = campaign(ref)
    assert (c.status, c.pause_reason) == ("paused", "paused by marketer@example.com")
    assert rows(ref) == before and sent_jobs == []


@pytest.mark.parametrize("status", ["draft", "paused", "completed", "cancelled"])
def test_only_a_running_campaign_can_be_paused(db, monkeypatch, status):
    world(monkeypatch)
    ref = draft()
    set_status(ref, status)
    with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
        tc.pause_campaign(uow.session, MARKETER, ref)
    assert str(refused.value) == f"campaign 'Spring' is {status}, not running"
    assert campaign(ref).status == status


def test_resume_sends_on_what_is_queued_and_clears_the_reason(db, monkeypatch, sent_jobs):
    ref, _ = launched(monkeypatch)
    with unit_of_work() as uow:
        tc.pause_campaign(uow.session, MARKETER, ref)
    sent_jobs.clear()
    with unit_of_work() as uow:
        progress = tc.resume_campaign(uow.session, MARKETER, ref)
    assert (progress.status, progress.pause_reason) == ("running", None)
    c = campaign(ref)
    assert (c.status, c.pause_reason) == ("running", None)
    assert sent_jobs == [("campaigns.send_batch", (ref, ids_by_status(ref, "queued")))]  # not the deferred one


def test_resume_with_nothing_queued_enqueues_nothing(db, monkeypatch, sent_jobs):
    world(monkeypatch)
    ref = draft()
    set_status(ref, "paused")
    with unit_of_work() as uow:
        assert tc.resume_campaign(uow.session, MARKETER, ref).status == "running"
    assert sent_jobs == []


@pytest.mark.parametrize("status", ["draft", "running", "completed", "cancelled"])
def test_only_a_paused_campaign_can_be_resumed(db, monkeypatch, sent_jobs, status):
    world(monkeypatch)
    ref = draft()
    set_status(ref, status)
    with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
        tc.resume_campaign(uow.session, MARKETER, ref)
    assert str(refused.value) == f"campaign 'Spring' is {status}, not paused"
    assert campaign(ref).status == status and sent_jobs == []


@pytest.mark.parametrize("status", ["draft", "running", "paused"])
def test_cancel_cancels_every_unsent_row_and_keeps_the_sent_ones(db, monkeypatch, status):
    who = world(monkeypatch)
    ref = draft()
    set_status(ref, status)
    with unit_of_work() as uow:
        s = uow.session
        for name, row_status in (("ana", "queued"), ("ben", "deferred"), ("cy", "sent"), ("dee", "sending"),
                                 ("eve", "failed")):
            s.add(queued_row(ref, who[name], row_status))
    started = utcnow()
    with unit_of_work() as uow:
        progress = tc.cancel_campaign(uow.session, MARKETER, ref)
    assert progress.status == "cancelled"
    assert progress.counts == {"cancelled": 2, "sent": 1, "sending": 1, "failed": 1}
    got = rows(ref)
    assert {c: r["status"] for c, r in got.items()} == {who["ana"]: "cancelled", who["ben"]: "cancelled",
                                                         who["cy"]: "sent", who["dee"]: "sending",
                                                         who["eve"]: "failed"}
    assert got[who["ana"]]["updated_at"] >= started and got[who["ben"]]["updated_at"] >= started
    assert got[who["cy"]]["updated_at"] == NOW  # untouched
    c = campaign(ref)
    assert c.status == "cancelled" and _utc(c.completed_at) >= started


def test_cancel_touches_no_other_campaigns_rows(db, monkeypatch):
    who = world(monkeypatch)
    ref, other = draft(), draft(name="Other")
    with unit_of_work() as uow:
        uow.session.add(queued_row(other, who["ana"], "queued"))
    with unit_of_work() as uow:
        tc.cancel_campaign(uow.session, MARKETER, ref)
    assert rows(other)[who["ana"]]["status"] == "queued" and campaign(other).status == "draft"


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_finished_campaign_cannot_be_cancelled(db, monkeypatch, status):
    who = world(monkeypatch)
    ref = draft()
    set_status(ref, status)
    with unit_of_work() as uow:
        uow.session.add(queued_row(ref, who["ana"], "queued"))
    with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
        tc.cancel_campaign(uow.session, MARKETER, ref)
    assert str(refused.value) == f"campaign 'Spring' is already {status}"
    assert campaign(ref).status == status and rows(ref)[who["ana"]]["status"] == "queued"


@pytest.fixture
def pigeon(monkeypatch):
    """A text channel priced per message, by the address (no segments, no quiet hours, no opt-out column)."""
    from domain import channels as rules
    from integrations.transport import Codes
    from tools import channels

    monkeypatch.setitem(rules.RULES, "pigeon", rules.ChannelRule(
        "pigeon", "phone", rules.RULES["sms"].normalise, rules.RULES["sms"].valid, "loft"))
    monkeypatch.setitem(channels.REGISTRY, "pigeon", channels.Channel(
        "pigeon", lambda: None, lambda: 0.0, Codes(), send_one=lambda t, msg, key: "",
        price_micros=lambda address: 100 + int(address[-2:]) if address else 1))


def test_a_launch_on_a_channel_priced_per_message_prices_each_address(db, monkeypatch, sent_jobs, pigeon):
    world(monkeypatch)
    ref = draft("pigeon")
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert (launched.queued, launched.deferred, launched.excluded) == (4, 0, {"no_address": 1})
    assert launched.estimated_cost_micros == 101 + 102 + 103 + 104  # ana, ben, cy, dee (no opt-out column here)


@pytest.mark.parametrize(("env", "sam", "excluded"), [
    ({}, "queued", {"opted_out": 1, "no_address": 1}),  # the sandbox: sample data is messaged
    ({"SENTDM_API_KEY": "a-real-key"}, None, {"opted_out": 1, "no_address": 1, "sample": 1}),
], ids=["sandbox", "real"])
def test_sample_contacts_get_a_launch_only_in_the_sandbox(db, monkeypatch, sent_jobs, env, sam, excluded):
    world(monkeypatch, **env)
    with unit_of_work() as uow:
        sample = create_contact(uow.session, first_name="Sam", phone="+15125550107", timezone="America/Chicago",
                                is_sample=True).id
    ref = draft()
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert launched.excluded == excluded and launched.queued == (3 if sam else 2)
    assert rows(ref).get(sample, {}).get("status") == sam


@pytest.mark.parametrize("chunk", [2, 1], ids=["chunks-of-2", "chunks-of-1"])
def test_a_launch_over_several_chunks_adds_every_chunk_up(db, monkeypatch, sent_jobs, chunk):
    from tools.campaigns import audience

    monkeypatch.setattr(audience, "CHUNK", chunk)
    who = world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, ref, now=NOW)
    assert (launched.queued, launched.deferred, launched.excluded, launched.estimated_cost_micros) == (
        2, 1, {"opted_out": 1, "no_address": 1}, 24000)
    assert campaign(ref).stats == {"audience": 5, "excluded": {"opted_out": 1, "no_address": 1},
                                   "deferred_at_launch": 1, "estimated_cost_micros": 24000, "sandbox": True}
    assert {c: r["status"] for c, r in rows(ref).items()} == {who["ana"]: "queued", who["ben"]: "queued",
                                                               who["cy"]: "deferred"}
