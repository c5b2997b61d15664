"""Every wired capability driven by the offline model through the real graph: campaigns (draft, preview, launch
with Approve, status), enrichment (request with Approve, review, bulk approve), history, analytics, ads, replies."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from agent.core.context import actor_from
from agent.core.runner import open_agent
from db.models import Campaign, Contact, EnrichmentJob, MarketingActivity
from db.session import unit_of_work
from tests.clock import daytime_zone
from tests.factories import create_contact

MARKETER = actor_from("marketer@example.com", "marketer")
REVIEWER = actor_from("reviewer@example.com", "reviewer")


def chat(*steps, actor=MARKETER):
    async def run():
        thread, out = f"test-{uuid.uuid4()}", []
        async with open_agent() as agent:
            for kind, text in steps:
                fn = agent.send if kind == "say" else agent.decide
                out.append(await fn(text, thread_id=thread, actor=actor))
        return out
    return asyncio.run(run())


def roofers(session):
    """Two Texas roofers (Bob opted out of SMS) and a plumber; their zone is one where it is daytime now, so the
    launch below sends at any hour the suite runs (quiet hours are not this file's subject)."""
    zone = daytime_zone()
    create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", phone="+15125550100",
                   city="Austin", region="TX", tags=["roofer"], timezone=zone)
    create_contact(session, first_name="Bob", last_name="Roe", phone="+15125550111", city="Austin", region="TX",
                   tags=["roofer"], timezone=zone, opted_out_sms=True)
    create_contact(session, first_name="Ann", email="ann@poe.com", city="Dallas", region="TX", tags=["plumber"])
    session.commit()


def activities() -> int:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(MarketingActivity))


def test_draft_preview_and_launch_a_campaign_only_on_approve(session):
    roofers(session)
    draft, preview, asked, cancelled = chat(
        ("say", "draft an sms campaign called Spring to roofers in Texas: Hi {first_name|there}, free roof check?"),
        ("say", "preview campaign Spring"), ("say", "launch campaign Spring"), ("decide", "cancel"))
    assert "Drafted sms campaign 'Spring'" in draft.text
    assert preview.displays[0]["kind"] == "table" and "Audience 2" in preview.displays[0]["title"]
    summary = asked.approval["summary"]
    assert asked.approval["tool"] == "launch_campaign"
    assert summary["count"] == 1 and sum(summary["excluded"].values()) == 1  # Bob opted out, with the reason
    assert "Hi Jane" in summary["rendered"] and summary["cost_micros"] > 0
    assert "Cancelled" in cancelled.text and activities() == 0
    asked_again, launched, status = chat(("say", "launch campaign Spring"), ("decide", "approve"),
                                         ("say", "status of campaign Spring"))
    assert "Launched campaign" in launched.text and "1 queued" in launched.text
    assert activities() == 1
    assert "Campaign 'Spring' is" in status.text


def test_a_reviewer_cannot_launch(session):
    roofers(session)
    with unit_of_work() as uow:
        uow.session.add(Campaign(name="Spring", channel="sms", body_text="Hi", target_filter={}))
    (result,) = chat(("say", "launch campaign Spring"), actor=REVIEWER)
    assert result.approval is None and "Refused: your role (reviewer)" in result.text
    assert activities() == 0


def test_enrichment_request_waits_for_approve_then_queues_jobs(session):
    roofers(session)
    asked, done = chat(("say", "enrich contacts tagged roofer"), ("decide", "approve"))
    assert asked.approval["tool"] == "enrich_contacts" and asked.approval["summary"]["count"] == 2
    assert "Queued enrichment for 2 contacts" in done.text
    (progress,) = chat(("say", "enrichment status"))
    assert progress.text == "Enrichment: pending 2."
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(EnrichmentJob)) == 2


def _job_in_review(session) -> int:
    jane = session.scalar(sa.select(Contact).where(Contact.first_name == "Jane"))
    job = EnrichmentJob(contact_id=jane.id, status="in_review", suggestions=[{
        "field": "job_title", "value": "Owner", "source_url": "https://acme.example/about",
        "quote": "Jane Doe, owner of Acme Roofing", "confidence": 0.95, "verified": True}], decisions={})
    session.add(job)
    session.commit()
    return job.id


