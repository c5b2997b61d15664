"""Preconditions said before the approval card (never after Approve), the sender set from the chat, and sandbox /
sample data always labelled (issue 16 items 4 and 6)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from agent.core.context import actor_from
from agent.core.execute import run_tool
from agent.core.render import approval_markdown
from agent.core.runner import open_agent
from agent.tools import catalogue
from db.models import Campaign, ConversationMessage, MarketingActivity, utcnow
from db.session import unit_of_work
from domain.roles import PermissionDenied
from settings import get_settings, reset_settings
from tests.clock import daytime_zone
from tests.factories import create_contact
from tools import sender
from tools.campaigns import lifecycle as tc
from tools.campaigns.messages import render_message

MARKETER = actor_from("marketer@example.com", "marketer")
ADMIN = actor_from("admin@example.com", "admin")


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch):
    for name in ("MKT_SENDER_POSTAL_ADDRESS", "MKT_EMAIL_FROM", "POSTMARK_SERVER_TOKEN", "MKT_POSTMARK_SERVER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    reset_settings()
    yield
    reset_settings()


def chat(*texts, actor=MARKETER):
    async def run():
        thread, out = f"test-{uuid.uuid4()}", []
        async with open_agent() as agent:
            for text in texts:
                out.append(await agent.send(text, thread_id=thread, actor=actor))
        return out
    return asyncio.run(run())


def world(session, *, sample=False):
    zone = daytime_zone()
    create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", phone="+15125550100",
                   tags=["roofer"], timezone=zone)
    create_contact(session, first_name="Sam", last_name="Ple", email="sam@sample.test", phone="+15125550177",
                   tags=["roofer"], timezone=zone, is_sample=sample, source="sample" if sample else "manual")
    session.add(Campaign(name="News", channel="email", subject="Hi {first_name}", body_text="Spring news",
                         target_filter={}))
    session.commit()


def test_an_email_campaign_launches_in_sandbox_without_a_postal_address(session):
    world(session)
    (asked,) = chat("launch campaign News")
    assert asked.approval is not None and "Spring news" in approval_markdown(asked.approval)
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, "News", now=utcnow())
    assert launched.queued + launched.deferred == 2 and launched.notice
    with unit_of_work() as uow:
        camp = uow.session.scalar(sa.select(Campaign))
        contact = uow.session.scalar(sa.select(tc.Contact).order_by(tc.Contact.id))
        text = render_message(camp, contact, activity_id=1).text
    assert "your postal address goes here" in text  # the footer says what is missing; nothing leaves in sandbox


def test_a_real_email_send_without_postal_address_is_refused_before_the_card(session, monkeypatch):
    world(session)
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "real-token")
    reset_settings()
    (asked,) = chat("launch campaign News")
    assert asked.approval is None and "no postal address" in asked.text and "set the sender postal address" in asked.text
    spec = catalogue.get("set_sender")  # an admin sets it from the chat: stored, in force at once
    out = run_tool(spec, ADMIN, {"name": "Acme Roofing", "email": "hello@acme.com",
                                 "postal_address": "Acme Inc, 1 Main St, Austin TX 78701"})
    assert out.text.startswith("Saved. Email sender: Acme Roofing <hello@acme.com> (set in the chat)")
    (asked_again,) = chat("launch campaign News")
    assert asked_again.approval is not None and asked_again.approval["tool"] == "launch_campaign"
    assert get_settings().email_from == "Acme Roofing <hello@acme.com>"


def test_the_environment_overrides_the_sender_set_in_chat_and_only_admins_set_it(session, monkeypatch):
    monkeypatch.setenv("MKT_SENDER_POSTAL_ADDRESS", "Env Inc, 9 Env Rd, Boston MA")
    reset_settings()
    with unit_of_work() as uow:
        s = sender.set_sender(uow.session, ADMIN, postal_address="Chat Inc, 1 Chat St, Austin TX")
        assert s.postal_address == "Env Inc, 9 Env Rd, Boston MA" and s.source["sender_postal_address"] == "environment"
        assert s.notes == ["MKT_SENDER_POSTAL_ADDRESS is set in the environment and overrides this"]
        with pytest.raises(PermissionDenied):
            sender.set_sender(uow.session, MARKETER, name="Nope")
        with pytest.raises(sender.SenderError, match="not an email address"):
            sender.set_sender(uow.session, ADMIN, email="nope")


def test_sample_contacts_are_messaged_in_sandbox_and_excluded_by_name_with_a_real_provider(session, monkeypatch):
    world(session, sample=True)
    with unit_of_work() as uow:
        sandbox = tc.preview_campaign(uow.session, MARKETER, "News")
    assert sandbox.audience == 2 and "sample" not in sandbox.excluded
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", "real-token")
    monkeypatch.setenv("MKT_SENDER_POSTAL_ADDRESS", "Acme Inc, 1 Main St, Austin TX 78701")
    reset_settings()
    (asked,) = chat("launch campaign News")
    assert asked.approval["summary"]["excluded"] == {"sample": 1}
    assert "sample contact (sample data is only messaged in sandbox mode): 1" in approval_markdown(asked.approval)


def test_a_reply_without_a_conversation_is_refused_before_the_card(session):
    world(session)
    (asked,) = chat("reply to Jane Doe by sms: thanks!")
    assert asked.approval is None and "no conversation with Jane on sms" in asked.text
    session.add(ConversationMessage(contact_id=1, channel="sms", direction="inbound", body="hello",
                                    chatwoot_conversation_id=7))
    session.commit()
    (asked,) = chat("reply to Jane Doe by sms: thanks!")
    assert asked.approval is not None and asked.approval["tool"] == "reply_to_conversation"


def test_sandbox_sends_say_simulated_in_status_and_timeline(session):
    world(session)
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, "News", now=utcnow())
    with unit_of_work() as uow:
        uow.session.execute(sa.update(MarketingActivity).values(status="delivered", provider="sandbox",
                                                                sent_at=utcnow(), delivered_at=utcnow()))
    status, history = chat("status of campaign News", "history for jane@acme.com")
    assert "simulated delivered 2" in status.text and "simulated cost so far" in status.text
    whats = [r[2] for r in history.displays[0]["rows"] if r[1] == "message"]
    assert whats and all("simulated" in w for w in whats if "queued" not in w)
    assert all(r[3] for r in history.displays[0]["rows"])  # every entry has its detail


def test_the_funnel_chart_itself_says_simulated(session):
    from agent.core.charts import figure_for

    world(session)
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, "News", now=utcnow())
    with unit_of_work() as uow:
        uow.session.execute(sa.update(MarketingActivity).values(status="delivered", provider="sandbox",
                                                                sent_at=utcnow(), delivered_at=utcnow()))
    card, report = chat("open campaign News", "how did campaign News do")
    for display in (card.displays[0], report.displays[0]):
        figure = figure_for(display)
        assert figure.layout.title.text.startswith("SIMULATED (2 sandbox sends)")  # the chart alone says it
        assert {"Sent (simulated)", "Delivered (simulated)"} <= set(figure.data[0].y)


def test_analytics_leave_sample_data_out_and_say_what_was_simulated(session):
    from datetime import timedelta

    from tools.analytics import analytics_report, rebuild_daily, today
    from tools.demo import load_sample_data

    world(session)
    load_sample_data(session, ADMIN)  # a past SMS campaign with sends, replies, a booking and a week of ad spend
    session.commit()
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, "News", now=utcnow())
    with unit_of_work() as uow:
        uow.session.execute(sa.update(MarketingActivity).where(MarketingActivity.campaign_id == uow.session.scalar(
            sa.select(Campaign.id).where(Campaign.name == "News"))).values(
            status="delivered", provider="sandbox", sent_at=utcnow(), delivered_at=utcnow(), cost_micros=1800))
    end = today()
    with unit_of_work() as uow:
        rebuild_daily(uow.session, end - timedelta(days=14), end)
    with unit_of_work() as uow:
        report = analytics_report(uow.session, ADMIN, end - timedelta(days=14), end)
    assert report.totals["emails_sent"] == 2 and report.totals["sms_sent"] == 0  # the sample SMS sends stay out
    assert report.totals["cost_ads_micros"] == 0 and report.totals["responses"] == 0  # sample ads and replies too
    (shown,) = chat("analytics last 14 days")
    assert "2 of these sends ($0.00) were simulated in sandbox mode" in shown.text
    assert "Sample data is left out" in shown.displays[0]["markdown"]


def test_a_sample_reply_is_answered_in_a_simulated_conversation_in_sandbox_only(session, monkeypatch):
    """The sample data's replies sit in a simulated Chatwoot conversation: in sandbox a reply from the inbox is
    recorded and labelled simulated; with a Chatwoot configured it is refused before the card, never posted."""
    from tools.demo import load_sample_data

    load_sample_data(session, ADMIN)
    session.commit()
    (inbox,) = chat("show replies")
    keys = [row[0] for row in inbox.displays[0]["rows"] if row[2] == "sms · simulated" and row[1] == "Jane Doe"]
    assert keys and keys[0].startswith("-")
    by_key, by_name = chat(f"open conversation {keys[0]}", "open conversation with jane doe")  # the inbox's button
    assert "simulated: a sample conversation" in by_key.text and by_key.text == by_name.text

    async def reply():
        thread = f"test-{uuid.uuid4()}"
        async with open_agent() as agent:
            asked = await agent.send("reply to jane doe: Thanks Jane, the flyer is on its way", thread_id=thread,
                                     actor=MARKETER)
            return asked, await agent.decide("approve", thread_id=thread, actor=MARKETER)
    asked, done = asyncio.run(reply())
    assert "simulated" in asked.approval["summary"]["title"]
    assert "SIMULATED - a sample conversation: the reply to Jane Doe on sms was recorded, not sent" in done.text
    with unit_of_work() as uow:
        sent = uow.session.scalars(sa.select(ConversationMessage).where(
            ConversationMessage.direction == "outbound")).all()
        assert [(m.body, m.chatwoot_conversation_id < 0) for m in sent] == [
            ("Thanks Jane, the flyer is on its way", True)]
    monkeypatch.setenv("CHATWOOT_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CHATWOOT_API_TOKEN", "real-token")
    reset_settings()
    (refused,) = chat("reply to jane doe: hello again")
    assert refused.approval is None and "simulated (sample data)" in refused.text
