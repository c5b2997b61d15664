"""What the chat says about a campaign before and after launch, stated with literal answers
(tools/campaigns/lifecycle.py; issue 24, the mutation run's survivors): the preview (audience, eligible, exclusions
by reason, deferred, three rendered samples, SMS segments, the estimated cost; over several audience chunks), the
progress (counts, done, exclusions found at launch plus the rows a cap cancelled, cost so far, A/B counts and the
leading variant, clicks per link for email) and the test send (to whom, rendered with which contact, refused how).

The preview reads the real clock (it has no `now`), so its contacts live in `zone_at(12)` (midday now) or
`zone_at(2)` (the night now): which of them a preview defers does not depend on the hour the test runs at."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from db.models import Campaign, EmailLinkClick, MarketingActivity, utcnow
from db.session import unit_of_work
from integrations.sandbox import NOTICE
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER, POSTAL, configure, zone_at
from tools.campaigns import audience, drafting
from tools.campaigns import lifecycle as tc
from tools.users import Actor

SMS = "Hi {first_name|there}, " + "x" * 125  # with the STOP notice: 156 characters for Ana (one segment), 164 for
# Bartholomew (two)
STOP = "\nReply STOP to opt out."
PREVIEW_LINK = "https://mkt.test/unsubscribe/PREVIEW"


def world(monkeypatch, **env: str) -> dict[str, int]:
    """ana, bart and fay by day, cy at night, dee opted out of SMS, eve without a phone; sam a sample contact."""
    configure(monkeypatch, **env)
    day, night = zone_at(12), zone_at(2)
    people = [("ana", "Ana", "+15125550101", day, {}), ("bart", "Bartholomew", "+15125550102", day, {}),
              ("cy", "Cy", "+15125550103", night, {}), ("dee", "Dee", "+15125550104", day, {"opted_out_sms": True}),
              ("eve", "Eve", None, day, {}), ("fay", "Fay", "+15125550106", day, {}),
              ("sam", "Sam", "+15125550107", day, {"is_sample": True})]
    with unit_of_work() as uow:
        return {key: create_contact(uow.session, first_name=first, phone=phone, email=f"{key}@example.com",
                                    timezone=zone, **extra).id
                for key, first, phone, zone, extra in people}


def draft(channel: str = "sms", name: str = "Spring", **kw) -> int:
    args = {"body_text": SMS} if channel == "sms" else {
        "subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here."}
    with unit_of_work() as uow:
        return drafting.draft_campaign(uow.session, MARKETER, name=name, channel=channel,
                                       **({"filter": None} | args | kw)).id


def text_for(first: str) -> str:
    return f"Hi {first}, " + "x" * 125 + STOP


# --- preview ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [20_000, 2, 1], ids=["one-chunk", "chunks-of-2", "chunks-of-1"])
def test_an_sms_preview_counts_renders_three_samples_and_prices_every_segment(db, monkeypatch, chunk):
    monkeypatch.setattr(audience, "CHUNK", chunk)
    who = world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        p = tc.preview_campaign(uow.session, MARKETER, ref)
    assert (p.campaign_id, p.name, p.channel) == (ref, "Spring", "sms")
    # sample data is messaged in the sandbox: sam counts too
    assert (p.audience, p.eligible, p.excluded, p.deferred) == (7, 4, {"opted_out": 1, "no_address": 1}, 1)
    assert [(s.contact_id, s.to, s.subject, s.body, s.segments, s.html) for s in p.samples] == [
        (who["ana"], "+15125550101", "", text_for("Ana"), 1, None),
        (who["bart"], "+15125550102", "", text_for("Bartholomew"), 2, None),
        (who["cy"], "+15125550103", "", text_for("Cy"), 1, None)]
    assert p.segments == 2  # the longest message
    assert p.estimated_cost_micros == (1 + 2 + 1 + 1 + 1) * 8000  # ana, bart, cy (deferred), fay, sam
    assert (p.notice, p.warnings) == (NOTICE, [])


def test_a_real_sms_preview_leaves_sample_contacts_out(db, monkeypatch):
    world(monkeypatch, SENTDM_API_KEY="a-real-key")
    ref = draft()
    with unit_of_work() as uow:
        p = tc.preview_campaign(uow.session, MARKETER, ref)
    assert (p.audience, p.eligible, p.deferred, p.notice) == (7, 3, 1, None)
    assert p.excluded == {"opted_out": 1, "no_address": 1, "sample": 1}
    assert p.estimated_cost_micros == (1 + 2 + 1 + 1) * 8000


@pytest.mark.parametrize("chunk", [20_000, 2, 1], ids=["one-chunk", "chunks-of-2", "chunks-of-1"])
def test_an_email_preview_renders_three_samples_and_prices_each_message(db, monkeypatch, chunk):
    monkeypatch.setattr(audience, "CHUNK", chunk)
    who = world(monkeypatch)
    ref = draft("email")
    with unit_of_work() as uow:
        p = tc.preview_campaign(uow.session, MARKETER, ref)
    assert (p.audience, p.eligible, p.excluded, p.deferred, p.segments) == (7, 7, {}, 0, None)
    footer = f"\n\n--\n{POSTAL}\nUnsubscribe: {PREVIEW_LINK}\n"
    assert [(s.contact_id, s.to, s.subject, s.body, s.segments) for s in p.samples] == [
        (who["ana"], "ana@example.com", "News for Ana", "Hi Ana, spring is here." + footer, None),
        (who["bart"], "bart@example.com", "News for Bartholomew", "Hi Bartholomew, spring is here." + footer, None),
        (who["cy"], "cy@example.com", "News for Cy", "Hi Cy, spring is here." + footer, None)]
    assert all(PREVIEW_LINK in s.html and "spring is here." in s.html for s in p.samples)
    assert p.estimated_cost_micros == 7 * 1800


def test_a_preview_names_email_warnings(db, monkeypatch):
    world(monkeypatch)
    ref = draft("email", body_text="Hi ![](https://acme.test/a.png)")
    with unit_of_work() as uow:
        p = tc.preview_campaign(uow.session, MARKETER, ref)
    assert p.warnings == ["1 image without alt text: say what each shows ![like this](url)"]


def test_a_preview_renders_each_sample_in_its_variant(db, monkeypatch):
    from domain.campaigns import pick_variant  # the split is domain/campaigns.py's (pinned there)

    who = world(monkeypatch)
    variants = [{"name": "A", "weight": 1, "body_text": "A {first_name|}"},
                {"name": "B", "weight": 1, "body_text": "B {first_name|}"}]
    ref = draft(variants=variants)
    with unit_of_work() as uow:
        p = tc.preview_campaign(uow.session, MARKETER, ref)
    firsts = {who["ana"]: "Ana", who["bart"]: "Bartholomew", who["cy"]: "Cy"}
    assert [s.body for s in p.samples] == [
        f"{pick_variant(variants, ref, i)['name']} {firsts[i]}{STOP}" for i in (who["ana"], who["bart"], who["cy"])]


# --- progress --------------------------------------------------------------------------------------------------------

def add_rows(campaign_id: int, statuses: list[tuple[str, str | None, int, str | None]]) -> list[int]:
    """(status, error_code, cost, variant) per row, each for a new contact."""
    ids = []
    with unit_of_work() as uow:
        s = uow.session
        for n, (status, code, cost, variant) in enumerate(statuses):
            contact = create_contact(s, email=f"r{campaign_id}-{n}@example.com")
            row = MarketingActivity(campaign_id=campaign_id, contact_id=contact.id, channel="sms", type="campaign",
                                    status=status, error_code=code, cost_micros=cost, variant=variant, attempts=0)
            s.add(row)
            s.flush()
            ids.append(row.id)
    return ids


def test_progress_counts_every_status_and_what_is_done(db, monkeypatch):
    configure(monkeypatch)
    ref = draft()
    other = draft(name="Other")
    with unit_of_work() as uow:
        c = uow.session.get(Campaign, ref)
        c.status, c.pause_reason = "paused", "3 of 3 attempted sends failed"
        c.stats = {"excluded": {"opted_out": 2, "cap_24h": 1}}
    add_rows(ref, [("queued", None, 0, None), ("deferred", "quiet_hours", 0, None), ("sending", None, 0, None),
                   ("sent", None, 8000, None), ("delivered", None, 16000, None), ("failed", "30007", 0, None),
                   ("cancelled", "cap_24h", 0, None), ("cancelled", "cap_7d", 0, None),
                   ("cancelled", "opted_out", 0, None)])
    add_rows(other, [("cancelled", "cap_24h", 0, None), ("sent", None, 8000, None)])
    with unit_of_work() as uow:
        p = tc.campaign_status(uow.session, MARKETER, "Spring")
    assert p == tc.CampaignProgress(
        ref, "Spring", "sms", "paused", "3 of 3 attempted sends failed",
        {"queued": 1, "deferred": 1, "sending": 1, "sent": 1, "delivered": 1, "failed": 1, "cancelled": 3},
        {"opted_out": 2, "cap_24h": 2, "cap_7d": 1}, 24000, 9, 6, NOTICE, {}, None, {})


def test_progress_of_a_campaign_without_rows_or_stats(db, monkeypatch):
    configure(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        uow.session.get(Campaign, ref).stats = None
    with unit_of_work() as uow:
        p = tc.campaign_status(uow.session, MARKETER, ref)
    assert (p.status, p.counts, p.excluded, p.cost_micros, p.total, p.done) == ("draft", {}, {}, 0, 0, 0)


def test_progress_of_an_ab_email_names_the_leader_and_the_clicked_links(db, monkeypatch):
    configure(monkeypatch)
    ref = draft("email", variants=[{"name": "A", "weight": 1, "subject": "A"}, {"name": "B", "weight": 1, "subject": "B"}])
    ids = add_rows(ref, [("clicked", None, 1800, "A"), ("sent", None, 1800, "A"), ("sent", None, 1800, "A"),
                         ("clicked", None, 1800, "B"), ("opened", None, 1800, "B")])
    with unit_of_work() as uow:
        for activity, url in ((ids[0], "https://acme.test/shop"), (ids[3], "https://acme.test/shop"),
                              (ids[3], "https://acme.test/about")):
            uow.session.add(EmailLinkClick(campaign_id=ref, activity_id=activity, url=url, first_clicked_at=utcnow()))
    with unit_of_work() as uow:
        p = tc.campaign_status(uow.session, MARKETER, ref)
    assert p.variants == {"A": {"clicked": 1, "sent": 2}, "B": {"clicked": 1, "opened": 1}}
    assert p.leading_variant == "B"  # 1 of 2 clicked against 1 of 3
    assert p.link_clicks == {"https://acme.test/shop": 2, "https://acme.test/about": 1}
    assert (p.total, p.done, p.cost_micros) == (5, 5, 5 * 1800)


@pytest.mark.parametrize(("variants", "channel", "leader"), [
    ({"A": {"sent": 2, "delivered": 2}, "B": {"delivered": 1, "failed": 3}}, "sms", "A"),  # 2/4 against 1/4
    ({"A": {"delivered": 1, "queued": 9, "deferred": 9, "sending": 9, "cancelled": 9, "unknown": 9},
      "B": {"delivered": 1, "sent": 1}}, "sms", "A"),  # rows not sent are not counted: 1/1 against 1/2
    ({"A": {"delivered": 1, "bounced": 1}, "B": {"delivered": 1, "complained": 2}}, "sms", "A"),  # 1/2, 1/3
    ({"A": {"delivered": 1, "bounced": 2}, "B": {"delivered": 1, "sent": 1}}, "sms", "B"),  # 1/3, 1/2
    ({"A": {"opened": 1, "sent": 1}, "B": {"clicked": 1, "sent": 1}}, "sms", "A"),  # opened reaches a person
    ({"A": {"sent": 1, "opened": 3}, "B": {"clicked": 1, "bounced": 1}}, "email", "B"),  # opened is no click
    ({"A": {"delivered": 5}, "B": {"sent": 1, "clicked": 1}}, "email", "B"),
    ({"A": {"sent": 3}, "B": {"sent": 1, "failed": 2}}, "sms", None),  # nobody reached yet
    ({"A": {"queued": 3}}, "sms", None),  # nothing sent: no share
    ({}, "email", None),
    ({"A": {"delivered": 1, "sent": 1}, "B": {"delivered": 1, "sent": 1}}, "sms", "A"),  # a tie: the first
    ({"B": {"delivered": 1, "sent": 1}, "A": {"delivered": 1, "sent": 1}}, "sms", "B"),
])
def test_the_leading_variant_has_the_best_share_of_its_sends_reaching_the_metric(variants, channel, leader):
    assert tc._leader(variants, channel) == leader


# --- test sends ------------------------------------------------------------------------------------------------------

def test_a_test_email_goes_to_the_marketer_rendered_with_the_first_real_contact(db, monkeypatch, sent_jobs):
    who = world(monkeypatch)
    ref = draft("email")
    with unit_of_work() as uow:
        result = tc.send_test(uow.session, MARKETER, ref)
    footer = f"\n\n--\n{POSTAL}\nUnsubscribe: {PREVIEW_LINK}\n"
    assert (result.to, result.subject, result.body, result.queued, result.notice) == (
        "marketer@example.com", "News for Ana", "Hi Ana, spring is here." + footer, True, NOTICE)
    assert "spring is here." in result.html
    assert sent_jobs == [("campaigns.send_test", (ref, who["ana"], "marketer@example.com"))]


def test_a_test_goes_to_the_address_given_in_its_stored_form(db, monkeypatch, sent_jobs):
    who = world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        result = tc.send_test(uow.session, MARKETER, "spring", "(512) 555-0199")
    assert (result.to, result.subject, result.body, result.html) == ("+15125550199", "", text_for("Ana"), None)
    assert sent_jobs == [("campaigns.send_test", (ref, who["ana"], "+15125550199"))]
    email = draft("email", name="Mail")
    with unit_of_work() as uow:
        assert tc.send_test(uow.session, MARKETER, email, "  Me@Marketer.com ").to == "me@marketer.com"


def test_a_test_renders_with_the_first_contact_of_the_campaigns_own_audience(db, monkeypatch, sent_jobs):
    who = world(monkeypatch)
    ref = draft(filter={"field": "first_name", "op": "eq", "value": "Cy"})
    with unit_of_work() as uow:
        assert tc.send_test(uow.session, MARKETER, ref, "+15125550199").body == text_for("Cy")
    assert sent_jobs == [("campaigns.send_test", (ref, who["cy"], "+15125550199"))]


@pytest.mark.parametrize(("channel", "actor", "to", "message"), [
    ("sms", MARKETER, None, "say the phone number the test SMS should go to"),
    ("sms", MARKETER, "  ", "say the phone number the test SMS should go to"),
    ("email", Actor("admin", MARKETER.role), None, "you are signed in as 'admin', not an email address: say where "
     "the test should go ('send a test of <campaign> to <email address>')"),
    ("email", MARKETER, "not-an-address",
     "cannot send a test to 'not-an-address': invalid email 'not-an-address': An email address must have an @-sign."),
    ("sms", MARKETER, "12", "cannot send a test to '12': invalid phone '12': not a valid number"),
])
def test_a_test_without_a_usable_address_is_refused(db, monkeypatch, sent_jobs, channel, actor, to, message):
    world(monkeypatch)
    ref = draft(channel)
    with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
        tc.send_test(uow.session, actor, ref, to)
    assert str(refused.value) == message
    assert sent_jobs == []


def test_a_test_needs_a_real_contact_in_the_audience(db, monkeypatch, sent_jobs):
    configure(monkeypatch)
    with unit_of_work() as uow:
        create_contact(uow.session, first_name="Sam", phone="+15125550107", is_sample=True)
    ref = draft()
    with unit_of_work() as uow, pytest.raises(tc.CampaignError) as refused:
        tc.send_test(uow.session, MARKETER, ref, "+15125550199")
    assert str(refused.value) == "the audience is empty: a test needs one real contact to render with"
    assert sent_jobs == []


def test_a_test_is_no_campaign_send(db, monkeypatch, sent_jobs):
    world(monkeypatch)
    ref = draft()
    with unit_of_work() as uow:
        tc.send_test(uow.session, MARKETER, ref, "+15125550199")
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(MarketingActivity)) == 0
        assert uow.session.get(Campaign, ref).status == "draft"


def test_a_preview_on_a_channel_priced_per_message_prices_each_address(db, monkeypatch):
    from domain import channels as rules
    from integrations.transport import Codes
    from tools import channels

    monkeypatch.setitem(rules.RULES, "pigeon", rules.ChannelRule(
        "pigeon", "phone", rules.RULES["sms"].normalise, rules.RULES["sms"].valid, "loft"))
    monkeypatch.setitem(channels.REGISTRY, "pigeon", channels.Channel(
        "pigeon", lambda: None, lambda: 0.0, Codes(), send_one=lambda t, msg, key: "",
        price_micros=lambda address: 100 + int(address[-2:]) if address else 1))
    who = world(monkeypatch)
    ref = draft("pigeon", body_text=SMS, subject=None)
    with unit_of_work() as uow:
        p = tc.preview_campaign(uow.session, MARKETER, ref)
    # a real channel (no sandbox): sam, a sample contact, is left out; no quiet hours, no opt-out column
    assert (p.audience, p.eligible, p.excluded, p.deferred, p.segments) == (7, 5, {"no_address": 1, "sample": 1},
                                                                             0, None)
    assert p.estimated_cost_micros == 101 + 102 + 103 + 104 + 106  # ana, bart, cy, dee, fay
    assert [(s.contact_id, s.to, s.body, s.segments) for s in p.samples] == [
        (who["ana"], "+15125550101", text_for("Ana"), None),
        (who["bart"], "+15125550102", text_for("Bartholomew"), None),
        (who["cy"], "+15125550103", text_for("Cy"), None)]
