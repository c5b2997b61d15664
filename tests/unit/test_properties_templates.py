"""Template rendering, property-based (hypothesis): merge fields and fallbacks fill exactly what they name, text
inside contact data is never read as template syntax, and in HTML bodies no contact value (nor a fallback)
reaches the page unescaped."""

from __future__ import annotations

import html
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.campaigns import FIELDS, field_value, merge_fields, render, validate_template

FAST = settings(max_examples=150, deadline=None)
HOSTILE = ['<script>alert("x")</script>', "\"><img src=x onerror=alert(1)>", "' onmouseover='x", "&amp;", "&lt;b&gt;",
           "{email}", "{{first_name}}", "{attributes.plan|x}", "}{", "javascript:alert(1)", "\x00\x1b[31m", "\u202e"]
# Contact columns are text (or empty); attributes hold any JSON value.
VALUE = st.one_of(st.none(), st.sampled_from(HOSTILE), st.text(max_size=40),
                  st.text(st.sampled_from("<>&\"'{}| \n\tab"), max_size=20))
ATTR_VALUE = st.one_of(VALUE, st.integers(), st.floats(), st.booleans(), st.lists(st.sampled_from(HOSTILE), max_size=2))
ATTR_KEYS = st.sampled_from(["plan", "shoe_size", "a-b", "X_1"])
CONTACT = st.fixed_dictionaries(
    {}, optional={**{name: VALUE for name in FIELDS if name != "full_name"},
                  "attributes": st.dictionaries(ATTR_KEYS, ATTR_VALUE, max_size=4)})
NAMES = st.one_of(st.sampled_from([f for f in FIELDS]), ATTR_KEYS.map(lambda k: f"attributes.{k}"))
FALLBACK = st.one_of(st.none(), st.text(st.characters(blacklist_characters="{}"), max_size=20),
                     st.sampled_from(["there", "<b>friend</b>", "a&b", "\"q\"", "x|y"]))
# Literal template text that a template author writes: no braces (those are tokens), anything else.
LITERAL = st.text(st.characters(blacklist_characters="{}"), max_size=30)
SAFE_LITERAL = st.text(st.characters(blacklist_characters="{}<>&\"'"), max_size=30)


def _tokens(literal):
    """(template, [(kind, payload)]) built from literal chunks, merge fields with optional fallbacks and {{ }}."""
    part = st.one_of(
        literal.map(lambda t: (t, ("text", t))),
        st.tuples(NAMES, FALLBACK, st.sampled_from(["", " "])).map(
            lambda p: ("{" + p[2] + p[0] + p[2] + ("" if p[1] is None else "|" + p[1]) + "}", ("field", p[0], p[1]))),
        st.sampled_from([("{{", ("text", "{")), ("}}", ("text", "}"))]),
    )
    return st.lists(part, max_size=8).map(lambda parts: ("".join(p[0] for p in parts), [p[1] for p in parts]))


def reference_value(values, name):
    """What a merge field names, read without domain.campaigns: a contact column, the full name (first and last
    that are set, one space between), or attributes.<key>; None is empty; surrounding whitespace goes."""
    if name.startswith("attributes."):
        raw = (values.get("attributes") or {}).get(name[len("attributes."):])
    elif name == "full_name":
        raw = " ".join(part for part in (values.get("first_name"), values.get("last_name")) if part)
    else:
        raw = values.get(name)
    return "" if raw is None else str(raw).strip()


