"""One email filled for one contact (domain/email_render.py), the answers written out: merge values escaped with
their quotes wherever they land (text, a link's query, a whole link), missing values empty, literal braces,
the footer's address lines, the title, the text twin's footer and the Gmail clipping warning."""

from __future__ import annotations

import re

from domain.email_render import Brand, Field, compile_email, fill, fill_text, template_source


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


# --- the second pass over the survivors: links and images checked, the sanitiser, the brand, where a field sits ---

def content(page: str) -> str:
    """The body cell of a filled email (what the campaign's source became)."""
    found = re.search(r'<td class="content"[^>]*>(.*?)</td>', page, re.S)
    assert found, "no content cell"
    return found.group(1)


def header(page: str) -> str:
    found = re.search(r'<td class="header"[^>]*>(.*?)</td>', page, re.S)
    assert found, "no header cell"
    return found.group(1)


P = '<p style="margin: 0 0 16px 0;">'
A = 'style="color: #2563eb;"'


def test_bad_links_and_images_without_alt_text_are_named_in_full():
    compiled = compile_email("x", Brand(), body_html=(
        '<p><a href="/a">1</a><a href="b.html">2</a><a href="#top">3</a><a>4</a><a href="?q">5</a>'
        '<a href="/a">6</a><a href="./c">7</a></p>'
        '<img src="https://x.com/a.png"><img src="https://x.com/b.png" alt=""><img src="https://x.com/c.png" alt="c">'))
    # six different bad addresses, sorted, the first five named ("b.html" is the sixth)
    assert compiled.problems == ("links must be absolute (https://..., mailto:...): "
                                 "#top, (a link without an address), ./c, /a, ?q",)
    assert compiled.warnings == ("2 images without alt text: say what each shows ![like this](url)",)
    one = compile_email("x", Brand(), body_html='<p><a>no address</a><img src="https://x.com/a.png"></p>')
    assert one.problems == ("links must be absolute (https://..., mailto:...): (a link without an address)",)
    assert one.warnings == ("1 image without alt text: say what each shows ![like this](url)",)
    fine = compile_email("x", Brand(), body_html='<p><a href="https://a.com">a</a><img src="https://x.com/a.png" alt="a">'
                                                 '<a href="mailto:jo@a.com">m</a></p>')
    assert fine.problems == () and fine.warnings == ()


def test_the_sanitiser_keeps_only_our_tags_schemes_and_no_comments_or_rel():
    compiled = compile_email("x", Brand(), body_html=(
        '<p><small>s</small> <a href="ftp://x.com/f">f</a> <a href="http://a.com">h</a> '
        '<a href="mailto:j@a.com">m</a><!-- secret --><script>alert(1)</script></p>'))
    assert content(fill(compiled, {})) == (
        f'{P}s <a {A}>f</a> <a href="http://a.com" {A}>h</a> <a href="mailto:j@a.com" {A}>m</a></p>')
    assert compiled.problems == ("links must be absolute (https://..., mailto:...): (a link without an address)",)


def test_the_header_and_accent_from_the_brand():
    def look(brand: Brand) -> tuple[str, str]:
        page = fill(compile_email("x", brand), {})
        return header(page), re.findall(r'class="bar" style="([^"]*)"', page)[0]

    span = '<span class="brand" style="font-family: Arial, Helvetica, sans-serif;font-size: 20px;font-weight: bold;' \
           'color: #111827;">'
    logo = 'style="max-width: 100%;display: block;border: 0;height: auto;"'
    assert look(Brand()) == ("", "height: 4px;background: #2563eb;")
    assert look(Brand(name='Acme & "Co"'))[0] == f'{span}Acme &amp; "Co"</span>'
    assert look(Brand(logo_url="https://a.com/l\"o'g.png"))[0] == (
        f'<img class="logo" width="160" src="https://a.com/l&quot;o\'g.png" alt="Logo" {logo}>')
    assert look(Brand(name='Jo\'s "Roofs"', logo_url="https://a.com/l.png"))[0] == (
        f'<img class="logo" width="160" src="https://a.com/l.png" alt="Jo\'s &quot;Roofs&quot;" {logo}>')
    assert look(Brand(name="Acme", logo_url="/l.png"))[0] == f"{span}Acme</span>"  # an unsafe logo: the name
    assert look(Brand(accent="red"))[1] == "height: 4px;background: #2563eb;"
    assert look(Brand(accent="#ABCDEF"))[1] == "height: 4px;background: #ABCDEF;"
    assert look(Brand(accent="#AbC"))[1] == "height: 4px;background: #AbC;"


def test_a_button_keeps_its_text_and_takes_the_class():
    page = fill(compile_email("[Book `now`](https://cal.example/x){.button} today", Brand()), {})
    assert content(page) == (  # the link's last child is code, not text
        f'{P}<a class="button" href="https://cal.example/x" style="color: #ffffff;display: inline-block;'
        'padding: 12px 24px;background: #2563eb;border-radius: 6px;font-weight: bold;text-decoration: none;">'
        "Book <code>now</code></a> today</p>\n")
    page = fill(compile_email("[Book a call](https://cal.example/x){.button} today", Brand()), {})
    assert ">Book a call</a> today</p>" in content(page) and "MKT" not in page


