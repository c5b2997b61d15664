"""Done-when for issue 8: what lands through a campaign send, a webhook (Chatwoot, Cal.com) and a chat edit
shows in the contact's timeline, in today's numbers and in the campaign report, through the real processors."""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from db.models import DailyAnalytics, utcnow
from db.session import unit_of_work
from tests.analytics_factories import create_activity, create_campaign, create_contact
from tests.fakes import calcom as cal
from tests.fakes import chatwoot as cw
from tests.integration.companion import drain
from tools import analytics
from tools.contacts.records import update_contact
from tools.contacts.timeline import contact_history
from tools.imports.importer import import_rows
from tools.users import Actor
from tools.webhook_events import store_event

MARKETER = Actor("m@example.com", "marketer")


def _webhook(provider: str, payload: dict) -> None:
    with unit_of_work() as uow:
        store_event(uow.session, provider, uuid.uuid4().hex, payload.get("event") or payload["triggerEvent"], payload)


def test_a_campaign_send_a_reply_a_booking_a_stop_and_an_edit_land_in_history_and_numbers(db):
    now = utcnow()
    with unit_of_work(db) as uow:
        ana = create_contact(uow.session, email="ana@example.com", phone="+14155550123", first_name="Ana",
                             created_at=now - timedelta(minutes=90))
        camp = create_campaign(uow.session, "Launch", channel="sms")
        create_activity(uow.session, ana, camp, channel="sms", status="delivered", cost_micros=8_000,
                        sent_at=now - timedelta(minutes=60), delivered_at=now - timedelta(minutes=59))
        ana_id = ana.id
    _webhook("chatwoot", cw.message_created(message_id=501, content="Sounds good, tell me more",
                                            created_at=now - timedelta(minutes=30)))
    _webhook("calcom", cal.booking(uid="launch-1", email="ana@example.com", created_at=now - timedelta(minutes=20)))
    _webhook("chatwoot", cw.message_created(message_id=502, content="STOP", created_at=now - timedelta(minutes=10)))
    assert drain() == ["processed", "processed", "processed"]
    with unit_of_work(db) as uow:
        update_contact(uow.session, MARKETER, "ana@example.com", {"company": "Lima Ltd"})
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)

    with unit_of_work(db) as uow:
        history = contact_history(uow.session, MARKETER, ana_id)
        day = uow.session.get(DailyAnalytics, analytics.today())
        yesterday = uow.session.get(DailyAnalytics, analytics.today() - timedelta(days=1))
        report = analytics.campaign_report(uow.session, MARKETER, "Launch")
    kinds = {e.kind for e in history.entries}
    assert {"message", "conversation", "booking", "consent", "edit", "created"} <= kinds
    assert any("Sounds good" in e.title for e in history.entries)
    assert any(e.title.startswith("opted out of sms") for e in history.entries)
    numbers = {m: getattr(day, m) + (getattr(yesterday, m) if yesterday else 0) for m in ("new_contacts", "contacted",
               "sms_sent", "sms_delivered", "responses", "bookings", "opt_outs", "cost_sms_micros")}
    assert numbers == {"new_contacts": 1, "contacted": 1, "sms_sent": 1, "sms_delivered": 1, "responses": 1,
                       "bookings": 1, "opt_outs": 1, "cost_sms_micros": 8_000}
    assert (report.total.sent, report.total.responded, report.total.booked) == (1, 1, 1)
    with unit_of_work(db) as uow:  # a second refresh with nothing new changes no number
        before = {r.day: r.responses for r in uow.session.scalars(sa.select(DailyAnalytics)) if r.responses}
        analytics.refresh(uow.session)
        assert {r.day: r.responses for r in uow.session.scalars(sa.select(DailyAnalytics)) if r.responses} == before


def test_an_import_shows_in_the_timeline_and_in_new_contacts(db):
    with unit_of_work(db) as uow:
        result = import_rows(uow.session, MARKETER, [{"Email": "bo@example.com", "First Name": "Bo"},
                                                     {"Email": "cy@example.com", "City": "Austin"}])
        assert result.created == 2
    with unit_of_work(db) as uow:
        import_rows(uow.session, MARKETER, [{"Email": "bo@example.com", "City": "Denver"}])
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
        history = contact_history(uow.session, MARKETER, "bo@example.com")
        new = uow.session.scalar(sa.select(sa.func.sum(DailyAnalytics.new_contacts)))
    titles = [e.title for e in history.entries]
    assert "imported from api (2 rows) (created)" in titles and "imported from api (1 rows) (updated)" in titles
    assert "city changed from (empty) to Denver" in titles
    assert new == 2


def test_a_campaign_sent_through_the_postmark_fake_lands_in_numbers_report_and_timeline(db, monkeypatch):
    from tests.fakes.postmark import FakePostmark
    from tests.integration.campaign_support import MARKETER as SENDER
    from tests.integration.campaign_support import drain as drain_queue
    from tests.integration.campaign_support import fakes, people, running_worker
    from tools.campaigns import drafting
    from tools.campaigns import lifecycle as tc

    with fakes(monkeypatch, postmark=FakePostmark(inactive={"p2@example.com"})), running_worker():
        ids = people(3)
        with unit_of_work() as uow:
            view = drafting.draft_campaign(uow.session, SENDER, name="Numbers", channel="email", filter=None,
                                           subject="Hi", body_text="Hi {first_name|there}")
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, SENDER, view.id)
        drain_queue()
    with unit_of_work() as uow:
        analytics.refresh(uow.session)
        today = analytics.analytics_report(uow.session, MARKETER, analytics.today() - timedelta(days=1),
                                           analytics.today())
        report = analytics.campaign_report(uow.session, MARKETER, "Numbers")
        bounced = contact_history(uow.session, MARKETER, ids[2], kinds=["message", "consent"])
    assert today.totals["emails_sent"] == 2 and today.totals["contacted"] == 2
    assert today.totals["cost_email_micros"] == 2 * 1_800 and today.totals["opt_outs"] == 0  # a bounce is no opt-out
    assert (report.audience, report.total.sent, report.total.failed, report.total.cost_micros) == (3, 2, 1, 3_600)
    assert any(e.title.startswith("email 'Numbers' failed") for e in bounced.entries)
    assert any(e.title == "opted out of email (hard_bounce)" for e in bounced.entries)