def test_review_shows_source_and_quote_and_approve_applies(session):
    roofers(session)
    job_id = _job_in_review(session)
    shown, decided = chat(("say", "review enrichment"), ("say", f"approve enrichment job {job_id}"), actor=REVIEWER)
    table = shown.displays[0]
    row = dict(zip(table["columns"], table["rows"][0], strict=True))
    assert row["suggested"] == "Owner" and row["source"] == "https://acme.example/about"
    assert "owner of Acme" in row["quote"]
    assert f"Enrichment #{job_id} approved" in decided.text
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Contact.job_title).where(Contact.first_name == "Jane")) == "Owner"


def test_bulk_approval_of_enrichment_needs_approve(session):
    roofers(session)
    _job_in_review(session)
    asked, done = chat(("say", "approve enrichment above 0.9"), ("decide", "approve"), actor=REVIEWER)
    assert asked.approval["summary"]["count"] == 1
    assert "Approved enrichment for 1 contact" in done.text


def test_history_analytics_and_ads(session):
    chat(("say", "load sample data"))
    history, analytics, ads = chat(("say", "history for jane@acmeroofing.example"), ("say", "analytics last 30 days"),
                                   ("say", "draft facebook ads for roofers: free roof checks before storm season"))
    assert history.displays[0]["kind"] == "table" and history.displays[0]["rows"]
    assert "History of Jane Doe" in history.text
    assert analytics.displays[0]["kind"] == "chart"
    assert ads.displays[0]["kind"] == "table" and "Drafted facebook ads" in ads.text
    assert "nothing is spent" in ads.text


def test_a_reply_waits_for_approve_and_shows_the_exact_text(session):
    from db.models import ConversationMessage

    roofers(session)
    jane = session.scalar(sa.select(Contact).where(Contact.email == "jane@acme.com"))
    session.add(ConversationMessage(contact_id=jane.id, channel="sms", direction="inbound", body="Hi",
                                    chatwoot_conversation_id=11))  # a conversation to reply in (else: refused early)
    session.commit()
    asked, cancelled = chat(("say", "reply to jane@acme.com by sms: See you Monday at 9."), ("decide", "cancel"))
    assert asked.approval["tool"] == "reply_to_conversation"
    assert asked.approval["summary"]["rendered"] == "See you Monday at 9."
    assert "Cancelled" in cancelled.text


def test_sample_data_feeds_the_campaign_report_the_ad_report_and_history(db):
    loaded, report, ad, history = chat(
        ("say", "load sample data"), ("say", "report for campaign Spring roof check (sample)"),
        ("say", "ad report Storm season roofers (sample)"), ("say", "history for jane@acmeroofing.example"))
    assert "1 booking, 1 ad campaign" in loaded.text
    assert report.displays[0]["kind"] == "chart" and report.displays[0]["chart"] == "funnel"
    assert "Ad 'Storm season roofers (sample)' (facebook, active)" in ad.text and "conversions" in ad.text
    kinds = {row[1] for row in history.displays[0]["rows"]}
    assert len(kinds) >= 2  # a sent message and the reply / booking, not just "created"
    (removed,) = chat(("say", "remove sample data"))
    assert removed.approval["tool"] == "remove_sample_data"


def test_export_and_ad_results_by_chat(session):
    roofers(session)
    chat(("say", "load sample data"))
    exported, recorded, report = chat(
        ("say", "export contacts tagged roofer"),
        ("say", "record ad Storm season roofers (sample) 2026-11-28 spend $120.50 impressions 3400 clicks 80 "
                "conversions 4"),
        ("say", "ad report Storm season roofers (sample)"))
    path = exported.displays[0]["file"]["path"]
    lines = open(path, encoding="utf-8").read().splitlines()
    assert "Exported 10 contacts" in exported.text and len(lines) == 11  # 2 + 8 sample roofers, and the header
    assert "2026-11-28 for ad 'Storm season roofers (sample)': spend $120.50" in recorded.text
    assert "spend $" in report.text
