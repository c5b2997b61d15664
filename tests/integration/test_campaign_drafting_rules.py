"""Drafting a campaign, stated with literal answers (tools/campaigns/drafting.py; issue 24, the mutation run's
survivors): who may draft; the exact refusal of each bad draft (no name, a name taken whatever its case, an unknown
channel, an empty body, an email without a subject, a bad merge field in the body, subject or HTML, a relative link,
bad send rules, variants or filter); the draft row written (every column); the view answered (SMS segments and
encoding, email tracking, the sandbox notice); the warnings said before anything is sent (UCS-2, more than two
segments, no postal address for a real email, images without alt text in the campaign or a variant)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from db.models import Campaign
from db.session import unit_of_work
from domain.roles import PermissionDenied
from integrations.sandbox import NOTICE
from tests.integration.campaign_support import MARKETER, REVIEWER, configure
from tools.campaigns import drafting
from tools.campaigns.lookup import CampaignError

EMAIL = {"subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here."}
NO_ALT = "1 image without alt text: say what each shows ![like this](url)"
RULES = {"cap_24h": 1, "cap_7d": 3, "quiet_start": "08:00", "quiet_end": "21:00", "stop_on_reply": True,
         "stop_since": None, "local_window": False}


def draft(channel: str = "sms", name: str = "Spring", actor=MARKETER, **kw) -> drafting.CampaignView:
    args = {"body_text": "Hi {first_name|there}, 20% off."} if channel == "sms" else EMAIL
    with unit_of_work() as uow:
        return drafting.draft_campaign(uow.session, actor, name=name, channel=channel, **({"filter": None} | args | kw))


def refusal(**kw) -> str:
    with pytest.raises(CampaignError) as refused:
        draft(**kw)
    return str(refused.value)


def stored(campaign_id: int) -> dict:
    with unit_of_work() as uow:
        c = uow.session.get(Campaign, campaign_id)
        at = c.schedule_at.replace(tzinfo=UTC) if c.schedule_at and c.schedule_at.tzinfo is None else c.schedule_at
        return {"name": c.name, "channel": c.channel, "status": c.status, "target_filter": c.target_filter,
                "subject": c.subject, "body_text": c.body_text, "body_html": c.body_html, "variants": c.variants,
                "send_rules": c.send_rules, "schedule_at": at, "stats": c.stats, "created_by": c.created_by,
                "track_opens": c.track_opens, "track_links": c.track_links}


def count() -> int:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(Campaign))


@pytest.fixture(autouse=True)
def _settings(db, monkeypatch):
    configure(monkeypatch)


def test_a_reviewer_may_not_draft():
    with pytest.raises(PermissionDenied) as refused:
        draft(actor=REVIEWER)
    assert str(refused.value) == ("your role (reviewer) does not allow to draft campaigns: it needs the 'campaigns' "
                                  "permission")
    assert count() == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"name": "   "}, "a campaign needs a name"),
    ({"name": None}, "a campaign needs a name"),
    ({"channel": "fax"}, "channel must be sms or email (got 'fax')"),
    ({"body_text": " \n "}, "the message body is empty"),
    ({"body_text": None}, "the message body is empty"),
    ({"body_text": "Hi {firstname}"}, "body: unknown merge field {firstname}: use one of first_name, last_name, "
     "full_name, company, job_title, city, region, country, email, phone, website or attributes.<key>, with an "
     "optional |fallback"),
    ({"body_text": "Hi {first_name} }"}, "body: unbalanced brace: write {{ or }} for a literal brace"),
    ({"body_text": "Shop [now](https://acme.test){.button}"}, "body: unknown merge field {.button}: use one of "
     "first_name, last_name, full_name, company, job_title, city, region, country, email, phone, website or "
     "attributes.<key>, with an optional |fallback"),  # a button is an email's (its Markdown), not an SMS's
    ({"send_rules": {"quiet_start": "06:00"}},
     "SMS hours must lie within 08:00-21:00 local time (stricter is allowed, looser is not)"),
    ({"variants": [{"name": "A"}]}, "A/B needs at least two variants"),
    ({"filter": {"field": "nope", "op": "eq", "value": 1}}, "unknown field 'nope'; fields: booked, city, company, "
     "contacted, contacted_in_campaign, country, created_at, domain, email, email_status, emailed, "
     "enrichment_status, first_name, id, is_sample, job_title, last_name, name, opted_out, opted_out_email, "
     "opted_out_email_at, opted_out_sms, opted_out_sms_at, phone, postal_code, region, replied, source, tags, texted, "
     "timezone, updated_at, website, attributes.<key>"),
])
def test_a_bad_sms_draft_is_refused_with_what_to_fix(change, message):
    assert refusal(**change) == message  # the domain's own messages are passed on whole as a CampaignError
    assert count() == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"subject": None}, "an email campaign needs a subject"),
    ({"subject": "  "}, "an email campaign needs a subject"),
    ({"subject": "Hi {nope}"}, "subject: unknown merge field {nope}: use one of first_name, last_name, full_name, "
     "company, job_title, city, region, country, email, phone, website or attributes.<key>, with an optional "
     "|fallback"),
    ({"body_html": "<p>{nope}</p>"}, "HTML body: unknown merge field {nope}: use one of first_name, last_name, "
     "full_name, company, job_title, city, region, country, email, phone, website or attributes.<key>, with an "
     "optional |fallback"),
    ({"body_text": "See [our shop](/shop)"}, "body: links must be absolute (https://..., mailto:...): /shop"),
    ({"body_text": "See [a](/a) and [b](/b)"}, "body: links must be absolute (https://..., mailto:...): /a, /b"),
    ({"body_html": '<p><a href="/shop">Shop</a></p>'},
     "body: links must be absolute (https://..., mailto:...): /shop"),  # the HTML body is what is sent
    ({"body_text": "Hi {a} {b}"}, "body: unknown merge field {a}: use one of first_name, last_name, full_name, "
     "company, job_title, city, region, country, email, phone, website or attributes.<key>, with an optional "
     "|fallback; unknown merge field {b}: use one of first_name, last_name, full_name, company, job_title, city, "
     "region, country, email, phone, website or attributes.<key>, with an optional |fallback"),
])
def test_a_bad_email_draft_is_refused_with_what_to_fix(change, message):
    assert refusal(channel="email", **change) == message
    assert count() == 0


def test_an_email_may_mark_a_link_as_a_button():
    assert draft("email", body_text="Shop [now](https://acme.test){.button}").warnings == []


def test_a_name_is_taken_whatever_its_case_and_stripped():
    draft(name="  Spring Sale ")
    assert refusal(name="spring sale") == "a campaign named 'spring sale' already exists: choose another name"
    assert refusal(name=" SPRING SALE") == "a campaign named 'SPRING SALE' already exists: choose another name"
    assert count() == 1


def test_an_sms_draft_is_stored_as_given_with_the_default_rules():
    view = draft(name=" Spring ")
    assert stored(view.id) == {"name": "Spring", "channel": "sms", "status": "draft", "target_filter": {},
                               "subject": None, "body_text": "Hi {first_name|there}, 20% off.", "body_html": None,
                               "variants": [], "send_rules": RULES, "schedule_at": None, "stats": {},
                               "created_by": "marketer@example.com", "track_opens": None, "track_links": None}
    assert view == drafting.CampaignView(view.id, "Spring", "sms", "draft", None, "Hi {first_name|there}, 20% off.",
                                         None, {}, RULES, [], 1, "GSM-7", [], NOTICE, {})


def test_an_email_draft_keeps_its_filter_rules_variants_schedule_and_tracking():
    at = datetime(2026, 7, 1, 17, 0, tzinfo=UTC)
    variants = [{"name": "A", "weight": 2, "subject": "A {first_name|}"},
                {"name": "B", "weight": 1, "subject": "B {first_name|}"}]
    view = draft("email", filter={"field": "city", "op": "eq", "value": "Austin"}, body_html="<p>Hi</p>",
                 send_rules={"cap_24h": 2, "local_window": True}, variants=variants, schedule_at=at,
                 track_opens=False, track_links=True)
    got = stored(view.id)
    assert got == {"name": "Spring", "channel": "email", "status": "draft",
                   "target_filter": {"field": "city", "op": "eq", "value": "Austin"},
                   "subject": EMAIL["subject"], "body_text": EMAIL["body_text"], "body_html": "<p>Hi</p>",
                   "variants": got["variants"], "send_rules": RULES | {"cap_24h": 2, "local_window": True},
                   "schedule_at": at, "stats": {}, "created_by": "marketer@example.com", "track_opens": False,
                   "track_links": True}
    assert [(v["name"], v["weight"], v["subject"]) for v in got["variants"]] == [("A", 2, "A {first_name|}"),
                                                                                 ("B", 1, "B {first_name|}")]
    assert (view.sms_segments, view.sms_encoding, view.tracking, view.notice, view.warnings) == (
        None, None, {"track_opens": False, "track_links": True}, NOTICE, [])
    assert view.filter == {"field": "city", "op": "eq", "value": "Austin"} and view.variants == got["variants"]
    assert (view.name, view.channel, view.status, view.subject, view.body_text, view.body_html, view.send_rules) == (
        "Spring", "email", "draft", EMAIL["subject"], EMAIL["body_text"], "<p>Hi</p>",
        RULES | {"cap_24h": 2, "local_window": True})


def test_an_email_drafts_tracking_defaults_to_the_accounts(monkeypatch):
    configure(monkeypatch, MKT_EMAIL_TRACKING_DEFAULT="false")
    assert draft("email").tracking == {"track_opens": False, "track_links": False}


def test_an_sms_in_ucs2_is_warned_with_the_characters_that_cause_it():
    view = draft(body_text="Olá {first_name|amigo} ✓ ✓")
    assert (view.sms_segments, view.sms_encoding) == (1, "UCS-2")
    assert view.warnings == ["UCS-2 encoding (70 characters per segment) because of: á✓"]


def test_an_sms_over_two_segments_is_warned_and_two_are_not():
    assert draft(body_text="x" * 306).warnings == []  # exactly two GSM-7 segments (153 each)
    view = draft(name="Long", body_text="x" * 307)
    assert (view.sms_segments, view.warnings) == (3, ["3 segments before merge fields: consider a shorter text"])


def test_a_real_email_without_a_postal_address_is_warned(monkeypatch):
    configure(monkeypatch, MKT_SENDER_POSTAL_ADDRESS="", POSTMARK_SERVER_TOKEN="a-real-token")
    assert drafting.postal_missing("email") is True and drafting.postal_missing("sms") is False
    view = draft("email")
    assert (view.warnings, view.notice) == ([drafting.POSTAL_MISSING], None)
    assert draft("sms", name="Texts").warnings == []


@pytest.mark.parametrize(("env", "missing"), [
    ({"MKT_SENDER_POSTAL_ADDRESS": ""}, False),  # sandbox: nothing leaves the building
    ({"POSTMARK_SERVER_TOKEN": "a-real-token"}, False),  # the address is set
    ({"MKT_SENDER_POSTAL_ADDRESS": "", "POSTMARK_SERVER_TOKEN": "a-real-token"}, True),
])
def test_the_postal_address_is_missing_only_for_a_real_email(monkeypatch, env, missing):
    configure(monkeypatch, **env)
    assert drafting.postal_missing("email") is missing
    assert drafting.postal_missing("sms") is False


def test_images_without_alt_text_are_warned_once_for_the_campaign_and_its_variants():
    image = "![](https://acme.test/a.png)"
    assert draft("email", body_text=f"Hi {image}").warnings == [NO_ALT]
    variants = [{"name": "A", "weight": 1, "body_text": f"A {image}"}, {"name": "B", "weight": 1, "body_text": "B"}]
    assert draft("email", name="Variant", variants=variants).warnings == [NO_ALT]
    assert draft("email", name="Both", body_text=f"Hi {image}", variants=variants).warnings == [NO_ALT]
    assert draft("email", name="Clean", variants=[{"name": "A", "weight": 1, "body_text": "A"},
                                                  {"name": "B", "weight": 1, "body_text": "B"}]).warnings == []


def test_a_variants_html_and_subject_are_checked_for_warnings():
    image = '<img src="https://acme.test/a.png">'
    variants = [{"name": "A", "weight": 1, "body_html": f"<p>A {image}</p>"},
                {"name": "B", "weight": 1, "subject": "B"}]
    assert draft("email", variants=variants).warnings == [NO_ALT]


def test_email_warnings_are_none_for_an_sms():
    view = draft(body_text="See ![](https://acme.test/a.png)")
    with unit_of_work() as uow:
        assert drafting.email_warnings(uow.session.get(Campaign, view.id)) == []


def test_the_subject_counts_toward_gmails_clip_in_the_campaign_and_its_variants():
    from domain.email_render import GMAIL_CLIP_BYTES
    from tools.campaigns.messages import compiled_email

    untitled = compiled_email("x", "", None).size  # the layout around one character, without a title
    body = "x" * (GMAIL_CLIP_BYTES - untitled - 9)  # 10 bytes under the clip without a title
    assert compiled_email(body, "", None).size == GMAIL_CLIP_BYTES - 10
    clipped = ["the HTML is 102 KB: Gmail clips emails over 102 KB (shorten it)"]
    assert draft("email", subject="S" * 9, body_text=body).warnings == []  # one byte under
    assert draft("email", name="Long", subject="S" * 11, body_text=body).warnings == clipped  # one byte over
    variants = [{"name": "A", "weight": 1, "subject": "S" * 11}, {"name": "B", "weight": 1}]
    assert draft("email", name="Variant", subject="S", body_text=body, variants=variants).warnings == clipped
    variants = [{"name": "A", "weight": 1, "body_text": body}, {"name": "B", "weight": 1}]
    assert draft("email", name="Own", subject="S" * 11, variants=variants).warnings == clipped  # the campaign's
