"""Templates: merge fields with fallbacks, HTML escaping, footer, unsubscribe tokens, A/B split."""

import pytest

from domain.campaigns import (
    TemplateError,
    add_html_footer,
    html_footer,
    pick_variant,
    render,
    sign_token,
    validate_template,
    validate_variants,
    verify_token,
)


def test_merge_fields_fill_and_fallbacks_cover_empty_values():
    tpl = "Hi {first_name|there}, news for {company|your team}!"
    assert render(tpl, {"first_name": "Ana", "company": "Acme"}) == "Hi Ana, news for Acme!"
    assert render(tpl, {"first_name": "  ", "company": None}) == "Hi there, news for your team!"
    assert render("{first_name}!", {}) == "!"


def test_attributes_full_name_and_literal_braces():
    assert render("{attributes.plan|free} {full_name} {{x}}", {"attributes": {"plan": "pro"}, "first_name": "A",
                                                               "last_name": "B"}) == "pro A B {x}"


def test_values_are_html_escaped_in_html_bodies_only():
    values = {"first_name": '<script>alert("x")</script>'}
    assert "<script>" not in render("<p>Hi {first_name}</p>", values, html_escape=True)
    assert "&lt;script&gt;" in render("<p>Hi {first_name}</p>", values, html_escape=True)
    assert render("Hi {first_name}", values) == 'Hi <script>alert("x")</script>'
    assert render("<a href='{unsubscribe_url}'>", {"unsubscribe_url": "https://x/u/a&b"}, html_escape=True) \
        == "<a href='https://x/u/a&b'>"


def test_unknown_fields_and_stray_braces_are_reported():
    assert validate_template("Hi {first_name|there}") == []
    problems = validate_template("Hi {firstname} {")
    assert any("firstname" in p for p in problems) and any("brace" in p for p in problems)


def test_footer_goes_before_the_closing_body_tag_and_escapes_the_address():
    footer = html_footer("1 Main St <Suite 2>\nAustin", "https://x.test/unsubscribe/abc")
    body = add_html_footer("<html><body><p>Hi</p></body></html>", footer)
    assert body.index("Unsubscribe") < body.index("</body>")
    assert "&lt;Suite 2&gt;<br>Austin" in body
    assert add_html_footer("<p>Hi</p>", footer).endswith(footer)


def test_unsubscribe_tokens_verify_and_reject_tampering():
    token = sign_token("s3cret", 42)
    assert verify_token("s3cret", token) == 42
    assert verify_token("other", token) is None
    forged = sign_token("s3cret", 43)
    assert verify_token("s3cret", forged[:-2] + token[-2:]) is None
    assert verify_token("s3cret", "garbage!!") is None


def test_variants_are_validated_and_split_stably_by_weight():
    variants = validate_variants([{"name": "A", "weight": 1, "subject": "Hi {first_name|}"},
                                  {"name": "B", "weight": 3, "subject": "Hello"}])
    picks = [pick_variant(variants, 7, cid)["name"] for cid in range(4000)]
    assert picks.count("A") == 1023  # weight 1 of 4: about a quarter, and always this quarter
    # the answer, stated: sha256("campaign:contact"), first 8 bytes big-endian, modulo the total weight 4;
    # a point below 1 is A, else B (so the split is stable per contact and differs between campaigns)
    assert "".join(picks[:12]) == "BBABBBBBBAAA"
    assert "".join(pick_variant(variants, 8, cid)["name"] for cid in range(12)) == "BABBBBABBBBA"
    assert pick_variant(variants, 7, 123)["name"] == "B" and pick_variant([], 7, 123) is None
    equal = validate_variants([{"name": "A"}, {"name": "B"}, {"name": "C", "weight": 2}])
    assert "".join(pick_variant(equal, 7, cid)["name"] for cid in range(12)) == "CCACCCCCBAAA"
    with pytest.raises(TemplateError):
        validate_variants([{"name": "A"}])
    with pytest.raises(TemplateError):
        validate_variants([{"name": "A", "weight": 0}, {"name": "B"}])
    with pytest.raises(TemplateError):
        validate_variants([{"name": "A", "body_text": "{nope}"}, {"name": "B"}])
