"""One email filled for one contact (domain/email_render.py), the answers written out: merge values escaped with
their quotes wherever they land (text, a link's query, a whole link), missing values empty, literal braces,
the footer's address lines, the title, the text twin's footer and the Gmail clipping warning."""

from __future__ import annotations

import re

from domain.email_render import Brand, compile_email, fill, fill_text, template_source


def test_a_value_is_escaped_with_its_quotes_wherever_it_lands():
    compiled = compile_email('Hi {first_name}! [site]({website}) [go](https://acme.com/p?ref={company})', Brand())
    page = fill(compiled, {"first_name": 'Jo "J" <b>', "website": 'https://jo.com/"onmouseover="x',
                           "company": 'a/b "c"'})
    assert "Hi Jo &quot;J&quot; &lt;b&gt;!" in page
    assert 'href="https://jo.com/&quot;onmouseover=&quot;x"' in page  # cannot leave the attribute
    assert 'href="https://acme.com/p?ref=a%2Fb%20%22c%22"' in page  # a query part: every reserved character encoded


def test_missing_values_literal_braces_title_and_footer():
    compiled = compile_email("Hi {first_name}! Use {{code}} here", Brand(postal_address="1 Main St\nAustin"),
                             subject="Hello {first_name}")
    page = fill(compiled, {})
    assert "Hi !" in page and "Use {code} here" in page and "XXXX" not in page
    assert "1 Main St<br>Austin<br>" in page
    assert re.findall(r"<title>.*?</title>", fill(compiled, {"first_name": "Jane"})) == ["<title>Hello Jane</title>"]
    assert re.findall(r"<title>.*?</title>", fill(compile_email("x", Brand()), {})) == ["<title></title>"]
    assert fill_text(compiled, {}) == "Hi ! Use {code} here\n\n--\n\nUnsubscribe: \n"


def test_an_empty_body_and_the_button_marks_removed_from_the_template():
    assert "XXXX" not in fill(compile_email("", Brand()), {})
    assert template_source("") == ""
    assert template_source("[Book](https://acme.com){.button} now") == "[Book](https://acme.com) now"


def test_an_email_gmail_would_clip_is_warned_with_its_size():
    compiled = compile_email("word " * 30_000, Brand())
    assert compiled.size > 102 * 1024
    assert compiled.warnings == (f"the HTML is {compiled.size // 1024} KB: Gmail clips emails over 102 KB "
                                 "(shorten it)",)
