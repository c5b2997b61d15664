"""How the send path records what the provider answered, row by row (tools/campaigns/sending.py `record_batch`,
`mark_requested`, `pause_for`, `check_error_threshold`; issue 24, the mutation run's survivors).

One SMS batch is claimed at a frozen instant; before its answers are recorded some rows change as they would in a
running system (a delivery webhook got there first, the tick put one back in the queue or marked it in doubt, a row
used up its attempts). Each row is then compared whole with its expected state: sent (time, id, price, address,
key), failed (time, code and message cut to the columns' sizes), back to the queue (claim and request cleared; the
attempt kept when the provider was reached, given back when not), in doubt, suppressed at the provider (the number
opted out), or left alone. The record's own clock is the real one: its times are checked between two readings of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from db.models import Campaign, Contact, MarketingActivity, Suppression, WebhookEvent, utcnow
from db.session import unit_of_work
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER, configure
from tools.campaigns import drafting, sending
from tools.campaigns import lifecycle as tc
from tools.campaigns.sending import Result, begin_batch, check_error_threshold, mark_requested, record_batch

LAUNCHED = datetime(2026, 7, 1, 12, 50, tzinfo=UTC)
CLAIMED = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # London 14:05: every contact below may be sent
REQUESTED = CLAIMED + timedelta(seconds=2)
WHO = ["sent", "failed", "retry", "untried", "spent", "spent_in_flight", "unknown", "suppressed", "delivered_first",
       "failed_first", "unknown_first", "bounced_first", "halt", "halt_untried", "swept", "deferred", "long",
       "failed_late", "retry_late"]


def aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def claimed_batch(names: list[str], channel: str = "sms") -> tuple[int, dict[str, int], sending.Batch]:
    """A launched campaign with one contact per name; its one batch claimed at CLAIMED."""
    with unit_of_work() as uow:
        contacts = {who: create_contact(uow.session, phone=f"+1512555{n + 1:04d}", email=f"{who}@example.com",
                                        timezone="Europe/London").id for n, who in enumerate(names)}
        view = drafting.draft_campaign(uow.session, MARKETER, name="Record", channel=channel, filter=None,
                                       body_text="Hi there, 20% off today.", send_rules={"cap_24h": 0, "cap_7d": 0},
                                       **({"subject": "Spring"} if channel == "email" else {}))
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, view.id, now=LAUNCHED)
    with unit_of_work() as uow:
        acts = {a.contact_id: a.id for a in uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id == view.id))}
        batch = begin_batch(uow.session, view.id, sorted(acts.values()), now=CLAIMED)
    assert len(batch.messages) == len(names)
    return view.id, {who: acts[contact_id] for who, contact_id in contacts.items()}, batch


def rows(ids: dict[str, int]) -> dict[str, MarketingActivity]:
    with unit_of_work() as uow:
        found = {a.id: a for a in uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.id.in_(list(ids.values()))))}
        uow.session.expunge_all()
    return {who: found[i] for who, i in ids.items()}


def whole(a: MarketingActivity) -> tuple:
    return (a.status, a.attempts, aware(a.claimed_at), aware(a.requested_at), a.provider_message_id, a.cost_micros,
            a.error_code, a.error_message, a.to_address, a.segments, a.provider, a.idempotency_key)


def test_each_answer_is_recorded_on_its_row(db, monkeypatch):
    configure(monkeypatch, MKT_SMS_PRICE_MICROS="7000")
    campaign_id, ids, batch = claimed_batch(WHO)
    A = MarketingActivity
    with unit_of_work() as uow:  # what happened to some rows between the claim and the record
        s = uow.session
        s.execute(sa.update(A).where(A.id.in_(list(ids.values()))).values(requested_at=REQUESTED))
        for who, values in {
            "spent": {"attempts": 5}, "spent_in_flight": {"attempts": 5},
            "delivered_first": {"status": "delivered"},
            "failed_first": {"status": "failed", "error_code": "30007", "error_message": "carrier filtered"},
            "unknown_first": {"status": "unknown"},
            "bounced_first": {"status": "bounced", "error_code": "hard_bounce", "error_message": "no such number",
                              "failed_at": CLAIMED},
            "swept": {"status": "queued", "claimed_at": None, "requested_at": None},
            "deferred": {"status": "deferred", "claimed_at": None, "requested_at": None},
            "failed_late": {"status": "delivered"}, "retry_late": {"status": "unknown"},
        }.items():
            s.execute(sa.update(A).where(A.id == ids[who]).values(**values))
    refused = "Sent.dm HTTP 401 AUTH_002: API key invalid"
    results = {
        "sent": Result(0, "sent", "mid-sent"),
        "failed": Result(0, "failed", code="VALIDATION_001", message="Sent.dm HTTP 400 VALIDATION_001: bad"),
        "retry": Result(0, "retry", code="BUSINESS_002", message="slow down"),
        "untried": Result(0, "retry", code="BUSINESS_002", message="not tried: slow down", tried=False),
        "spent": Result(0, "retry", code="SERVICE_001", message="down again"),
        "spent_in_flight": Result(0, "retry", code="CONFLICT_001", message="still processing"),
        "unknown": Result(0, "unknown", message="no answer"),
        "suppressed": Result(0, "suppressed", code="BUSINESS_004", message="All recipients opted out"),
        "delivered_first": Result(0, "sent", "mid-delivered"),
        "failed_first": Result(0, "sent", "mid-failed"),
        "unknown_first": Result(0, "sent", "mid-unknown"),
        "bounced_first": Result(0, "sent", "mid-bounced"),
        "halt": Result(0, "halt", code="AUTH_002", message=refused),
        "halt_untried": Result(0, "halt", code="AUTH_002", message=f"not tried: {refused}", tried=False),
        "swept": Result(0, "suppressed", code="BUSINESS_004", message="All recipients opted out"),
        "deferred": Result(0, "suppressed", code="BUSINESS_004", message="All recipients opted out"),
        "long": Result(0, "failed", code="E" * 45, message="m" * 1100),
        "failed_late": Result(0, "failed", code="X", message="too late: delivered already"),
        "retry_late": Result(0, "retry", code="SERVICE_001", message="too late: in doubt already"),
    }
    for who, result in results.items():
        result.activity_id = ids[who]
    before = utcnow()
    with unit_of_work() as uow:
        assert record_batch(uow.session, batch, list(results.values()), provider="sentdm") == []
    after = utcnow()

    got = rows(ids)
    phone = {who: f"+1512555{n + 1:04d}" for n, who in enumerate(WHO)}
    key = {who: f"mkt-activity-{ids[who]}" for who in WHO}

    def sms(who, status, attempts, claimed, requested, message_id=None, cost=0, code=None, message=None):
        return (status, attempts, claimed, requested, message_id, cost, code, message, phone[who], 1, "sentdm",
                key[who])

    expected = {
        "sent": sms("sent", "sent", 1, CLAIMED, REQUESTED, "mid-sent", 7000),
        "failed": sms("failed", "failed", 1, CLAIMED, REQUESTED, code="VALIDATION_001",
                      message="Sent.dm HTTP 400 VALIDATION_001: bad"),
        "retry": sms("retry", "queued", 1, None, None, code="BUSINESS_002", message="slow down"),
        "untried": sms("untried", "queued", 0, None, None, code="BUSINESS_002", message="not tried: slow down"),
        "spent": sms("spent", "failed", 5, CLAIMED, REQUESTED, code="SERVICE_001", message="down again"),
        "spent_in_flight": sms("spent_in_flight", "unknown", 5, CLAIMED, REQUESTED, code="CONFLICT_001",
                               message="still processing"),
        "unknown": sms("unknown", "unknown", 1, CLAIMED, REQUESTED, message="no answer"),
        "suppressed": sms("suppressed", "failed", 1, CLAIMED, REQUESTED, code="BUSINESS_004",
                          message="All recipients opted out"),
        "delivered_first": sms("delivered_first", "delivered", 1, CLAIMED, REQUESTED, "mid-delivered", 7000),
        "failed_first": ("failed", 1, CLAIMED, REQUESTED, None, 0, "30007", "carrier filtered", None, None, None,
                         None),
        "unknown_first": sms("unknown_first", "sent", 1, CLAIMED, REQUESTED, "mid-unknown", 7000),
        "bounced_first": sms("bounced_first", "bounced", 1, CLAIMED, REQUESTED, "mid-bounced", 7000,
                             code="hard_bounce", message="no such number"),
        "halt": sms("halt", "queued", 1, None, None, code="AUTH_002", message=refused),
        "halt_untried": sms("halt_untried", "queued", 0, None, None, code="AUTH_002",
                            message=f"not tried: {refused}"),
        "swept": ("queued", 1, None, None, None, 0, None, None, None, None, None, None),
        "deferred": ("deferred", 1, None, None, None, 0, None, None, None, None, None, None),
        "long": sms("long", "failed", 1, CLAIMED, REQUESTED, code="E" * 40, message="m" * 1000),
        "failed_late": ("delivered", 1, CLAIMED, REQUESTED, None, 0, None, None, None, None, None, None),
        "retry_late": ("unknown", 1, CLAIMED, REQUESTED, None, 0, None, None, None, None, None, None),
    }
    assert {who: whole(a) for who, a in got.items()} == expected

    sent_at = {who: aware(a.sent_at) for who, a in got.items() if a.sent_at}
    assert set(sent_at) == {"sent", "delivered_first", "unknown_first", "bounced_first"}
    assert all(before <= t <= after for t in sent_at.values()), sent_at
    failed_at = {who: aware(a.failed_at) for who, a in got.items() if a.failed_at}
    assert set(failed_at) == {"failed", "spent", "suppressed", "bounced_first", "long"}
    assert failed_at.pop("bounced_first") == CLAIMED  # the bounce's own time stays
    assert all(before <= t <= after for t in failed_at.values()), failed_at
    untouched = ("swept", "deferred", "failed_first", "failed_late", "retry_late")
    assert all(before <= aware(got[who].updated_at) <= after for who in WHO if who not in untouched)

    with unit_of_work() as uow:  # the number the provider refused is suppressed; the ones not ours any more are not
        s = uow.session
        assert [(x.channel, x.address, x.reason, x.source) for x in s.scalars(sa.select(Suppression))] == [
            ("sms", phone["suppressed"], "opt_out", "provider")]
        flagged = s.scalars(sa.select(Contact).where(Contact.opted_out_sms.is_(True))).all()
        assert [(c.phone, c.opted_out_sms_reason) for c in flagged] == [
            (phone["suppressed"], "provider says inactive/opted out (BUSINESS_004)")]
        campaign = s.get(Campaign, campaign_id)
        assert (campaign.status, campaign.pause_reason) == ("paused", f"the provider refused our request: {refused}")


def test_an_email_refused_as_inactive_is_recorded_as_a_hard_bounce(db, monkeypatch):
    configure(monkeypatch, MKT_EMAIL_PRICE_MICROS="1500")
    _, ids, batch = claimed_batch(["ok", "gone"], channel="email")
    inactive = "You tried to send to recipient(s) that have been marked as inactive."
    with unit_of_work() as uow:
        record_batch(uow.session, batch, [Result(ids["ok"], "sent", "pm-ok"),
                                          Result(ids["gone"], "suppressed", "pm-gone", "406", inactive)],
                     provider="postmark")
    assert {who: whole(a) for who, a in rows(ids).items()} == {
        "ok": ("sent", 1, CLAIMED, None, "pm-ok", 1500, None, None, "ok@example.com", None, "postmark", None),
        "gone": ("failed", 1, CLAIMED, None, "pm-gone", 0, "406", inactive, "gone@example.com", None, "postmark",
                 None)}
    with unit_of_work() as uow:
        s = uow.session
        assert [(x.channel, x.address, x.reason, x.source) for x in s.scalars(sa.select(Suppression))] == [
            ("email", "gone@example.com", "hard_bounce", "provider")]
        assert [(c.email, c.email_status, c.opted_out_email, c.opted_out_email_reason) for c in s.scalars(
            sa.select(Contact).order_by(Contact.id))] == [
            ("ok@example.com", "ok", False, None),
            ("gone@example.com", "bounced", True, "provider says inactive/opted out (406)")]


def test_untried_halts_and_answers_for_rows_no_longer_ours_pause_nothing(db, monkeypatch):
    configure(monkeypatch)
    campaign_id, ids, batch = claimed_batch(["a", "b"])
    with unit_of_work() as uow:
        uow.session.execute(sa.update(MarketingActivity).where(MarketingActivity.id == ids["b"]).values(
            status="queued", claimed_at=None))  # swept back by the tick
    with unit_of_work() as uow:
        record_batch(uow.session, batch, [Result(ids["a"], "halt", code="AUTH_002", message="x", tried=False),
                                          Result(ids["b"], "halt", code="AUTH_002", message="x")], provider="sentdm")
        assert uow.session.get(Campaign, campaign_id).status == "running"


def test_a_halt_never_pauses_a_campaign_that_is_not_running(db, monkeypatch):
    configure(monkeypatch)
    campaign_id, ids, batch = claimed_batch(["a"])
    with unit_of_work() as uow:
        uow.session.get(Campaign, campaign_id).status = "cancelled"
    with unit_of_work() as uow:
        record_batch(uow.session, batch, [Result(ids["a"], "halt", code="AUTH_002", message="x")], provider="sentdm")
        assert (uow.session.get(Campaign, campaign_id).status, uow.session.get(Campaign, campaign_id).pause_reason
                ) == ("cancelled", None)


def test_a_pause_reason_is_cut_to_500_characters_and_logged(db, monkeypatch, caplog):
    configure(monkeypatch)
    campaign_id, ids, batch = claimed_batch(["a"])
    with unit_of_work() as uow, caplog.at_level("WARNING", logger="tools.campaigns.sending"):
        record_batch(uow.session, batch, [Result(ids["a"], "halt", code="AUTH_002", message="r" * 600)],
                     provider="sentdm")
    reason = "the provider refused our request: " + "r" * 600
    with unit_of_work() as uow:
        assert uow.session.get(Campaign, campaign_id).pause_reason == reason[:500]
    assert [r.getMessage() for r in caplog.records if r.name == "tools.campaigns.sending"] == [
        f"campaign {campaign_id} paused: {reason}"]


def test_a_late_success_never_revives_a_row_put_back_in_the_queue_or_deferred(db, monkeypatch):
    """The record's own guard (the row may change between its look at the rows and its update)."""
    configure(monkeypatch)
    _, ids, batch = claimed_batch(["queued", "deferred", "sending"])
    with unit_of_work() as uow:
        for who in ("queued", "deferred"):
            uow.session.execute(sa.update(MarketingActivity).where(MarketingActivity.id == ids[who]).values(
                status=who, claimed_at=None))
    out = {m.activity_id: m for m in batch.messages}
    with unit_of_work() as uow:
        sending._update(uow.session, [sending._row(Result(ids[who], "sent", f"mid-{who}"), out[ids[who]], "sentdm",
                                                   CLAIMED, 1, "sms") for who in ids], sent=True)
    assert {who: (a.status, a.provider_message_id) for who, a in rows(ids).items()} == {
        "queued": ("queued", None), "deferred": ("deferred", None), "sending": ("sent", "mid-sending")}


