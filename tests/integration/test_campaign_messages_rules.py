"""The message a contact gets, stated with literal answers (tools/campaigns/messages.py; issue 24, the mutation run's
survivors): an SMS with the STOP notice, its segments and its price per segment (by the number's country); an email
with its subject, text twin, footer (the postal address, else the sandbox placeholder, else nothing), the signed
one-click unsubscribe link (a placeholder in previews), the chosen A/B variant and the open/link tracking in force;
the merge-field values of a contact; the brand in force; the unsubscribe secret (from the settings, else generated
once under var/).

Rendering reads no table: the campaign and the contact are real ORM objects that are never saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from db.models import Campaign, Contact
from domain import campaigns as tpl
from domain.email_render import Brand
from settings import get_settings
from tests.integration.campaign_support import POSTAL, configure
from tools.campaigns import messages as m
from tools.channels import Outgoing

LINK_42 = "https://mkt.test/unsubscribe/NDIuvKR2sr0_GxSqngGSImhHIQ"  # activity 42 signed with "unsub-secret"
PREVIEW = "https://mkt.test/unsubscribe/PREVIEW"
FOOTER = "\n\n--\n{postal}\nUnsubscribe: {link}\n"
VARIANTS = [{"name": "A", "weight": 1, "subject": "A for {first_name|you}", "body_text": "A body {city|}"},
            {"name": "B", "weight": 1, "subject": "B for {first_name|you}", "body_text": "B body {city|}"}]


def ana(**kw) -> Contact:
    return Contact(**({"id": 11, "first_name": "Ana", "email": "ana@example.com", "phone": "+15125550101",
                       "city": "Austin"} | kw))


def email(**kw) -> Campaign:
    return Campaign(**({"id": 7, "name": "Spring", "channel": "email", "subject": "News for {first_name|you}",
                        "body_text": "Hi {first_name|there}, spring is here.", "body_html": None, "variants": [],
                        "track_opens": None, "track_links": None} | kw))


def sms_campaign(body: str = "Hi {first_name|there}, 20% off.", **kw) -> Campaign:
    return Campaign(**({"id": 8, "name": "Texts", "channel": "sms", "body_text": body, "variants": []} | kw))


@pytest.fixture(autouse=True)
def _settings(monkeypatch):
    configure(monkeypatch, MKT_PUBLIC_URL="https://mkt.test/")  # the trailing slash is dropped from links


# --- SMS -------------------------------------------------------------------------------------------------------------

def test_an_sms_carries_the_stop_notice_its_segments_and_its_price():
    assert m.render_message(sms_campaign(), ana(), activity_id=5) == Outgoing(
        5, 11, "+15125550101", text="Hi Ana, 20% off.\nReply STOP to opt out.", segments=1, cost_micros=8000)


def test_a_two_segment_sms_costs_two_segments_in_the_numbers_country(monkeypatch):
    configure(monkeypatch, MKT_SMS_PRICES_BY_COUNTRY='{"GB": 40000}')
    bo = Contact(id=12, first_name="Bo", phone="+447400123456")
    out = m.render_message(sms_campaign("x" * 160), bo, activity_id=None)
    assert out == Outgoing(0, 12, "+447400123456", text="x" * 160 + "\nReply STOP to opt out.", segments=2,
                           cost_micros=80000)


def test_an_sms_goes_to_the_address_given_and_keeps_a_stop_the_text_already_says():
    out = m.render_message(sms_campaign("Sale today, reply stop to end  "), ana(), activity_id=None, to="+15125550199")
    assert (out.to, out.text, out.segments) == ("+15125550199", "Sale today, reply stop to end  ", 1)


def test_an_sms_without_a_phone_has_no_address():
    assert m.render_message(sms_campaign(), ana(phone=None), activity_id=1).to == ""


def test_an_sms_variant_is_chosen_by_name_and_an_unknown_one_is_the_campaigns_own_text():
    campaign = sms_campaign(variants=VARIANTS)
    assert m.render_message(campaign, ana(), activity_id=1, variant="B").text == "B body Austin\nReply STOP to opt out."
    assert m.render_message(campaign, ana(), activity_id=1, variant="C").text == \
        "Hi Ana, 20% off.\nReply STOP to opt out."


@pytest.mark.parametrize(("text", "sent"), [
    ("Hi", "Hi\nReply STOP to opt out."),
    ("Hi  \n", "Hi\nReply STOP to opt out."),
    ("", "Reply STOP to opt out."),
    # the text already says how to opt out: kept as written
    ("Reply Stop to end", "Reply Stop to end"),
    ("20% off. Text STOP to quit", "20% off. Text STOP to quit"),
    ("Roof check? Reply YES, or reply “STOP”.", "Roof check? Reply YES, or reply “STOP”."),
    ("Txt stopall 2 end", "Txt stopall 2 end"),
    ("STOP to opt out", "STOP to opt out"),
    ("Deals! Stop to unsubscribe", "Deals! Stop to unsubscribe"),
    # the letters, or the word used otherwise, tell nobody how to opt out: the notice is added (a compliance rule)
    ("NONSTOP deals", "NONSTOP deals\nReply STOP to opt out."),
    ("Your one-stop roofing shop", "Your one-stop roofing shop\nReply STOP to opt out."),
    ("Stop by our store to see the new panels", "Stop by our store to see the new panels\nReply STOP to opt out."),
    ("Don't stop now: 20% off", "Don't stop now: 20% off\nReply STOP to opt out."),
    ("Unstoppable deals", "Unstoppable deals\nReply STOP to opt out."),
])
def test_the_stop_notice_is_added_unless_the_text_says_how_to_stop(text, sent):
    assert m.with_stop_notice(text) == sent


# --- email -----------------------------------------------------------------------------------------------------------

def test_an_email_has_its_subject_text_twin_footer_link_and_price():
    out = m.render_message(email(), ana(), activity_id=42)
    text = "Hi Ana, spring is here." + FOOTER.format(postal=POSTAL, link=LINK_42)
    assert (out.activity_id, out.contact_id, out.to, out.subject, out.text, out.unsubscribe_url, out.segments,
            out.cost_micros) == (42, 11, "ana@example.com", "News for Ana", text, LINK_42, None, 1800)
    assert "Hi Ana, spring is here." in out.html and LINK_42 in out.html and "1 Main St" in out.html


def test_a_preview_email_has_the_placeholder_link_and_goes_where_it_is_told():
    out = m.render_message(email(), ana(), activity_id=None, to="me@marketer.com")
    assert (out.activity_id, out.to, out.unsubscribe_url) == (0, "me@marketer.com", PREVIEW)
    assert out.text.endswith(f"Unsubscribe: {PREVIEW}\n") and PREVIEW in out.html


def test_an_email_variant_brings_its_own_subject_and_body():
    campaign = email(variants=VARIANTS)
    out = m.render_message(campaign, ana(), activity_id=42, variant="B")
    assert (out.subject, out.text) == ("B for Ana", "B body Austin" + FOOTER.format(postal=POSTAL, link=LINK_42))
    plain = m.render_message(campaign, ana(), activity_id=42, variant=None)
    assert (plain.subject, plain.text.split("\n")[0]) == ("News for Ana", "Hi Ana, spring is here.")


def test_an_email_without_a_subject_has_an_empty_one():
    assert m.render_message(email(subject=None), ana(), activity_id=1).subject == ""


def test_the_html_body_replaces_the_markdown_in_the_html_only():
    out = m.render_message(email(body_text="Markdown {first_name|there}", body_html="<p>HTML for {first_name|x}</p>"),
                           ana(), activity_id=42)
    assert "HTML for Ana" in out.html and "Markdown" not in out.html
    assert out.text == "Markdown Ana" + FOOTER.format(postal=POSTAL, link=LINK_42)


def test_a_variants_html_body_is_used_for_that_variant():
    campaign = email(body_html="<p>Main HTML</p>", variants=[VARIANTS[0], VARIANTS[1] | {"body_html": "<p>B HTML</p>"}])
    assert "B HTML" in m.render_message(campaign, ana(), activity_id=1, variant="B").html
    assert "Main HTML" in m.render_message(campaign, ana(), activity_id=1, variant="A").html


def test_the_footer_carries_the_sandbox_placeholder_without_a_postal_address(monkeypatch):
    configure(monkeypatch, MKT_SENDER_POSTAL_ADDRESS="")
    out = m.render_message(email(), ana(), activity_id=42)
    assert out.text == "Hi Ana, spring is here." + FOOTER.format(postal=m.SANDBOX_POSTAL, link=LINK_42)
    assert m.SANDBOX_POSTAL in out.html


def test_a_real_email_without_a_postal_address_has_an_empty_footer_line(monkeypatch):
    configure(monkeypatch, MKT_SENDER_POSTAL_ADDRESS="", POSTMARK_SERVER_TOKEN="a-real-token")
    out = m.render_message(email(), ana(), activity_id=42)
    assert out.text == "Hi Ana, spring is here." + FOOTER.format(postal="", link=LINK_42)
    assert "your postal address goes here" not in out.html


@pytest.mark.parametrize(("default", "opens", "links", "expected"), [
    ("true", None, None, (True, True)),
    ("false", None, None, (False, False)),
    ("false", True, None, (True, False)),
    ("false", None, True, (False, True)),
    ("true", False, None, (False, True)),
    ("true", None, False, (True, False)),
])
def test_tracking_is_the_campaigns_else_the_accounts_default(monkeypatch, default, opens, links, expected):
    configure(monkeypatch, MKT_EMAIL_TRACKING_DEFAULT=default)
    campaign = email(track_opens=opens, track_links=links)
    assert m.tracking(campaign) == {"track_opens": expected[0], "track_links": expected[1]}
    out = m.render_message(campaign, ana(), activity_id=1)
    assert (out.track_opens, out.track_links) == expected


# --- values, links, secret, brand, compiling -------------------------------------------------------------------------

def test_a_contacts_merge_values_are_its_fields_and_attributes():
    assert m.contact_values(ana()) == {
        "first_name": "Ana", "last_name": None, "company": None, "job_title": None, "city": "Austin", "region": None,
        "country": None, "email": "ana@example.com", "phone": "+15125550101", "website": None, "attributes": {}}
    assert m.contact_values(ana(attributes={"plan": "gold"}))["attributes"] == {"plan": "gold"}


@pytest.mark.parametrize(("activity_id", "url"), [(42, LINK_42), (None, PREVIEW), (0, PREVIEW)])
def test_the_unsubscribe_link_is_signed_per_activity(activity_id, url):
    assert m.unsubscribe_url(activity_id) == url


def test_the_unsubscribe_link_keeps_the_public_urls_path(monkeypatch):
    configure(monkeypatch, MKT_PUBLIC_URL="https://acme.test/mktX/")
    assert m.unsubscribe_url(None) == "https://acme.test/mktX/unsubscribe/PREVIEW"


def test_the_unsubscribe_secret_comes_from_the_settings():
    assert m.unsubscribe_secret() == "unsub-secret"


def test_without_one_the_unsubscribe_secret_is_generated_once_under_var(monkeypatch, tmp_path):
    configure(monkeypatch, MKT_UNSUBSCRIBE_SECRET="", MKT_VAR_DIR=str(tmp_path))  # a var/ without the file yet
    secret = m.unsubscribe_secret()
    assert len(secret) == 43 and secret.isascii()  # token_urlsafe(32): 32 random bytes, URL-safe base64
    assert (Path(get_settings().var_dir) / "unsubscribe_secret").read_text() == secret
    assert m.unsubscribe_secret() == secret
    assert m.unsubscribe_url(42) == f"https://mkt.test/unsubscribe/{tpl.sign_token(secret, 42)}"


def test_the_brand_is_the_settings_else_the_senders_name(monkeypatch):
    configure(monkeypatch, MKT_EMAIL_FROM="Acme Deals <deals@acme.test>")
    assert m.current_brand() == Brand("Acme Deals", None, "#2563eb", POSTAL)
    configure(monkeypatch, MKT_BRAND_NAME="Acme", MKT_BRAND_LOGO_URL="https://acme.test/logo.png",
              MKT_BRAND_ACCENT_COLOR="#ff0000")
    assert m.current_brand() == Brand("Acme", "https://acme.test/logo.png", "#ff0000", POSTAL)


def test_the_brands_postal_address_is_the_placeholder_only_in_the_sandbox(monkeypatch):
    configure(monkeypatch, MKT_SENDER_POSTAL_ADDRESS="")
    assert m.current_brand().postal_address == m.SANDBOX_POSTAL
    configure(monkeypatch, MKT_SENDER_POSTAL_ADDRESS="", POSTMARK_SERVER_TOKEN="a-real-token")
    assert m.current_brand().postal_address == ""


def test_compiling_reads_missing_parts_as_empty():
    empty = m.compiled_email("", "", None)
    assert (empty.text, empty.problems, empty.warnings) == ("", (), ())
    plain = m.compiled_email("Hi", "Subj", "")  # an empty HTML body is none: the Markdown is the HTML
    page = "".join(p for p in plain.pieces if isinstance(p, str))
    assert plain.text == "Hi" and "<title>Subj</title>" in page and ">Hi<" in page
    untitled = "".join(p for p in m.compiled_email("Hi", None, None).pieces if isinstance(p, str))
    assert "<title></title>" in untitled


def test_the_emails_html_title_is_its_rendered_subject():
    assert "<title>News for Ana</title>" in m.render_message(email(), ana(), activity_id=1).html
    variant = m.render_message(email(variants=VARIANTS), ana(), activity_id=1, variant="A").html
    assert "<title>A for Ana</title>" in variant


def test_a_text_channel_priced_per_message_costs_one_price_whatever_the_length(monkeypatch):
    from domain import channels as rules
    from integrations.transport import Codes
    from tools import channels

    monkeypatch.setitem(rules.RULES, "pigeon", rules.ChannelRule(
        "pigeon", "phone", rules.RULES["sms"].normalise, rules.RULES["sms"].valid, "loft"))
    monkeypatch.setitem(channels.REGISTRY, "pigeon", channels.Channel(
        "pigeon", lambda: None, lambda: 0.0, Codes(), send_one=lambda t, msg, key: "", price_micros=lambda a: 50))
    out = m.render_message(sms_campaign("y" * 200, channel="pigeon"), ana(), activity_id=3)
    assert out == Outgoing(3, 11, "+15125550101", text="y" * 200 + "\nReply STOP to opt out.", segments=None,
                           cost_micros=50)
