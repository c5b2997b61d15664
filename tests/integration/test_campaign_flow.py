"""Campaigns end to end: draft -> preview -> launch -> worker -> provider fake -> recorded, exactly once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from db.models import Campaign, ConversationMessage, MarketingActivity, Suppression, utcnow
from db.session import unit_of_work
from domain.roles import PermissionDenied
from tests.factories import create_contact
from tests.fakes.postmark import FakePostmark
from tests.integration.campaign_support import MARKETER, REVIEWER, configure, drain, fakes, people, running_worker
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc
from tools.contacts.optouts import opt_out


def activities(campaign_id):
    with unit_of_work() as uow:
        return {a.contact_id: a for a in uow.session.scalars(
            sa.select(MarketingActivity).where(MarketingActivity.campaign_id == campaign_id))}


def draft(channel="email", name="Spring", **kw):
    args = {"subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here.",
            "body_html": "<p>Hi {first_name|there}</p>"} if channel == "email" else {
        "body_text": "Hi {first_name|there}, 20% off today."}
    with unit_of_work() as uow:
        return drafting.draft_campaign(uow.session, MARKETER, name=name, channel=channel, filter=None, **(args | kw))


def test_a_reviewer_may_not_draft_or_launch(db, monkeypatch):
    configure(monkeypatch)
    with unit_of_work() as uow, pytest.raises(PermissionDenied):
        drafting.draft_campaign(uow.session, REVIEWER, name="x", channel="sms", filter=None, body_text="hi")


def test_bad_drafts_get_clear_errors(db, monkeypatch):
    configure(monkeypatch)
    cases = [({"channel": "fax"}, "sms or email"), ({"body_text": " "}, "empty"),
             ({"body_text": "Hi {firstname}"}, "unknown merge field"), ({"subject": None}, "subject"),
             ({"send_rules": {"quiet_start": "06:00"}}, "08:00-21:00"),
             ({"variants": [{"name": "A"}]}, "two variants")]
    for change, message in cases:
        with unit_of_work() as uow, pytest.raises(tc.CampaignError, match=message):
            args = {"name": "Bad", "channel": "email", "filter": None, "subject": "S", "body_text": "Hi"} | change
            drafting.draft_campaign(uow.session, MARKETER, **args)
    draft(name="Taken")
    with pytest.raises(tc.CampaignError, match="already exists"):
        draft(name="taken")


def test_sms_draft_shows_segments_and_encoding(db, monkeypatch):
    configure(monkeypatch)
    view = draft("sms", body_text="Olá {first_name|amigo} ✓")
    assert view.sms_segments == 1 and view.sms_encoding == "UCS-2" and "UCS-2" in view.warnings[0]


def test_preview_counts_every_exclusion_and_renders_three_real_samples(db, monkeypatch):
    configure(monkeypatch)
    ok = people(4)
    now = utcnow()
    with unit_of_work() as uow:
        s = uow.session
        create_contact(s, email="out@example.com", opted_out_email=True)
        create_contact(s, email="supp@example.com")
        s.add(Suppression(channel="email", address="supp@example.com", reason="opt_out", source="test"))
        create_contact(s, phone="+15125550190")  # no email
        create_contact(s, email="bounced@example.com", email_status="bounced")
        replied = create_contact(s, email="replied@example.com")
        s.add(ConversationMessage(contact_id=replied.id, channel="email", direction="inbound", body="yes",
                                  occurred_at=now - timedelta(days=1)))
        capped = create_contact(s, email="capped@example.com")
        other = Campaign(name="Earlier", channel="email", status="completed")
        s.add(other)
        s.flush()
        s.add(MarketingActivity(campaign_id=other.id, contact_id=capped.id, channel="email", status="delivered",
                                sent_at=now - timedelta(hours=2)))
    view = draft()
    with unit_of_work() as uow:
        preview = tc.preview_campaign(uow.session, MARKETER, view.id)
    assert preview.audience == 10 and preview.eligible == 4 and preview.deferred == 0
    assert preview.excluded == {"opted_out": 1, "suppressed": 1, "no_address": 1, "bounced": 1, "replied": 1,
                                "cap_24h": 1}
    assert [s.contact_id for s in preview.samples] == ok[:3]
    assert "Hi Ana" in preview.samples[0].body and "1 Main St" in preview.samples[0].body
    assert preview.samples[0].subject == "News for Ana"
    assert preview.estimated_cost_micros == 4 * 1800
    assert preview.notice.startswith("SANDBOX: nothing left the building")  # no keys configured here


def test_email_campaign_reaches_each_eligible_recipient_once(db, monkeypatch):
    fake = FakePostmark(inactive={"p2@example.com"})
    with fakes(monkeypatch, postmark=fake, MKT_EMAIL_BATCH_SIZE="2"), running_worker():
        ids = people(4)
        with unit_of_work() as uow:
            create_contact(uow.session, email="later-bad@example")  # fails the address check in the rules
        view = draft()
        with unit_of_work() as uow:
            launched = tc.launch_campaign(uow.session, MARKETER, view.id)
        assert launched.queued == 4 and launched.excluded == {"invalid_address": 1}
        drain()
        with unit_of_work() as uow:
            tc.launch_campaign  # noqa: B018 - a second launch is refused below
            with pytest.raises(tc.CampaignError, match="only a draft"):
                tc.launch_campaign(uow.session, MARKETER, view.id)
    assert sorted(fake.addresses()) == ["p0@example.com", "p1@example.com", "p3@example.com"]
    assert max(fake.per_activity().values()) == 1
    acts = activities(view.id)
    assert [acts[i].status for i in ids] == ["sent", "sent", "failed", "sent"]
    assert acts[ids[2]].error_code == "406"
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(Suppression.reason).where(Suppression.address == "p2@example.com")) \
            == "hard_bounce"
    assert all(acts[i].cost_micros == 1800 and acts[i].provider == "postmark" for i in (ids[0], ids[1], ids[3]))
    sent = fake.delivered[0]
    assert "/unsubscribe/" in sent["HtmlBody"] and "1 Main St" in sent["TextBody"]
    with unit_of_work() as uow:
        progress = tc.campaign_status(uow.session, MARKETER, view.id)
    assert progress.counts == {"sent": 3, "failed": 1} and progress.cost_micros == 3 * 1800
    assert progress.excluded == {"invalid_address": 1}


def test_the_outbox_holds_one_row_per_campaign_contact_and_channel(db, monkeypatch):
    from db.campaigns import insert_activities

    configure(monkeypatch)
    ids = people(2)
    view = draft()
    row = {"campaign_id": view.id, "channel": "email", "status": "queued", "type": "campaign", "cost_micros": 0,
           "attempts": 0, "created_at": utcnow(), "updated_at": utcnow()}
    with unit_of_work() as uow:
        insert_activities(uow.session, [row | {"contact_id": i} for i in ids])
        insert_activities(uow.session, [row | {"contact_id": i} for i in ids])
    assert len(activities(view.id)) == 2


def test_a_contact_who_opts_out_after_launch_is_not_sent(db, monkeypatch):
    with fakes(monkeypatch) as (fake, _):
        ids = people(2)
        view = draft()
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, view.id)
            opt_out(uow.session, "email", "p0@example.com")
        with running_worker():
            drain()
    assert fake.addresses() == ["p1@example.com"]
    assert activities(view.id)[ids[0]].status == "cancelled"


def test_error_threshold_pauses_the_campaign_and_says_why(db, monkeypatch):
    fake = FakePostmark(inactive={f"p{i}@example.com" for i in range(3)})
    with fakes(monkeypatch, postmark=fake, MKT_CAMPAIGN_ERROR_MIN_ATTEMPTS="3", MKT_EMAIL_BATCH_SIZE="3"):
        people(6)
        view = draft()
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, view.id)
        with running_worker(threads=1):  # one batch at a time: the second sees the pause
            drain()
        with unit_of_work() as uow:
            progress = tc.campaign_status(uow.session, MARKETER, view.id)
    assert progress.status == "paused" and "3 of 3 attempted sends failed" in progress.pause_reason
    assert progress.counts == {"failed": 3, "queued": 3}
    assert len(fake.delivered) == 0


def test_a_rejected_token_pauses_the_campaign_and_keeps_every_row_queued(db, monkeypatch):
    with fakes(monkeypatch, POSTMARK_SERVER_TOKEN="wrong-token"):
        people(2)
        view = draft()
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, view.id)
        with running_worker():
            drain()
        with unit_of_work() as uow:
            progress = tc.campaign_status(uow.session, MARKETER, view.id)
    assert progress.status == "paused" and "401" in progress.pause_reason
    assert progress.counts == {"queued": 2}


def test_pause_resume_and_cancel(db, monkeypatch):
    with fakes(monkeypatch) as (fake, _):
        people(3)
        view = draft()
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, view.id)
            tc.pause_campaign(uow.session, MARKETER, view.id)
        with running_worker():
            drain()
            assert fake.delivered == []
            with unit_of_work() as uow:
                assert tc.resume_campaign(uow.session, MARKETER, view.id).status == "running"
            drain()
        assert len(fake.delivered) == 3
        other = draft(name="Other", send_rules={"cap_24h": 0, "cap_7d": 0})  # same people again: caps off
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, other.id)
            tc.pause_campaign(uow.session, MARKETER, other.id)
        with unit_of_work() as uow:
            cancelled = tc.cancel_campaign(uow.session, MARKETER, other.id)
    assert cancelled.status == "cancelled" and cancelled.counts == {"cancelled": 3}
    with unit_of_work() as uow, pytest.raises(tc.CampaignError, match="already cancelled"):
        tc.cancel_campaign(uow.session, MARKETER, other.id)


def test_a_real_email_needs_a_postal_address_to_launch_and_sandbox_does_not(db, monkeypatch):
    with fakes(monkeypatch, MKT_SENDER_POSTAL_ADDRESS=""):
        people(1)
        view = draft()
        assert any("no postal address" in w for w in view.warnings)
        with unit_of_work() as uow, pytest.raises(tc.CampaignError, match="set the sender postal address"):
            tc.launch_campaign(uow.session, MARKETER, view.id)
    monkeypatch.delenv("POSTMARK_SERVER_TOKEN")
    configure(monkeypatch, MKT_SENDER_POSTAL_ADDRESS="")  # sandbox: nothing leaves, so it launches out of the box
    with unit_of_work() as uow:
        assert tc.launch_campaign(uow.session, MARKETER, view.id).notice


def test_a_test_send_goes_to_the_marketer_rendered_with_a_real_contact(db, monkeypatch):
    with fakes(monkeypatch) as (fake, _):
        people(1)
        view = draft()
        with running_worker():
            with unit_of_work() as uow:
                result = tc.send_test(uow.session, MARKETER, view.id, "Me@Marketer.com")
            drain()
    assert result.to == "me@marketer.com" and "Hi Ana" in result.body
    assert fake.addresses() == ["me@marketer.com"] and fake.delivered[0]["Subject"] == "News for Ana"
    assert activities(view.id) == {}  # a test is no campaign send


def test_email_in_each_contacts_local_window_is_deferred_until_it_opens(db, monkeypatch):
    from tests.integration.campaign_support import zone_at

    configure(monkeypatch)
    people(2, timezone=zone_at(2))  # 02:00 where they live
    view = draft(send_rules={"local_window": True})
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, view.id)
    assert (launched.queued, launched.deferred) == (0, 2)
    assert {a.status for a in activities(view.id).values()} == {"deferred"}


def test_ab_variants_split_the_audience_and_progress_names_the_leader(db, monkeypatch):
    configure(monkeypatch)
    people(4)
    variants = [{"name": "A", "weight": 1, "subject": "A: hi {first_name|}"},
                {"name": "B", "weight": 1, "subject": "B: hello {first_name|}"}]
    view = draft(variants=variants)
    with unit_of_work() as uow:
        samples = tc.preview_campaign(uow.session, MARKETER, view.id).samples
        tc.launch_campaign(uow.session, MARKETER, view.id)
    assert all(s.subject in ("A: hi Ana", "B: hello Ana", "A: hi Ben", "B: hello Ben", "A: hi Cy", "B: hello Cy")
               for s in samples)
    acts = activities(view.id)
    names = {a.variant for a in acts.values()}
    assert names <= {"A", "B"} and len(acts) == 4
    with unit_of_work() as uow:  # pretend one contact of the first variant clicked
        first = next(iter(acts.values()))
        uow.session.get(MarketingActivity, first.id).status = "clicked"
    with unit_of_work() as uow:
        progress = tc.campaign_status(uow.session, MARKETER, view.id)
    assert sum(sum(c.values()) for c in progress.variants.values()) == 4
    assert progress.leading_variant == first.variant