def test_mark_requested_marks_only_rows_still_claimed_and_not_yet_requested(db, monkeypatch):
    configure(monkeypatch)
    _, ids, _ = claimed_batch(["fresh", "requested", "swept", "other"])
    A = MarketingActivity
    with unit_of_work() as uow:
        uow.session.execute(sa.update(A).where(A.id == ids["requested"]).values(requested_at=CLAIMED))
        uow.session.execute(sa.update(A).where(A.id == ids["swept"]).values(status="queued", claimed_at=None))
    with unit_of_work() as uow:
        assert mark_requested(uow.session, []) == []
        marked = mark_requested(uow.session, [ids["fresh"], ids["requested"], ids["swept"]], REQUESTED)
    assert marked == [ids["fresh"]]
    assert {who: aware(a.requested_at) for who, a in rows(ids).items()} == {
        "fresh": REQUESTED, "requested": CLAIMED, "swept": None, "other": None}
    before = utcnow()
    with unit_of_work() as uow:
        assert mark_requested(uow.session, [ids["other"]]) == [ids["other"]]
    assert before <= aware(rows(ids)["other"].requested_at) <= utcnow()


def test_the_sandbox_stores_its_simulated_events_in_the_webhook_inbox(db, monkeypatch):
    configure(monkeypatch)
    _, ids, batch = claimed_batch(["a"])
    events = [("pm-1", "Delivery", {"RecordType": "Delivery", "MessageID": "m1"}),
              ("sd-1", "message.delivered", {"field": "message", "payload": {"message_id": "m2"}}),
              ("pm-1", "Delivery", {"RecordType": "Delivery", "MessageID": "m1"})]  # the same event twice: once
    with unit_of_work() as uow:
        stored = record_batch(uow.session, batch, [Result(ids["a"], "sent", "m2")], provider="sandbox",
                              sandbox_events=events)
    with unit_of_work() as uow:
        inbox = [(e.id, e.provider, e.event_id, e.event_type, e.payload) for e in uow.session.scalars(
            sa.select(WebhookEvent).order_by(WebhookEvent.id))]
    assert inbox == [(stored[0], "postmark", "pm-1", "Delivery", events[0][2]),
                     (stored[1], "sentdm", "sd-1", "message.delivered", events[1][2])]
    assert len(stored) == 2


