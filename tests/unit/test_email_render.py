"""domain/email_render: Markdown -> client-safe HTML email in the brand, and its text twin from the same source."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from domain import campaigns as tpl
from domain.email_render import Brand, compile_email, fill, fill_text, template_source

BRAND = Brand("Acme Roofing", "https://acme.example/logo.png", "#e11d48", "1 Main St\nAustin, TX 78701")
SOURCE = """# Spring offer for {company|your team}

Hi **{first_name|there}**, storms are coming & roofs suffer.

- free inspection
- 20% off repairs

![Crew on a roof](https://acme.example/crew.jpg)

[Book a call](https://cal.example/acme?who={email}){.button}

See [our site]({website|https://acme.example})."""
VALUES = {"first_name": "Ann", "company": "Ann's Roofs", "email": "ann+x@ex.example", "website": "https://ann.example",
          "unsubscribe_url": "https://app.example/unsubscribe/TOKEN", "postal_address": "1 Main St"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_structure_client_safe_in_the_brand():
    page = fill(compile_email(SOURCE, BRAND, subject="Hi {first_name|there}"), VALUES)
    found = tags(page)
    names = [t for t, _ in found]
    assert "script" not in names and "<script" not in page.lower()
    assert names.count("table") >= 2 and all(a.get("role") == "presentation" for t, a in found if t == "table")
    styled = [t for t, a in found if a.get("style")]
    for tag in ("h1", "p", "ul", "a", "td", "img", "body"):
        assert tag in styled, f"{tag} has no inlined style"
    links = [a["href"] for t, a in found if t == "a"]
    assert links and all(re.match(r"^(https?://|mailto:)", h or "") for h in links)
    assert "https://app.example/unsubscribe/TOKEN" in links
    assert "1 Main St<br>Austin, TX 78701" in page
    assert any(t == "img" and a.get("src") == BRAND.logo_url and a.get("alt") == "Acme Roofing" for t, a in found)
    assert "#e11d48" in page and "@media only screen" in page  # accent colour; phone rules kept
    button = next(a for t, a in found if t == "a" and a.get("class") == "button")
    assert button["href"] == "https://cal.example/acme?who=ann%2Bx%40ex.example" and "#e11d48" in button["style"]


def test_text_twin_is_the_source_with_values():
    compiled = compile_email(SOURCE, BRAND)
    text = fill_text(compiled, VALUES)
    expected = tpl.render(template_source(SOURCE), VALUES)
    assert text.startswith(expected) and "{.button}" not in text
    assert text.endswith(tpl.text_footer("1 Main St", VALUES["unsubscribe_url"]))


def test_merge_values_escaped_and_fallbacks():
    compiled = compile_email("Hi {first_name|there}, from {company|us}", BRAND, subject="{first_name}")
    page = fill(compiled, VALUES | {"first_name": "<script>alert(1)</script>", "company": ""})
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;, from us" in page


def test_links_from_data_are_sanitised():
    compiled = compile_email("[site]({website|https://acme.example}) [me]({website})", BRAND)
    for bad in ("javascript:alert(1)", "//evil.example", "data:text/html,x", "relative/path"):
        found = tags(fill(compiled, VALUES | {"website": bad}))
        hrefs = [a["href"] for t, a in found if t == "a" and a.get("class") != "unsubscribe"]
        assert hrefs == ["https://acme.example", "#"], bad
    good = tags(fill(compiled, VALUES))
    assert [a["href"] for t, a in good if t == "a"][:2] == ["https://ann.example"] * 2


def test_raw_html_is_sanitised():
    compiled = compile_email("text twin", BRAND, body_html='<p onclick="x()">Hi {first_name}</p><script>bad()</script>'
                                                           '<a href="javascript:x()">x</a><style>p{}</style>')
    page = fill(compiled, VALUES)
    assert "onclick" not in page and "bad()" not in page and "javascript:" not in page and "<p" in page
    assert "Hi Ann" in page


def test_relative_links_are_problems_and_missing_alt_warned():
    compiled = compile_email("[here](/pricing) and ![](https://acme.example/a.png)", BRAND)
    assert compiled.problems and "/pricing" in compiled.problems[0]
    assert any("alt text" in w for w in compiled.warnings)
    assert not compile_email(SOURCE, BRAND).problems and not compile_email(SOURCE, BRAND).warnings


def test_gmail_clip_warning():
    big = "\n\n".join(f"Paragraph {i} " + "words " * 40 for i in range(500))
    compiled = compile_email(big, BRAND)
    assert compiled.size > 102 * 1024 and any("102 KB" in w for w in compiled.warnings)


def test_literal_braces_and_markdown_syntax_in_values():
    compiled = compile_email("Use {{code}} and {first_name}", BRAND)
    page = fill(compiled, VALUES | {"first_name": "**bold** [x](https://e.example)"})
    assert "Use {code} and **bold** [x](https://e.example)" in page  # values are text, never Markdown