def reference_render(template, values, escape):
    """The reference renderer, a scanner (no regular expression): `{{` and `}}` are literal braces; `{name}` or
    `{name|fallback}` (no brace inside, no `|` in the name) is the field's value, else the fallback; HTML-escaped
    in HTML bodies except system fields (unsubscribe_url); any other brace stays as written."""
    out, i = [], 0
    while i < len(template):
        pair = template[i:i + 2]
        if pair in ("{{", "}}"):
            out.append(pair[0])
            i += 2
            continue
        if template[i] == "{":
            close = next((j for j in range(i + 1, len(template)) if template[j] in "{}"), None)
            if close is not None and template[close] == "}":
                name, bar, fallback = template[i + 1:close].partition("|")
                value = reference_value(values, name.strip()) or (fallback if bar else "")
                escaped = escape and name.strip() != "unsubscribe_url"
                out.append(html.escape(value, quote=True) if escaped else value)
                i = close + 1
                continue
        out.append(template[i])
        i += 1
    return "".join(out)


def _expected(parts, values, escape):
    out = []
    for part in parts:
        if part[0] == "text":
            out.append(part[1])
            continue
        _, name, fallback = part
        value = reference_value(values, name) or (fallback or "")
        out.append(html.escape(value, quote=True) if escape else value)
    return "".join(out)


@FAST
@given(_tokens(LITERAL), CONTACT, st.booleans())
@example(("Hi {first_name|there}!", [("text", "Hi "), ("field", "first_name", "there"), ("text", "!")]),
         {"first_name": "{email}", "email": "x@y.z"}, False)
def test_each_merge_field_is_filled_from_its_value_or_its_fallback_and_nothing_else(built, values, escape):
    template, parts = built
    assert render(template, values, html_escape=escape) == _expected(parts, values, escape)
    assert [f.name for f in merge_fields(template)] == [p[1] for p in parts if p[0] == "field"]
    assert validate_template(template) == []


@FAST
@given(st.text(max_size=80), CONTACT, st.booleans())
@example("{", {}, True)
@example("}{first_name|{}", {"first_name": "<b>"}, True)
@example("{attributes.}", {"attributes": {"": "x"}}, True)
def test_any_template_text_renders_as_the_reference_renderer_does(template, values, escape):
    assert render(template, values, html_escape=escape) == reference_render(template, values, escape)
    assert isinstance(validate_template(template), list)


BRACY = st.text(st.sampled_from("{}|ab .\n"), max_size=40).map(
    lambda t: t.replace("a", "first_name").replace("b", "attributes.plan"))


@FAST
@given(BRACY, CONTACT, st.booleans())
@example("{{first_name}}", {"first_name": "Ann"}, False)
@example("{first_name|{}}", {}, False)
@example("{ first_name |x}}", {"first_name": " "}, True)
@example("{unsubscribe_url}", {"unsubscribe_url": "https://x/u?a=1&b=2"}, True)
@example("{full_name|friend}", {"first_name": "", "last_name": "Doe"}, False)
def test_brace_heavy_templates_render_as_the_reference_renderer_does(template, values, escape):
    assert render(template, values, html_escape=escape) == reference_render(template, values, escape)


@FAST
@given(_tokens(SAFE_LITERAL), CONTACT)
@example(("Hi {first_name}{{", [("text", "Hi "), ("field", "first_name", None), ("text", "{")]),
         {"first_name": '<script>alert("x")</script>'})
@example(("{company|<b>&amp;</b>}", [("field", "company", "<b>&amp;</b>")]), {"company": " "})
def test_no_contact_value_or_fallback_reaches_an_html_body_unescaped(built, values):
    template, parts = built
    body = render(template, values, html_escape=True)
    # The template's own text has no markup characters here, so any in the output would come from the data.
    assert not set(body) & set("<>\"'")
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt|quot|#x27);)*", body, re.S)
    # And escaping is all that happened: the page reads exactly as the plain text version.
    assert html.unescape(body) == render(template, values)


@FAST
@given(st.sampled_from(HOSTILE), NAMES)
def test_template_syntax_inside_a_value_is_never_expanded(value, name):
    values = {"first_name": value, "email": "secret@example.com", "attributes": {"plan": value}}
    template = "{" + name + "}"
    expected = field_value(values, name)
    assert render(template, values) == expected
    assert render(template, values, html_escape=True) == html.escape(expected, quote=True)