def test_where_a_field_sits_in_an_image_or_a_link():
    compiled = compile_email("![a](https://x.com/a.png) ![b](https://x.com/{name}.png) ![c]({photo})", Brand())
    img = 'style="max-width: 100%;height: auto;border: 0;"'
    assert content(fill(compiled, {"name": "a b/c", "photo": "https://x.com/p.png"})) == (
        f'{P}<img src="https://x.com/a.png" alt="a" {img}> <img src="https://x.com/a%20b%2Fc.png" alt="b" {img}> '
        f'<img src="https://x.com/p.png" alt="c" {img}></p>\n')
    assert '<img src="#" alt="c"' in fill(compiled, {"name": "n", "photo": "javascript:x"})
    # literal braces inside a link stay literal, never percent-encoded
    braces = compile_email("[x](https://a.com/{{y}}) and {{z}}", Brand())
    assert content(fill(braces, {})) == f'{P}<a href="https://a.com/{{y}}" {A}>x</a> and {{z}}</p>\n'


def test_a_field_is_read_inside_a_link_up_to_2000_characters_back():
    # the field starts exactly 2,000 characters after `href="`: still inside the link, percent-encoded
    near = compile_email("[x](https://a.com/" + "A" * 1980 + "{name})", Brand())
    assert [p for p in near.pieces if not isinstance(p, str)][0] == Field("name", None, "url_part")
    assert "A" * 1980 + 'a%2F%20b"' in fill(near, {"name": "a/ b"})
    # one character further it is read as text (HTML-escaped, not encoded)
    far = compile_email("[x](https://a.com/" + "A" * 1981 + "{name})", Brand())
    assert [p for p in far.pieces if not isinstance(p, str)][0] == Field("name", None, "text")
    assert "A" * 1981 + 'a/ b"' in fill(far, {"name": "a/ b"})


def test_adjacent_fields_leave_no_empty_piece_between_them():
    compiled = compile_email("{first_name}{last_name}", Brand())
    assert [p for p in compiled.pieces if not isinstance(p, str)] == [
        Field("first_name", None, "text"), Field("last_name", None, "text"), Field("unsubscribe_url", None, "url")]
    assert "" not in compiled.pieces and len(compiled.pieces) == 6


def test_gmail_clipping_starts_one_byte_over_102_kb():
    base = compile_email("a", Brand()).size - 1
    exact = compile_email("a" * (102 * 1024 - base), Brand())
    assert exact.size == 104_448 and exact.warnings == ()
    over = compile_email("a" * (102 * 1024 - base + 1), Brand())
    assert over.size == 104_449
    assert over.warnings == ("the HTML is 102 KB: Gmail clips emails over 102 KB (shorten it)",)


def test_an_attribute_written_out_in_the_text_is_closed_by_its_quote():
    # the text mentions an empty href: the field after it is text (escaped), not inside a link (encoded)
    compiled = compile_email('Write href="" then {name}', Brand())
    assert [p for p in compiled.pieces if not isinstance(p, str)][0] == Field("name", None, "text")
    assert content(fill(compiled, {"name": "a b&c"})) == f'{P}Write href="" then a b&amp;c</p>\n'


def test_an_attribute_written_out_unclosed_in_the_text_leaves_the_field_as_text():
    # before the fix, the field after 'src="' in the text was read as part of a link and percent-encoded
    compiled = compile_email('Paste src="logo.png, then call {name}', Brand())
    assert [p for p in compiled.pieces if not isinstance(p, str)][0] == Field("name", None, "text")
    assert content(fill(compiled, {"name": "Ann Lee & Co"})) == (
        f'{P}Paste src="logo.png, then call Ann Lee &amp; Co</p>\n')
    # the same with the paragraph's ">" the first character of the 2,000 looked back at
    edge = compile_email('href="' + "a" * 1992 + " {name}", Brand())
    assert [p for p in edge.pieces if not isinstance(p, str)][0] == Field("name", None, "text")
    # a ">" inside an attribute before the link does not make the link text: the whole link is still checked
    html = compile_email("x", Brand(), body_html='<p><a title="a&gt;b" href="{website}">w</a> '
                                                 '<img alt="x&gt;y" src="{photo}"></p>')
    assert [p for p in html.pieces if not isinstance(p, str)] == [
        Field("website", None, "url"), Field("photo", None, "url"), Field("unsubscribe_url", None, "url")]
    page = content(fill(html, {"website": "javascript:alert(1)", "photo": "https://x.com/p.png"}))
    assert page == (f'{P}<a title="a>b" href="#" {A}>w</a> '
                    '<img alt="x>y" src="https://x.com/p.png" style="max-width: 100%;height: auto;border: 0;"></p>')
