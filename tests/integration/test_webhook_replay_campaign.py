"""Issue 11 (reliability): "Webhooks delivered three times and in reverse order: counts and statuses unchanged."

Two runs of the same story, each on empty tables, with an email campaign (Postmark fake) and an SMS campaign
(Sent.dm fake) RUNNING and the real companion endpoint taking the delivery webhooks (basic auth for Postmark,
v1 signatures for Sent.dm) into the inbox, processed by a real worker:

- control: the campaigns send through the worker, then every webhook is posted once, in the order it happened,
  each processed before the next is posted;
- chaos: the send is claimed and handed to the provider but NOT recorded yet when the first webhooks arrive
  (Postmark ones find their activity by the metadata we sent; Sent.dm ones cannot and are retried by the inbox);
  then the send is recorded and every webhook is posted in reverse order, three times: twice the same bytes (the
  intake answers "duplicate") and once as a redelivery the intake cannot recognise (Postmark: the same JSON
  re-serialised; Sent.dm: the same status carrying a new event id of its own in the body, as the unsigned header
  is never trusted), so the processors themselves must be idempotent.

Afterwards campaign progress, every activity (status, status times, error, cost), suppressions, contacts' opt-out
state, each contact's timeline and the daily analytics must be identical, and equal to the hand-written outcome
(a status never goes backwards: a late "sent" leaves "delivered", a late delivery leaves "bounced")."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from db.models import Contact, ConversationMessage, MarketingActivity, Suppression, WebhookEvent
from db.session import unit_of_work
from tests.conftest import clean_tables
from tests.factories import create_contact
from tests.fakes.sentdm import signed_webhook
from tests.integration.campaign_support import MARKETER, drain, fakes, running_worker, zone_at
from tools import channels
from tools.analytics import analytics_report, refresh
from tools.campaigns import drafting, sending
from tools.campaigns import lifecycle as tc
from tools.contacts.timeline import contact_history

AUTH = {"Authorization": "Basic " + base64.b64encode(b"pm:pm-pass").decode()}

EMAIL_PEOPLE = ("funnel", "hard", "complaint", "soft", "late_bounce", "quiet")
SMS_PEOPLE = ("sd_delivered", "sd_failed", "sd_direct", "sd_late_fail", "sd_stop", "sd_quiet")

# What happened, in order: (minute after BASE, contact, event). Postmark RecordTypes for email, Sent.dm message
# statuses (and one inbound STOP) for SMS.
STORY: list[tuple[int, str, str]] = [
    (0, "sd_delivered", "QUEUED"),
    (1, "funnel", "Delivery"), (1, "complaint", "Delivery"), (1, "late_bounce", "Delivery"),
    (1, "sd_delivered", "SENT"), (1, "sd_failed", "SENT"), (1, "sd_late_fail", "SENT"), (1, "sd_stop", "SENT"),
    (2, "hard", "HardBounce"), (2, "sd_delivered", "DELIVERED"), (2, "sd_late_fail", "DELIVERED"),
    (2, "sd_stop", "DELIVERED"),
    (3, "soft", "SoftBounce"), (3, "sd_direct", "DELIVERED"),
    (4, "sd_failed", "FAILED"),
    (5, "funnel", "Open"), (9, "funnel", "Open"), (12, "funnel", "Click"),
    (15, "sd_late_fail", "FAILED"),
    (20, "complaint", "SpamComplaint"),
    (25, "sd_stop", "inbound STOP"),
    (30, "soft", "Delivery"),
    (40, "late_bounce", "HardBounce"),
]
# Webhooks that reach us in the chaos run before the send is recorded.
EARLY = {(5, "funnel", "Open"), (9, "funnel", "Open"), (12, "funnel", "Click"), (2, "hard", "HardBounce"),
         (3, "soft", "SoftBounce"), (1, "sd_delivered", "SENT"), (2, "sd_delivered", "DELIVERED")}

EXPECTED_STATUS = {"funnel": "clicked", "hard": "bounced", "complaint": "complained", "soft": "delivered",
                   "late_bounce": "bounced", "quiet": "sent", "sd_delivered": "delivered", "sd_failed": "failed",
                   "sd_direct": "delivered", "sd_late_fail": "delivered", "sd_stop": "delivered", "sd_quiet": "sent"}

# Numbers stamped by our own clock (sends, opt-outs, new contacts) are compared as period totals; the ones stamped
# by the webhooks' own times are compared day by day.
OWN_CLOCK = ("new_contacts", "contacted", "sms_sent", "emails_sent", "cost_sms_micros", "cost_email_micros",
             "opt_outs")


def email_of(who: str) -> str:
    return f"{who.replace('_', '-')}@example.com"


def phone_of(who: str) -> str:
    return f"+1512555{SMS_PEOPLE.index(who) + 1:04d}"


def address_of(who: str) -> str:
    return phone_of(who) if who in SMS_PEOPLE else email_of(who)


def iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the world ------------------------------------------------------------------------------------------------------

def people_and_campaigns() -> tuple[int, int]:
    """Email-only and phone-only contacts (phones where it is midday: no quiet hours), two drafts. Returns ids."""
    with unit_of_work() as uow:
        s = uow.session
        for who in EMAIL_PEOPLE:
            create_contact(s, email=email_of(who), first_name=who)
        for who in SMS_PEOPLE:
            create_contact(s, phone=phone_of(who), first_name=who, timezone=zone_at(12))
        email = drafting.draft_campaign(s, MARKETER, name="Replay email", channel="email", filter=None,
                                        subject="Hello {first_name|there}", body_text="Our news, {first_name|friend}.")
        sms = drafting.draft_campaign(s, MARKETER, name="Replay SMS", channel="sms", filter=None,
                                      body_text="Hi {first_name|there}, 20% off today.")
    return email.id, sms.id


def launch(*campaign_ids: int) -> None:
    for campaign_id in campaign_ids:
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, campaign_id)


def activity_ids(campaign_id: int) -> list[int]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(MarketingActivity.id).where(
            MarketingActivity.campaign_id == campaign_id).order_by(MarketingActivity.id)))


def statuses() -> dict[str, str]:
    with unit_of_work() as uow:
        rows = uow.session.execute(sa.select(Contact.email, Contact.phone, MarketingActivity.status).join(
            Contact, Contact.id == MarketingActivity.contact_id)).all()
    by_address = {email or phone: status for email, phone, status in rows}
    return {who: by_address.get(address_of(who)) for who in EXPECTED_STATUS}


class Webhooks:
    """Builds and posts the provider webhooks of the story, from what the fakes actually accepted."""

    def __init__(self, client: TestClient, postmark, sentdm, base: datetime) -> None:
        self.client, self.base = client, base
        self.sent_email = {m["To"]: m for m in postmark.delivered}
        self.sent_sms = {m["to"]: m for m in sentdm.delivered}

    def payload(self, event: tuple[int, str, str]) -> tuple[str, dict[str, Any]]:
        minute, who, kind = event
        at = iso(self.base + timedelta(minutes=minute))
        if who in EMAIL_PEOPLE:
            return "postmark", self._postmark(who, kind, at)
        return "sentdm", self._sentdm(who, kind, at)

    def _postmark(self, who: str, kind: str, at: str) -> dict[str, Any]:
        sent = self.sent_email[email_of(who)]
        common = {"ServerID": 23, "MessageStream": sent["MessageStream"], "MessageID": sent["MessageID"], "Tag": "",
                  "Metadata": sent["Metadata"]}
        if kind == "Delivery":
            return common | {"RecordType": "Delivery", "Recipient": email_of(who), "DeliveredAt": at,
                             "Details": "smtp;250 2.0.0 OK"}
        if kind in ("Open", "Click"):
            extra = {"FirstOpen": True, "ReadSeconds": 5} if kind == "Open" else {
                "ClickLocation": "HTML", "OriginalLink": "https://acme.test/pricing"}
            return common | {"RecordType": kind, "Recipient": email_of(who), "ReceivedAt": at, "Platform": "WebMail",
                             "UserAgent": "Mozilla/5.0", "Geo": {"CountryISOCode": "US"}} | extra
        if kind == "SpamComplaint":
            return common | {"RecordType": "SpamComplaint", "ID": 43, "Type": "SpamComplaint", "TypeCode": 512,
                             "Email": email_of(who), "From": "news@acme.test", "BouncedAt": at, "Subject": "Hello"}
        hard = kind == "HardBounce"
        return common | {"RecordType": "Bounce", "ID": 42, "Type": kind, "TypeCode": 1 if hard else 4096,
                         "Name": "Hard bounce" if hard else "Soft bounce", "Email": email_of(who),
                         "Description": "mailbox unknown" if hard else "mailbox full",
                         "Details": "smtp;550 5.1.1" if hard else "smtp;452 4.2.2", "From": "news@acme.test",
                         "BouncedAt": at, "Inactive": hard, "CanActivate": True, "Subject": "Hello"}

    def _sentdm(self, who: str, kind: str, at: str) -> dict[str, Any]:
        if kind == "inbound STOP":
            return {"field": "message", "sub_type": "message.received", "event": "message.received", "timestamp": at,
                    "payload": {"account_id": "acc", "from": phone_of(who), "to": "+12125550000", "text": "STOP",
                                "channel": "sms", "provider": "Telnyx", "received_at": at}}
        sub_type = f"message.{kind.lower()}"
        body = {"account_id": "acc", "message_id": self.sent_sms[phone_of(who)]["message_id"],
                "message_status": kind, "channel": "sms", "inbound_number": phone_of(who),
                "outbound_number": "+12125550000"}
        if kind == "FAILED":
            body |= {"reason": "carrier rejected", "reason_code": "DELIVERY_007"}
        return {"field": "message", "sub_type": sub_type, "event": sub_type, "timestamp": at, "payload": body}

    def post(self, event: tuple[int, str, str], delivery: int = 1) -> str:
        """Post one webhook; `delivery` 1 and 2 send identical requests, 3 a redelivery with a new identity
        (a status event only: a second inbound message is a new message). Returns the intake's answer."""
        provider, payload = self.payload(event)
        if provider == "postmark":
            body = json.dumps(payload, indent=2) if delivery == 3 else json.dumps(payload)
            response = self.client.post("/webhooks/postmark", content=body, headers=AUTH)
        else:
            event_id = f"evt-{event[1]}-{event[2].replace(' ', '-')}"
            if delivery == 3 and event[2] != "inbound STOP":
                event_id += "-redelivered"
                payload = payload | {"id": event_id}  # the intake keys Sent.dm events by signed data only
            body, headers = signed_webhook(payload, event_id=event_id)
            response = self.client.post("/webhooks/sentdm", content=body, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()["status"]

    def post_three_times(self, events: list[tuple[int, str, str]]) -> None:
        for delivery in (1, 2, 3):
            answers = [self.post(event, delivery) for event in events]
            redelivered = ["duplicate" if delivery == 2 or (delivery == 3 and e[2] == "inbound STOP") else "accepted"
                           for e in events]
            assert answers == redelivered


# --- what we compare --------------------------------------------------------------------------------------------

def snapshot(email_id: int, sms_id: int, base: datetime, first_day) -> dict[str, Any]:
    def when(at: datetime | None) -> str | None:
        """Times from the webhooks exactly; times from our own clock (during the run) as 'run'."""
        if at is None:
            return None
        return iso(at) if at >= base else "run"

    with unit_of_work() as uow:
        s = uow.session
        progress = {}
        for campaign_id in (email_id, sms_id):
            p = asdict(tc.campaign_status(s, MARKETER, campaign_id))
            progress[p.pop("name")] = {k: v for k, v in p.items() if k != "campaign_id"}
        activities = {a.to_address: (a.status, when(a.sent_at), when(a.delivered_at), when(a.opened_at),
                                     when(a.clicked_at), when(a.failed_at), a.error_code, a.error_message,
                                     a.cost_micros, a.segments, a.provider, a.attempts)
                      for a in s.scalars(sa.select(MarketingActivity))}
        suppressions = sorted(s.execute(sa.select(Suppression.channel, Suppression.address, Suppression.reason,
                                                  Suppression.source)).all())
        contacts, timelines = {}, {}
        for c in s.scalars(sa.select(Contact)):
            key = c.email or c.phone
            contacts[key] = (c.opted_out_email, c.opted_out_sms, c.email_status, c.opted_out_email_reason,
                             c.opted_out_sms_reason)
            entries = contact_history(s, MARKETER, c.id, page_size=200).entries
            timelines[key] = sorted((e.kind, e.title, when(e.at)) for e in entries)
        conversations = sorted((m.sender, m.body, m.direction, when(m.occurred_at))
                               for m in s.scalars(sa.select(ConversationMessage)))
    last = base + timedelta(hours=2)
    with unit_of_work() as uow:
        refresh(uow.session, now=last)  # the periodic analytics refresh, with its clock after the last webhook
    with unit_of_work() as uow:
        report = analytics_report(uow.session, MARKETER, first_day, last.date())
    daily = {str(d.day): {k: v for k, v in d.numbers.items() if k not in OWN_CLOCK and v} for d in report.days}
    return {"progress": progress, "activities": activities, "suppressions": suppressions, "contacts": contacts,
            "timelines": timelines, "conversations": conversations,
            "daily": {day: numbers for day, numbers in daily.items() if numbers},
            "totals": report.totals}


def inbox_statuses() -> dict[str, int]:
    with unit_of_work() as uow:
        return dict(uow.session.execute(sa.select(WebhookEvent.status, sa.func.count()).group_by(
            WebhookEvent.status)).all())


def wait_until(condition, what: str, seconds: float = 60) -> None:
    """Poll until `condition()` (a bounded wait for the worker, not a measure of speed)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.05)


# --- the two runs ---------------------------------------------------------------------------------------------

def control_run(monkeypatch, base: datetime) -> tuple[dict[str, Any], dict[str, int]]:
    """Send through the worker, then each webhook once, in order, each processed before the next."""
    with fakes(monkeypatch, MKT_SMS_RATE_PER_SECOND="200") as (postmark, sentdm):
        email_id, sms_id = people_and_campaigns()
        launch(email_id, sms_id)
        with running_worker():
            drain()
            assert statuses() == {who: "sent" for who in EXPECTED_STATUS}
            hooks = Webhooks(TestClient(_app()), postmark, sentdm, base)
            for event in STORY:
                assert hooks.post(event) == "accepted"
                drain()
        return snapshot(email_id, sms_id, base, _first_day(base)), inbox_statuses()


def chaos_run(monkeypatch, base: datetime) -> tuple[dict[str, Any], dict[str, int], dict[str, str]]:
    """Webhooks before the send is recorded, then all of them in reverse order, three times."""
    with fakes(monkeypatch, MKT_SMS_RATE_PER_SECOND="200") as (postmark, sentdm):
        email_id, sms_id = people_and_campaigns()
        launch(email_id, sms_id)
        # Claimed and handed to the providers, as a worker does, but not recorded yet.
        batches = []
        for campaign_id in (email_id, sms_id):
            with unit_of_work() as uow:
                batch = sending.begin_batch(uow.session, campaign_id, activity_ids(campaign_id))
            transport = channels.get(batch.channel).transport()
            from workers.campaigns import mark_requested

            results, _ = sending.deliver(batch, transport, mark=mark_requested)
            assert [r.kind for r in results] == ["sent"] * 6
            batches.append((batch, results, transport.provider))
        with running_worker():  # the launch's send jobs find nothing left to claim
            hooks = Webhooks(TestClient(_app()), postmark, sentdm, base)
            early = [e for e in reversed(STORY) if e in EARLY]
            hooks.post_three_times(early)
            wait_until(lambda: _attempted_all(), "the early webhooks to be tried")
            before_record = statuses()
            assert {who: before_record[who] for who in ("funnel", "hard", "soft")} == {
                "funnel": "clicked", "hard": "bounced", "soft": "sending"}  # found by the activity id we sent
            assert before_record["sd_delivered"] == "sending"  # no message id on record yet: retried later
            for batch, results, provider in batches:
                with unit_of_work() as uow:
                    assert sending.record_batch(uow.session, batch, results, provider=provider) == []
            hooks.post_three_times([e for e in reversed(STORY) if e not in EARLY])
            drain()
            after_replays = statuses()
        return snapshot(email_id, sms_id, base, _first_day(base)), inbox_statuses(), after_replays


def _app():
    from webhooks.app import create_app

    return create_app()


def _diff(control: Any, chaos: Any) -> Any:
    """What differs between two snapshot parts, for a readable failure."""
    if isinstance(control, dict) and isinstance(chaos, dict):
        return {k: (control.get(k), chaos.get(k)) for k in sorted(set(control) | set(chaos), key=str)
                if control.get(k) != chaos.get(k)}
    return {"control only": [x for x in control if x not in chaos], "chaos only": [x for x in chaos if x not in control]}


def _first_day(base: datetime):
    return (base - timedelta(days=2)).date()


def _attempted_all() -> bool:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent).where(
            WebhookEvent.status == "pending")) == 0


def test_webhooks_three_times_and_in_reverse_order_change_no_count_and_no_status(db, monkeypatch):
    base = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)  # webhooks come after the sends

    control, control_inbox = control_run(monkeypatch, base)
    clean_tables()
    chaos, chaos_inbox, after_replays = chaos_run(monkeypatch, base)

    differing = {part: _diff(control[part], chaos[part]) for part in control if chaos[part] != control[part]}
    assert differing == {}, json.dumps(differing, indent=1, default=str)
    assert statuses() == EXPECTED_STATUS == after_replays  # nothing went backwards, whatever the order
    # The inbox kept one row per provider event: 23 in order; in the chaos run 23 plus one redelivery with a new
    # identity for each of the 22 status events; every one processed (QUEUED is ignored), none left failing.
    assert control_inbox == {"processed": 22, "ignored": 1}
    assert chaos_inbox == {"processed": 43, "ignored": 2}

    # The control's numbers are the ones the story implies (so "identical" is not "identically empty").
    email, sms = control["progress"]["Replay email"], control["progress"]["Replay SMS"]
    assert email["status"] == sms["status"] == "running"
    assert email["counts"] == {"clicked": 1, "bounced": 2, "complained": 1, "delivered": 1, "sent": 1}
    assert sms["counts"] == {"delivered": 4, "failed": 1, "sent": 1}
    assert email["excluded"] == {"no_address": 6} and sms["excluded"] == {"no_address": 6}
    assert control["suppressions"] == sorted([
        ("email", email_of("complaint"), "complaint", "complaint"), ("email", email_of("hard"), "hard_bounce", "bounce"),
        ("email", email_of("late_bounce"), "hard_bounce", "bounce"), ("sms", phone_of("sd_stop"), "opt_out",
                                                                       "sms_keyword")])
    funnel = control["activities"][email_of("funnel")]
    assert funnel[:5] == ("clicked", "run", iso(base + timedelta(minutes=1)), iso(base + timedelta(minutes=5)),
                          iso(base + timedelta(minutes=12)))  # the first open, the delivery's own time
    assert control["activities"][email_of("soft")][6:8] == ("SoftBounce", "mailbox full")
    assert control["activities"][email_of("hard")][5:7] == (iso(base + timedelta(minutes=2)), "HardBounce")
    assert control["activities"][phone_of("sd_late_fail")][6] == "DELIVERY_007"
    totals = control["totals"]
    assert {k: totals[k] for k in ("emails_sent", "emails_delivered", "emails_opened", "emails_clicked",
                                   "emails_bounced", "sms_sent", "sms_delivered", "sms_failed", "responses",
                                   "opt_outs", "contacted")} == {
        "emails_sent": 6, "emails_delivered": 4, "emails_opened": 1, "emails_clicked": 1, "emails_bounced": 2,
        "sms_sent": 6, "sms_delivered": 4, "sms_failed": 1, "responses": 1, "opt_outs": 2, "contacted": 12}
    assert ("consent", "opted out of email (hard_bounce)", "run") in control["timelines"][email_of("hard")]
    assert len(control["conversations"]) == 1
