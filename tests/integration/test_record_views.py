"""The record views through the real graph with the offline model: contact card, campaign list and card, inbox and
one conversation, bookings, ad campaigns. Sandbox sends say "simulated"; long texts are shown whole."""

from __future__ import annotations

from datetime import timedelta

from agent.core.context import actor_from
from agent.core.render import display_markdown
from db.models import (
    AdCampaign,
    CalendarBooking,
    Campaign,
    ContactEvent,
    ConversationMessage,
    MarketingActivity,
    utcnow,
)
from tests.agent_support import chat
from tests.factories import create_contact

LONG = "We would love a quote for the whole warehouse roof, " + "including the gutters and the skylights, " * 6 + "END."


def world(session):
    now = utcnow()
    jane = create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", phone="+15125550100",
                          city="Austin", region="TX", tags=["roofer"], attributes={"crew": "12"}, timezone="UTC",
                          opted_out_email=True, opted_out_email_at=now - timedelta(days=1),
                          opted_out_email_reason="asked by phone")
    bob = create_contact(session, first_name="Bob", last_name="Roe", phone="+15125550111", tags=["roofer"])
    spring = Campaign(name="Printemps Été", channel="sms", status="completed", body_text="Hi {first_name|there}, "
                      "free roof check this week? " + "Reply YES. " * 10, target_filter={},
                      stats={"audience": 3, "excluded": {"opted_out": 1}})
    session.add(spring)
    session.flush()
    sent = now - timedelta(hours=3)
    session.add_all([
        MarketingActivity(campaign_id=spring.id, contact_id=jane.id, channel="sms", status="delivered",
                          provider="sandbox", to_address=jane.phone, cost_micros=7900, sent_at=sent,
                          delivered_at=sent),
        MarketingActivity(campaign_id=spring.id, contact_id=bob.id, channel="sms", status="failed",
                          provider="sandbox", to_address=bob.phone, error_code="invalid",
                          error_message="number is not reachable", failed_at=sent),
        MarketingActivity(campaign_id=spring.id, contact_id=create_contact(session, phone="+15125550199").id,
                          channel="sms", status="unknown", provider="sentdm", to_address="+15125550199",
                          error_code="review", requested_at=sent),
        ConversationMessage(contact_id=jane.id, campaign_id=spring.id, channel="sms", direction="inbound", body=LONG,
                            chatwoot_conversation_id=501, occurred_at=now - timedelta(hours=2)),
        ConversationMessage(contact_id=bob.id, channel="sms", direction="inbound", body="thanks",
                            chatwoot_conversation_id=502, occurred_at=now - timedelta(hours=5)),
        ConversationMessage(contact_id=bob.id, channel="sms", direction="outbound", body="you're welcome",
                            sent_by="marketer@example.com", chatwoot_conversation_id=502,
                            occurred_at=now - timedelta(hours=4)),
        ContactEvent(contact_id=jane.id, kind="opted_out", source="sms_keyword", occurred_at=now - timedelta(hours=1)),
        CalendarBooking(contact_id=jane.id, campaign_id=spring.id, calcom_uid="u1", title="Roof check",
                        start_at=now + timedelta(days=2), status="accepted"),
        CalendarBooking(contact_id=bob.id, calcom_uid="u2", title="Old visit", start_at=now - timedelta(days=9),
                        status="ended"),
        AdCampaign(name="Roofers FB", platform="facebook", status="active", spend_micros=47_300_000,
                   impressions=12000, clicks=300, conversions=4, is_sample=True),
    ])
    session.commit()
    return jane, bob, spring


def test_the_contact_card_shows_every_part_with_whole_texts(session):
    jane, _, _ = world(session)
    (result,) = chat("open contact jane@acme.com")
    (card,) = result.displays
    md = display_markdown(card)
    assert result.text.startswith(f"Contact card of Jane Doe (#{jane.id})")
    assert "crew: 12" in md and "roofer" in md and "Austin" in md
    assert "email jane@acme.com: opted out" in md and "asked by phone" in md
    assert "sms +15125550100: can be messaged" in md
    assert "simulated delivered" in md and "Hi Jane, free roof check" in md  # the message text, rendered for her
    assert "END." in md and "they wrote" in md  # the whole reply, not a 60-character preview
    assert "Roof check" in md and "Printemps Été" in md
    assert [s["say"] for s in card["next"]][0] == f"history for #{jane.id}"