# --- the error threshold ------------------------------------------------------------------------------------

BOUNCE = ("a bounce, later than every failure: no failure", 45)  # a bounced row's message and failure time


def campaign_with(session, name: str, statuses: dict[str, int], failed_messages: list[tuple[str, int]] = ()) -> int:
    """A running campaign with rows in these statuses; `failed_messages`: (error message, minutes after 12:00) of
    its failed rows, in insertion order."""
    campaign = Campaign(name=name, channel="sms", status="running")
    session.add(campaign)
    session.flush()
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    failures = list(failed_messages) + [("other failure", 0)] * (statuses.get("failed", 0) - len(failed_messages))
    for status, count in statuses.items():
        for n in range(count):
            contact = create_contact(session, phone=f"+1512{campaign.id:03d}{len(status):02d}{n:02d}")
            message, minutes = failures[n] if status == "failed" else BOUNCE if status == "bounced" else (None, 0)
            session.add(MarketingActivity(campaign_id=campaign.id, contact_id=contact.id, channel="sms", status=status,
                                          error_message=message, failed_at=noon + timedelta(minutes=minutes)
                                          if status in ("failed", "bounced") else None))
    session.flush()
    return campaign.id


def progress(campaign_id: int) -> tuple[str, str | None]:
    with unit_of_work() as uow:
        c = uow.session.get(Campaign, campaign_id)
        return c.status, c.pause_reason


