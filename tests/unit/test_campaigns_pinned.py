"""Campaign templates pinned where the mutation run (docs/testing.md) found them unpinned: the merge fields a template
names and their fallbacks, the problems' whole text, attribute keys with dots, the footers, unsubscribe tokens
(checked against a reference written here), and what A/B variants keep or refuse."""

import base64
import hashlib
import hmac

import pytest

from domain.campaigns import (
    MergeField,
    TemplateError,
    add_html_footer,
    html_footer,
    merge_fields,
    render,
    sign_token,
    validate_template,
    validate_variants,
    verify_token,
)

UNKNOWN = ("unknown merge field {%s}: use one of first_name, last_name, full_name, company, job_title, city, region, "
           "country, email, phone, website or attributes.<key>, with an optional |fallback")
UNBALANCED = "unbalanced brace: write {{ or }} for a literal brace"


def test_merge_fields_keep_their_fallbacks():
    assert merge_fields("Hi {first_name|there}, {{literal}} {attributes.plan}{ company |}") == [
        MergeField("first_name", "there"), MergeField("attributes.plan", None), MergeField("company", "")]
    assert merge_fields("") == [] and merge_fields(None) == []


def test_template_problems_are_written_out():
    assert validate_template("Hi {nope|x} }") == [UNKNOWN % "nope", UNBALANCED]
    assert validate_template("Hi {") == [UNBALANCED]
    assert validate_template("{{ {first_name} }}") == []
    assert validate_template(None) == []


def test_an_attribute_key_is_everything_after_the_first_dot():
    values = {"attributes": {"plan.tier": "gold", "plan": "basic", "tier": "x"}}
    assert render("{attributes.plan.tier}", values) == "gold"


def test_the_html_footer_escapes_the_address_and_the_link_with_its_quotes():
    assert html_footer("1 Main St\nAustin <TX>", 'https://x.example/u?a=1&b="2"') == (
        '<p style="font-size:12px;color:#666">1 Main St<br>Austin &lt;TX&gt;<br>'
        '<a href="https://x.example/u?a=1&amp;b=&quot;2&quot;">Unsubscribe</a></p>')


def test_the_footer_goes_before_the_last_closing_body_tag_in_any_case():
    assert add_html_footer("<body>a</body><!-- </body> -->x", "[F]") == "<body>a</body><!-- [F]</body> -->x"
    assert add_html_footer("</BODY>", "[F]") == "[F]</BODY>"
    assert add_html_footer("<p>no body</p>", "[F]") == "<p>no body</p>[F]"


def reference_token(secret: str, activity_id: int) -> str:
    payload = str(activity_id).encode()
    mac = hmac.new(secret.encode(), b"unsub:" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + b"." + mac).decode().rstrip("=")


# 7: its token ends in "X"; 29, 41: the MAC holds a "." byte; 12345: a token of 26 characters (two "=" stripped)
@pytest.mark.parametrize("activity_id", [1, 7, 29, 41, 1012, 12345, 123456])
def test_tokens_are_the_reference_ones_and_verify(activity_id):
    token = reference_token("secret", activity_id)
    assert sign_token("secret", activity_id) == token
    assert verify_token("secret", token) == activity_id
    assert verify_token("other", token) is None


def test_a_known_token():
    assert sign_token("secret", 42) == "NDIuonIjiimar1_U7YkEHfhPpA"
    assert sign_token("secret", 7).endswith("X")


def test_variants_are_kept_whole():
    assert validate_variants([
        {"name": " A ", "weight": 2, "subject": "Hi {first_name|there}", "body_text": "t", "body_html": "<p>h</p>",
         "other": "dropped"},
        {"name": "B", "body_text": "", "subject": 7},
    ]) == [
        {"name": "A", "weight": 2, "subject": "Hi {first_name|there}", "body_text": "t", "body_html": "<p>h</p>"},
        {"name": "B", "weight": 1, "subject": "7"},
    ]
    assert validate_variants(None) == [] and validate_variants([]) == []


@pytest.mark.parametrize(("variants", "message"), [
    ([{"name": "A"}, {"weight": 2}], "each variant needs a distinct name (got '')"),
    ([{"name": "A"}, {"name": " A"}], "each variant needs a distinct name (got 'A')"),
    ([{"name": "A"}, {"name": "B", "weight": 0}], "variant B: weight must be a positive whole number"),
    ([{"name": "A"}, {"name": "B", "weight": 1.5}], "variant B: weight must be a positive whole number"),
    ([{"name": "A", "body_html": "{nope} {"}, {"name": "B"}],
     "variant A body_html: " + UNKNOWN % "nope" + "; " + UNBALANCED),
    ([{"name": "A"}, {"name": "B", "subject": "{x}"}], "variant B subject: " + UNKNOWN % "x"),
    ([{"name": "A"}], "A/B needs at least two variants"),
])
def test_bad_variants_are_refused_saying_why(variants, message):
    with pytest.raises(TemplateError) as error:
        validate_variants(variants)
    assert str(error.value) == message
