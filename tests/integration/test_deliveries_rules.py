"""The delivery rules of tools/campaigns/deliveries.py stated with their answers (issue 24: mutation survivors):
statuses only move forward and each step keeps its earliest time; Postmark's Delivery/Open/Click, bounces, spam
complaints and subscription changes; the one-click unsubscribe link. The processors are called directly on one
session; every expected value is written out here (times, rows, notes, sources)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from db.models import Campaign, Contact, ContactEvent, EmailLinkClick, MarketingActivity, Suppression, WebhookEvent
from domain.campaigns import sign_token
from tests.factories import create_contact
from tests.integration.campaign_support import configure
from tools.campaigns import deliveries
from tools.campaigns.deliveries import NotRecordedYet, _parse_time, advance, process_postmark, unsubscribe_link

T0 = datetime(2026, 5, 19, 16, 0, tzinfo=UTC)
COLUMNS = ("sent_at", "delivered_at", "opened_at", "clicked_at", "failed_at")
# the statuses in the order a delivery report may move them (written out here, not read from domain.campaigns)
ORDER = [("queued", 0), ("deferred", 0), ("cancelled", 0), ("sending", 1), ("unknown", 1), ("sent", 2), ("failed", 3),
         ("delivered", 4), ("opened", 5), ("clicked", 6), ("bounced", 7), ("complained", 8)]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def times(a: MarketingActivity) -> dict[str, datetime | None]:
    return {c: getattr(a, c) for c in COLUMNS}


def stamped(**set_: datetime) -> dict[str, datetime | None]:
    return {c: set_.get(c) for c in COLUMNS}


def seed(session, channel="email", status="sent", message_id="m-1", email="ana@example.com", phone="+15125550101",
         name="C"):
    contact = session.scalar(sa.select(Contact).where(Contact.email == email)) or create_contact(
        session, email=email, phone=phone)
    campaign = Campaign(name=name, channel=channel, status="running")
    session.add(campaign)
    session.flush()
    activity = MarketingActivity(campaign_id=campaign.id, contact_id=contact.id, channel=channel, status=status,
                                 provider_message_id=message_id,
                                 to_address=contact.email if channel == "email" else contact.phone)
    session.add(activity)
    session.flush()
    return activity


def pm(session, **payload):
    return process_postmark(session, WebhookEvent(provider="postmark", payload=payload))


def suppressions(session):
    session.flush()
    return sorted(session.execute(sa.select(Suppression.channel, Suppression.address, Suppression.reason,
                                            Suppression.source)).tuples())


def contact_row(session, email="ana@example.com"):
    session.flush()
    c = session.scalar(sa.select(Contact).where(Contact.email == email))
    return (c.opted_out_email, c.opted_out_email_reason, c.email_status, c.opted_out_email_at is not None)


def events(session):
    session.flush()
    return [tuple(r) for r in session.execute(sa.select(ContactEvent.kind, ContactEvent.source, ContactEvent.field,
                                                        ContactEvent.data).order_by(ContactEvent.id))]


def outcome(a: MarketingActivity):
    return (a.status, a.error_code, a.error_message, times(a))


# --- advance: forward only, earliest time of each step ----------------------------------------------------------

@pytest.mark.parametrize(("status", "columns"), [
    ("sent", ("sent_at",)), ("delivered", ("delivered_at",)), ("opened", ("opened_at", "delivered_at")),
    ("clicked", ("clicked_at", "delivered_at")), ("failed", ("failed_at",)), ("bounced", ("failed_at",)),
    ("complained", ()), ("unknown", ())])
def test_each_step_stamps_its_own_column_and_an_open_or_click_proves_delivery(status, columns):
    a = MarketingActivity(status="sending")
    assert advance(a, status, at(5)) is (status != "unknown")
    assert a.status == (status if status != "unknown" else "sending")
    assert times(a) == stamped(**{c: at(5) for c in columns})


@pytest.mark.parametrize(("current", "rank"), ORDER)
def test_a_report_moves_the_status_only_forward(current, rank):
    for new, new_rank in ORDER:
        if new in ("queued", "deferred", "cancelled", "sending", "unknown"):
            continue  # not delivery reports
        a = MarketingActivity(status=current)
        moved = advance(a, new, at(1))
        assert (moved, a.status) == ((True, new) if new_rank > rank else (False, current)), (current, new)


def test_each_step_keeps_its_earliest_time_whatever_the_order():
    a = MarketingActivity(status="sending")
    advance(a, "clicked", at(30))  # a click seen first stands for the delivery only until the delivery comes
    assert times(a) == stamped(delivered_at=at(30), clicked_at=at(30))
    assert not advance(a, "delivered", at(10))
    assert not advance(a, "opened", at(20))
    assert not advance(a, "sent", at(2))
    assert advance(a, "bounced", at(40))
    assert not advance(a, "failed", at(35))  # a failure report after the bounce: earlier, so its time stands
    for late in ("sent", "delivered", "opened", "clicked"):
        assert not advance(a, late, at(50))  # replays later than each step change nothing
    assert (a.status, times(a)) == ("bounced", stamped(sent_at=at(2), delivered_at=at(10), opened_at=at(20),
                                                      clicked_at=at(30), failed_at=at(35)))


def test_a_step_without_a_time_is_stamped_now(monkeypatch):
    monkeypatch.setattr(deliveries, "utcnow", lambda: at(99))
    a = MarketingActivity(status="sent")
    assert advance(a, "delivered")
    assert times(a) == stamped(delivered_at=at(99))
    assert not advance(a, "delivered", at(3)) and a.delivered_at == at(3)  # a given time is kept, not now's


def test_times_compare_as_instants_a_stored_naive_time_read_as_utc():
    paris = timezone(timedelta(hours=2))
    a = MarketingActivity(status="delivered", delivered_at=at(0).astimezone(paris))  # 18:00 +02:00 = 16:00Z
    advance(a, "opened", at(60))  # 17:00Z: later than the delivery, though earlier than 18:00 on the clock
    assert a.delivered_at == at(0) and a.opened_at == at(60)
    naive = MarketingActivity(status="sent", sent_at=at(10).replace(tzinfo=None))  # as SQLite hands it back
    advance(naive, "sent", at(5))
    assert naive.sent_at == at(5)
    advance(naive, "sent", at(7))
    assert naive.sent_at == at(5)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-05-19T16:33:54Z", datetime(2026, 5, 19, 16, 33, 54, tzinfo=UTC)),
    ("2026-05-19T18:33:54+02:00", datetime(2026, 5, 19, 16, 33, 54, tzinfo=UTC)),
    ("2026-05-19T16:33:54", None),  # no zone: not trusted
    ("yesterday", None), ("", None), (None, None), (0, None)])
def test_provider_times_are_read_only_with_their_zone(value, expected):
    assert _parse_time(value) == expected


# --- which activity an event is about ---------------------------------------------------------------------

def test_the_activity_is_found_by_metadata_first_then_by_message_id(session):
    first = seed(session, message_id="m-1")
    second = seed(session, message_id="m-2", name="D")
    assert pm(session, RecordType="Delivery", MessageID="m-1", Metadata={"activity_id": str(second.id)},
              DeliveredAt=iso(at(1))) is None
    assert (first.delivered_at, second.delivered_at) == (None, at(1))  # the metadata wins over the message id
    for metadata in ({"activity_id": "x7"}, {"activity_id": str(second.id + 50)}, {}, None):
        pm(session, RecordType="Open", MessageID="m-2", Metadata=metadata, ReceivedAt=iso(at(2)))
    assert (first.opened_at, second.opened_at) == (None, at(2))  # not ours, gone or none: by message id
    assert pm(session, RecordType="Delivery", MessageID="m-9", DeliveredAt=iso(at(3))) == "ignored"
    assert pm(session, RecordType="Open", Metadata={"activity_id": str(first.id)}, ReceivedAt=iso(at(4))) is None
    assert (first.status, first.opened_at, first.delivered_at) == ("opened", at(4), at(4))


def test_the_activity_is_read_for_update(session):
    a = seed(session)
    seen = []
    sa.event.listen(session, "do_orm_execute", lambda state: seen.append(state.statement))
    session.expunge_all()
    pm(session, RecordType="Delivery", MessageID="m-1", Metadata={"activity_id": str(a.id)})
    pm(session, RecordType="Delivery", MessageID="m-1")
    reads = [str(s.compile(dialect=postgresql.dialect())) for s in seen
             if isinstance(s, sa.Select) and "marketing_activities" in str(s)]
    assert len(reads) == 2 and all(r.rstrip().endswith("FOR UPDATE") for r in reads), reads


# --- Postmark: Delivery, Open, Click ----------------------------------------------------------------------

def test_delivery_open_and_click_keep_the_providers_times_and_the_first_click_per_link(session, monkeypatch):
    monkeypatch.setattr(deliveries, "utcnow", lambda: at(500))
    a = seed(session)
    assert pm(session, RecordType="Click", MessageID="m-1", ReceivedAt=iso(at(30)), OriginalLink="https://a.test/x",
              Recipient="ana@example.com") is None
    assert pm(session, RecordType="Click", MessageID="m-1", ReceivedAt=iso(at(20)), OriginalLink="https://a.test/x"
              ) is None
    pm(session, RecordType="Click", MessageID="m-1", ReceivedAt=iso(at(40)), OriginalLink="https://a.test/y")
    pm(session, RecordType="Open", MessageID="m-1", ReceivedAt=iso(at(15)))
    pm(session, RecordType="Delivery", MessageID="m-1", DeliveredAt=iso(at(10)))
    pm(session, RecordType="Open", MessageID="m-1")  # no time: now (frozen), later than the first open
    session.flush()
    assert outcome(a) == ("clicked", None, None, stamped(delivered_at=at(10), opened_at=at(15), clicked_at=at(20)))
    assert sorted(session.execute(sa.select(EmailLinkClick.activity_id, EmailLinkClick.campaign_id, EmailLinkClick.url,
                                            EmailLinkClick.first_clicked_at)).tuples()) == [
        (a.id, a.campaign_id, "https://a.test/x", at(20)), (a.id, a.campaign_id, "https://a.test/y", at(40))]
    assert suppressions(session) == [] and events(session) == []


def test_a_click_without_a_time_is_recorded_now(session, monkeypatch):
    monkeypatch.setattr(deliveries, "utcnow", lambda: at(500))
    monkeypatch.setattr("tools.campaigns.email_tracking.utcnow", lambda: at(600))
    a = seed(session)
    pm(session, RecordType="Click", MessageID="m-1", OriginalLink="https://a.test/x")
    session.flush()
    assert times(a) == stamped(delivered_at=at(500), clicked_at=at(500))
    assert session.scalar(sa.select(EmailLinkClick.first_clicked_at)) == at(600)


def test_unknown_record_types_and_events_for_no_activity_are_ignored(session):
    seed(session)
    for kind in ("Delivery", "Open", "Click"):
        assert pm(session, RecordType=kind, MessageID="nope", Recipient="ana@example.com") == "ignored"
    assert pm(session, RecordType="Inbound", MessageID="m-1", Recipient="ana@example.com") == "ignored"
    assert pm(session, RecordType="SubscriptionChange", MessageID="m-1", SuppressSending=True) == "ignored"
    assert process_postmark(session, WebhookEvent(provider="postmark", payload=None)) == "ignored"
    assert suppressions(session) == [] and events(session) == []


# --- Postmark: bounces, complaints, subscription changes ------------------------------------------------------

OPTED_OUT = [("email", "ana@example.com", "hard_bounce", "bounce")]


@pytest.mark.parametrize("hard", [{"Type": "HardBounce", "TypeCode": 1}, {"Type": "HardBounce"}, {"TypeCode": 1}])
def test_a_hard_bounce_by_type_or_by_code_bounces_the_activity_and_suppresses_the_address(session, hard):
    a = seed(session)
    assert pm(session, RecordType="Bounce", MessageID="m-1", Email="Ana@Example.com", BouncedAt=iso(at(7)),
              Description="The server was unable to deliver your message", Details="smtp;550 5.1.1", **hard) is None
    assert outcome(a) == ("bounced", hard.get("Type", "Bounce"), "The server was unable to deliver your message",
                          stamped(failed_at=at(7)))
    assert suppressions(session) == OPTED_OUT
    assert contact_row(session) == (True, "hard bounce", "bounced", True)
    assert events(session) == [("opted_out", "bounce", "email", {"reason": "hard_bounce"})]


def test_a_bounce_without_a_time_is_stamped_now_and_its_texts_are_cut_to_their_columns(session, monkeypatch):
    monkeypatch.setattr(deliveries, "utcnow", lambda: at(99))
    a = seed(session)
    pm(session, RecordType="Bounce", Type="HardBounce" + "x" * 40, TypeCode=1, MessageID="m-1",
       Email="ana@example.com", Details="d" * 1200)
    assert outcome(a) == ("bounced", ("HardBounce" + "x" * 40)[:40], "d" * 1000, stamped(failed_at=at(99)))
    b = seed(session, message_id="m-2", name="D")
    pm(session, RecordType="Bounce", TypeCode=1, MessageID="m-2", Email="ana@example.com")
    assert (b.error_code, b.error_message) == ("Bounce", "")


@pytest.mark.parametrize("soft", [{"Type": "SoftBounce", "TypeCode": 4096}, {"Type": "Transient", "TypeCode": 2},
                                  {"TypeCode": 16}, {}])
def test_a_soft_bounce_is_noted_on_the_activity_without_suppression(session, soft):
    a = seed(session)
    assert pm(session, RecordType="Bounce", MessageID="m-1", Email="ana@example.com", Description="mailbox full",
              BouncedAt=iso(at(7)), **soft) is None
    assert outcome(a) == ("sent", soft.get("Type", "Bounce"), "mailbox full", stamped())
    assert suppressions(session) == [] and events(session) == []
    assert contact_row(session) == (False, None, "ok", False)


def test_a_soft_bounce_before_the_send_is_recorded_is_retried_a_hard_one_is_not(session):
    a = seed(session, status="sending")
    with pytest.raises(NotRecordedYet) as refused:
        pm(session, RecordType="Bounce", Type="SoftBounce", TypeCode=4096, MessageID="m-1", Email="ana@example.com",
           Description="mailbox full")
    assert str(refused.value) == (f"soft bounce for activity {a.id} before its send is recorded (retried later: "
                                  "recording the send would clear the bounce's note)")
    assert (a.status, a.error_code, a.error_message) == ("sending", None, None)
    pm(session, RecordType="Bounce", Type="HardBounce", TypeCode=1, MessageID="m-1", Email="ana@example.com",
       BouncedAt=iso(at(7)))
    assert (a.status, a.error_code, a.failed_at) == ("bounced", "HardBounce", at(7))
    assert suppressions(session) == OPTED_OUT


def test_a_hard_bounce_for_no_activity_still_suppresses_the_address(session):
    create_contact(session, email="ana@example.com")
    assert pm(session, RecordType="Bounce", Type="HardBounce", TypeCode=1, MessageID="gone", Email="ana@example.com",
              Description="unknown user") is None
    assert suppressions(session) == OPTED_OUT
    assert contact_row(session) == (True, "hard bounce", "bounced", True)


def test_a_spam_complaint_marks_the_activity_and_suppresses_the_address(session):
    a = seed(session, status="delivered")
    assert pm(session, RecordType="SpamComplaint", MessageID="m-1", Email="ANA@example.com") is None
    assert outcome(a) == ("complained", None, None, stamped())
    assert suppressions(session) == [("email", "ana@example.com", "complaint", "complaint")]
    assert contact_row(session) == (True, "spam complaint", "complained", True)
    assert events(session) == [("opted_out", "complaint", "email", {"reason": "complaint"})]
    assert pm(session, RecordType="SpamComplaint", MessageID="gone", Email="bo@example.com") is None
    assert pm(session, RecordType="SpamComplaint", MessageID="m-1") is None  # no address: the activity only
    assert suppressions(session) == [("email", "ana@example.com", "complaint", "complaint"),
                                     ("email", "bo@example.com", "complaint", "complaint")]


def test_a_subscription_change_opts_out_and_back_in_by_the_recipients_address(session):
    seed(session)
    assert pm(session, RecordType="SubscriptionChange", MessageID="m-1", Recipient="ana@example.com",
              Email="other@example.com", SuppressSending=True, SuppressionReason="ManualSuppression") is None
    assert suppressions(session) == [("email", "ana@example.com", "opt_out", "email_unsubscribe")]
    assert contact_row(session) == (True, "Postmark subscription change (ManualSuppression)", "ok", True)
    assert pm(session, RecordType="SubscriptionChange", MessageID="m-1", Recipient="ana@example.com",
              SuppressSending=False) is None
    assert suppressions(session) == []
    assert contact_row(session) == (False, None, "ok", False)
    assert events(session) == [("opted_out", "email_unsubscribe", "email", {"reason": "opt_out"}),
                               ("opted_in", "email_unsubscribe", "email", {})]


# --- the one-click unsubscribe link ---------------------------------------------------------------------------

@pytest.fixture
def secret(monkeypatch):
    configure(monkeypatch)
    return "unsub-secret"


def test_an_unsubscribe_link_opts_its_address_out_once(session, secret):
    a = seed(session)
    token = sign_token(secret, a.id)
    assert unsubscribe_link(session, token, apply=False) == "ana@example.com"
    assert suppressions(session) == []
    assert unsubscribe_link(session, token, apply=True) == "ana@example.com"
    assert unsubscribe_link(session, token, apply=True) == "ana@example.com"
    assert suppressions(session) == [("email", "ana@example.com", "opt_out", "email_unsubscribe")]
    assert contact_row(session) == (True, f"unsubscribe link (activity {a.id})", "ok", True)
    assert events(session) == [("opted_out", "email_unsubscribe", "email", {"reason": "opt_out"})]


def test_an_unsubscribe_link_stands_only_for_an_email_sent_to_an_address(session, secret):
    sms = seed(session, channel="sms")
    blank = seed(session, name="D")
    blank.to_address = None
    session.flush()
    for activity_id in (sms.id, blank.id, blank.id + 1):
        assert unsubscribe_link(session, sign_token(secret, activity_id), apply=True) is None
    assert unsubscribe_link(session, sign_token("another-secret", blank.id), apply=True) is None
    assert suppressions(session) == [] and events(session) == []