def test_the_error_threshold_counts_every_attempted_send_and_names_the_last_error(db, monkeypatch):
    configure(monkeypatch, MKT_CAMPAIGN_ERROR_MIN_ATTEMPTS="10", MKT_CAMPAIGN_ERROR_THRESHOLD="0.4")
    every = {"sent": 1, "delivered": 1, "opened": 1, "clicked": 1, "bounced": 1, "complained": 1}
    with unit_of_work() as uow:
        s = uow.session
        # 4 failed of 10 attempted (exactly the threshold and exactly the minimum); queued and cancelled are no
        # attempt; the last failure by time is not the last one written
        at_edge = campaign_with(s, "Edge", every | {"failed": 4, "queued": 3, "cancelled": 2},
                                [("first", 1), ("latest", 30), ("middle", 10), ("early", 5)])
        below = campaign_with(s, "Below", {"sent": 9, "failed": 1})  # 1 of 10: under 40%
        few = campaign_with(s, "Few", {"failed": 5, "sent": 4})  # 5 of 9: under the minimum of 10
        campaign_with(s, "Elsewhere", {"failed": 1}, [("another campaign's failure", 59)])
    with unit_of_work() as uow:
        for campaign_id in (at_edge, below, few):
            check_error_threshold(uow.session, campaign_id)
    assert progress(at_edge) == ("paused", "4 of 10 attempted sends failed (threshold 40%); last error: latest")
    assert progress(below) == progress(few) == ("running", None)