def test_an_ambiguous_contact_asks_which_one(session):
    create_contact(session, first_name="Sam", last_name="Lee", email="a@x.com")
    create_contact(session, first_name="Sam", last_name="Lee", email="b@x.com")
    session.commit()
    (result,) = chat("open contact Sam Lee")
    assert "2 contacts match 'Sam Lee': which one?" in result.text
    assert len(result.displays[0]["rows"]) == 2 and result.displays[0]["next"][0]["say"].startswith("open contact #")


def test_campaign_list_and_card(session):
    _, _, spring = world(session)
    listed, opened, missing = chat("list campaigns", "open campaign printemps ete", "open campaign Autumn")
    table = listed.displays[0]
    assert listed.text.startswith("1 campaign, newest first. Simulated: sandbox sends")
    row = dict(zip(table["columns"], table["rows"][0], strict=True))
    assert row["campaign"] == f"#{spring.id} Printemps Été (sms)" and row["audience"] == 3 and row["replies"] == 1
    assert row["status"] == "completed · simulated" and row["cost"] == "$0.01 simulated" and row["opt-outs"] == 1
    assert row["sent"] == 1 and row["delivered"] == 1
    card = opened.displays[0]
    md = display_markdown(card)
    assert card["kind"] == "chart" and card["chart"] == "funnel"  # the funnel chart comes with the card
    assert "opted out of this channel: 1" in md and "opted_out" not in md  # reasons in words
    assert "Reply YES. " * 10 in md.replace("\\", "")  # the whole message
    assert "number is not reachable" in md and "What to do:" in md
    assert "+15125550199" in md and "in doubt (review)" in md and "resend anyway the sends in doubt" in md
    assert "simulated (sandbox)" in md
    assert "no campaign is called 'Autumn'" in missing.text


def test_a_draft_card_says_whom_it_targets_and_counts_no_audience_yet(session):
    world(session)
    draft = Campaign(name="Gutter week", channel="sms", body_text="Gutters cleaned this week? Reply YES",
                     target_filter={"all": [{"field": "tags", "op": "has", "value": "roofer"},
                                            {"field": "city", "op": "eq", "value": "Austin"}]})
    session.add(draft)
    session.commit()
    opened, done = chat("open the latest campaign", "open campaign printemps")
    md = display_markdown(opened.displays[0])
    assert md.startswith(f"### Gutter week · #{draft.id} · sms · draft")
    assert "**Who:** tagged roofer and city is Austin" in md
    assert (f"**Not launched yet:** the audience is counted when you preview or launch it (`preview campaign "
            f"{draft.id}`).") in md
    assert "**Audience**" not in md and "**Excluded:**" not in md  # never "audience 0, excluded: nobody"
    done_md = display_markdown(done.displays[0])
    assert "**Who:** every contact" in done_md and "**Audience** 3 · **sent** 1" in done_md


def test_inbox_conversation_and_bookings(session):
    jane, bob, _ = world(session)
    inbox_all, inbox_open, convo, upcoming, past, ads = chat(
        "all conversations", "inbox", "open conversation Jane Doe", "list bookings", "list past bookings",
        "list ad campaigns")
    assert inbox_all.text.startswith("2 conversations, newest first.")
    assert [r[1] for r in inbox_all.displays[0]["rows"]] == ["Jane Doe", "Bob Roe"]  # newest first
    assert inbox_open.text.startswith("1 conversation open") and "END." in display_markdown(inbox_open.displays[0])
    assert "Conversation with Jane Doe on sms (open, 1 message)" in convo.text
    assert "END." in display_markdown(convo.displays[0])
    assert upcoming.text.startswith("1 booking (upcoming)") and upcoming.displays[0]["rows"][0][5] == "Printemps Été"
    assert past.displays[0]["rows"][0][3] == "Old visit"
    assert "Roofers FB (sample)" in display_markdown(ads.displays[0]) and "$11.83" in display_markdown(ads.displays[0])  # 47.30 / 4 = 11.825: half up


def test_sample_rows_are_marked_once_in_the_lists(session):
    from tools.demo import load_sample_data

    load_sample_data(session, actor_from("admin@example.com", "admin"))
    session.commit()
    campaigns, ads = chat("list campaigns", "list ad campaigns")
    for answer in (campaigns, ads):
        md = display_markdown(answer.displays[0])
        assert "(sample)" in md and "(sample) (sample)" not in md, md


def test_a_campaign_report_of_sandbox_sends_says_simulated(session):
    from tools.demo import load_sample_data

    load_sample_data(session, actor_from("admin@example.com", "admin"))
    session.commit()
    (report,) = chat("how did the spring campaign do")
    assert "Spring roof check" in report.text and "were simulated in sandbox mode" in report.text, report.text
    assert "simulated" in display_markdown(report.displays[0])