def test_the_error_threshold_with_statuses_missing(db, monkeypatch):
    configure(monkeypatch, MKT_CAMPAIGN_ERROR_MIN_ATTEMPTS="2", MKT_CAMPAIGN_ERROR_THRESHOLD="0.01")
    with unit_of_work() as uow:
        half = campaign_with(uow.session, "Half", {"failed": 1, "sent": 1}, [("refused", 1)])
        clean = campaign_with(uow.session, "Clean", {"delivered": 3})
    with unit_of_work() as uow:
        check_error_threshold(uow.session, half)
        check_error_threshold(uow.session, clean)
    assert progress(half) == ("paused", "1 of 2 attempted sends failed (threshold 1%); last error: refused")
    assert progress(clean) == ("running", None)  # nothing failed: never paused, whatever the threshold


def test_a_batch_without_a_failure_does_not_recheck_the_threshold(db, monkeypatch):
    """The threshold is checked when a batch records a failure (the share only rises then): a batch that only
    succeeds leaves the campaign running, even when it brings the attempted sends up to the minimum."""
    configure(monkeypatch, MKT_CAMPAIGN_ERROR_MIN_ATTEMPTS="5", MKT_CAMPAIGN_ERROR_THRESHOLD="0.5")
    campaign_id, ids, batch = claimed_batch(["a", "b"])
    with unit_of_work() as uow:
        for n in range(4):  # 4 failed of 4 attempted before: under the minimum of 5
            contact = create_contact(uow.session, phone=f"+1512555090{n}")
            uow.session.add(MarketingActivity(campaign_id=campaign_id, contact_id=contact.id, channel="sms",
                                              status="failed", error_message="earlier", failed_at=CLAIMED))
    with unit_of_work() as uow:
        record_batch(uow.session, batch, [Result(ids["a"], "sent", "mid-a")], provider="sentdm")
    assert progress(campaign_id) == ("running", None)  # 4 of 5 failed, but nothing failed in this batch
    with unit_of_work() as uow:
        record_batch(uow.session, batch, [Result(ids["b"], "failed", code="X", message="refused")], provider="sentdm")
    assert progress(campaign_id) == ("paused", "5 of 6 attempted sends failed (threshold 50%); last error: refused")
