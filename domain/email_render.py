"""Email bodies: Markdown (or sanitised HTML) -> a responsive, client-safe HTML email (table layout, inlined CSS)
in the account's brand, plus its plain-text twin from the same source. Pure.

Rendering happens in two steps so that 50,000 personalised emails cost one Markdown/CSS pass, not 50,000:
`compile_email` turns the campaign's source into a `CompiledEmail` (a list of literal HTML pieces and merge
fields, each knowing where it sits: text, inside a link, or a whole link); `fill` then joins the pieces for one
contact. Merge values are HTML-escaped in text, percent-encoded inside a URL, and a field that is a whole link
(`[site]({website})`) must be an absolute http(s) or mailto URL or it is replaced by its fallback (else "#").

Markdown: CommonMark with tables and strikethrough, raw HTML off; `[Book a call](https://...){.button}` is a
button in the accent colour. Links must be absolute (http, https, mailto); images need alt text (a warning)."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import css_inline
import nh3
from markdown_it import MarkdownIt

from domain import campaigns as tpl
from domain.email_layout import LAYOUT, MEDIA_CSS, STYLE_CSS
from domain.wording import plural

GMAIL_CLIP_BYTES = 102 * 1024
BUTTON = "{.button}"
_BUTTON_MARK = "MKTBUTTONZ"
_FIELD = re.compile(r"MKTF(\d+)Z")
_BUTTON_AFTER_LINK = re.compile(r"(\]\([^()\s]*(?:\s+\"[^\"]*\")?\))\{\.button\}")
_SAFE_URL = re.compile(r"^(?:https?://[^\s/]+|mailto:[^\s]+@)", re.I)
_TAGS = {"a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li", "ol",
         "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "u", "ul", "span", "div"}
_ATTRIBUTES = {"a": {"href", "title", "class"}, "img": {"src", "alt", "title", "width", "height"},
               "td": {"align"}, "th": {"align"}}
_MD = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])


@dataclass(frozen=True)
class Brand:
    """The account's look: name (logo alt text and header), logo URL, accent colour (#rrggbb), postal address."""

    name: str = ""
    logo_url: str | None = None
    accent: str = "#2563eb"
    postal_address: str = ""


@dataclass(frozen=True)
class Field:
    name: str
    fallback: str | None
    kind: str  # text (HTML-escaped), url_part (percent-encoded), url (a whole link: checked)


@dataclass(frozen=True)
class CompiledEmail:
    """A campaign email ready to personalise: `pieces` are literal HTML or a Field; `text` is the text twin's
    template (merge-field syntax). `warnings` are said before launch; `problems` block the draft."""

    pieces: tuple[str | Field, ...]
    text: str
    size: int
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass
class _Marks:
    fields: list[tpl.MergeField] = field(default_factory=list)


def template_source(markdown: str) -> str:
    """The source as a merge-field template (button marks removed): what `validate_template` checks."""
    return _BUTTON_AFTER_LINK.sub(r"\1", markdown or "")


def text_twin(markdown: str) -> str:
    """The plain-text twin's template: the Markdown source as written (it reads as text), without button marks."""
    return template_source(markdown).strip()


def compile_email(markdown: str, brand: Brand, *, subject: str = "", body_html: str | None = None) -> CompiledEmail:
    """Compile a campaign's email. `markdown` is the body (also the text twin); `body_html`, when given, replaces
    the Markdown as the HTML content (sanitised: no script, style, event handlers or unsafe links)."""
    marks = _Marks()
    if body_html:
        fragment = _sanitise(_mark_fields(body_html, marks))
    else:
        fragment = _sanitise(_markdown(_mark_fields(_BUTTON_AFTER_LINK.sub(r"\1" + _BUTTON_MARK, markdown or ""),
                                                    marks)))
    problems, warnings = _check_links(fragment, marks), _check_images(fragment)
    page = LAYOUT.format(style=STYLE_CSS, media=MEDIA_CSS, title=html.escape(_unmark(subject, marks)),
                         accent=_colour(brand.accent), header=_header(brand), content=fragment,
                         footer=_footer(brand, marks))
    inlined = css_inline.inline(page)
    pieces = _pieces(inlined, marks)
    size = len(inlined.encode())
    if size > GMAIL_CLIP_BYTES:
        warnings.append(f"the HTML is {size // 1024} KB: Gmail clips emails over 102 KB (shorten it)")
    return CompiledEmail(tuple(pieces), text_twin(markdown), size, tuple(warnings), tuple(problems))


def fill(compiled: CompiledEmail, values: Mapping[str, Any]) -> str:
    """The HTML of one email: `values` are the contact's fields plus unsubscribe_url."""
    out = []
    for piece in compiled.pieces:
        if isinstance(piece, str):
            out.append(piece)
            continue
        value = tpl.field_value(values, piece.name) or (piece.fallback or "")
        if piece.kind == "url":
            fallback = piece.fallback or ""
            value = value if _SAFE_URL.match(value) else fallback if _SAFE_URL.match(fallback) else "#"
            out.append(html.escape(value, quote=True))
        elif piece.kind == "url_part":
            out.append(html.escape(quote(value, safe=""), quote=True))
        else:
            out.append(html.escape(value, quote=True))
    return "".join(out)


def fill_text(compiled: CompiledEmail, values: Mapping[str, Any]) -> str:
    """The text twin of one email, footer included."""
    return tpl.render(compiled.text, values) + tpl.text_footer(values.get("postal_address") or "",
                                                                str(values.get("unsubscribe_url") or ""))


# --- steps -------------------------------------------------------------------------------------------------

def _mark_fields(source: str, marks: _Marks) -> str:
    """Merge fields (and literal {{ }}) become letters-only marks that Markdown, sanitiser and inliner keep."""

    def mark(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            marks.fields.append(tpl.MergeField("", token[0]))
        else:
            marks.fields.append(tpl.MergeField(match.group(1).strip(), match.group(2)))
        return f"MKTF{len(marks.fields) - 1}Z"

    return tpl._TOKEN.sub(mark, source)


def _unmark(text: str, marks: _Marks) -> str:
    return _mark_fields(text, marks)


def _markdown(source: str) -> str:
    tokens = _MD.parse(source)
    for token in tokens:
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_close" and index + 1 < len(children) and children[index + 1].type == "text" \
                    and children[index + 1].content.startswith(_BUTTON_MARK):
                opening = next(t for t in reversed(children[:index]) if t.type == "link_open")
                opening.attrSet("class", "button")
                children[index + 1].content = children[index + 1].content[len(_BUTTON_MARK):]
    return _MD.renderer.render(tokens, _MD.options, {})


def _sanitise(fragment: str) -> str:
    return nh3.clean(fragment, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel=None, strip_comments=True)


def _hrefs(fragment: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<a\b[^>]*\bhref="([^"]*)"', fragment)]


def _check_links(fragment: str, marks: _Marks) -> list[str]:
    bad = [h for h in _hrefs(fragment) if not (_SAFE_URL.match(h) or _FIELD.match(h))]
    if re.search(r"<a\b(?![^>]*\bhref=)", fragment):
        bad.append("(a link without an address)")
    return [f"links must be absolute (https://..., mailto:...): {', '.join(sorted(set(bad))[:5])}"] if bad else []


def _check_images(fragment: str) -> list[str]:
    images = re.findall(r"<img\b[^>]*>", fragment)
    missing = [m for m in images if not re.search(r'\balt="[^"]+"', m)]
    return [f"{plural(len(missing), 'image')} without alt text: say what each shows ![like this](url)"] if missing else []


def _colour(value: str) -> str:
    return value if re.fullmatch(r"#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3}", value or "") else Brand.accent


def _header(brand: Brand) -> str:
    if brand.logo_url and _SAFE_URL.match(brand.logo_url):
        return (f'<img class="logo" src="{html.escape(brand.logo_url, quote=True)}" '
                f'alt="{html.escape(brand.name or "Logo", quote=True)}" width="160">')
    return f'<span class="brand">{html.escape(brand.name)}</span>' if brand.name else ""


def _footer(brand: Brand, marks: _Marks) -> str:
    address = html.escape(brand.postal_address).replace("\n", "<br>")
    link = _mark_fields("{unsubscribe_url}", marks)
    return f'{address}<br><a class="unsubscribe" href="{link}">Unsubscribe</a>'


def _pieces(page: str, marks: _Marks) -> list[str | Field]:
    pieces: list[str | Field] = []
    last = 0
    for match in _FIELD.finditer(page):
        literal = page[last:match.start()]
        merge = marks.fields[int(match.group(1))]
        if not merge.name:  # a literal brace
            pieces.append(literal + merge.fallback)
        else:
            pieces.append(literal)
            pieces.append(Field(merge.name, merge.fallback, _kind(page[:match.start()])))
        last = match.end()
    pieces.append(page[last:])
    merged: list[str | Field] = []
    for piece in pieces:  # adjacent literals joined: fewer pieces to walk per email
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        elif piece != "":
            merged.append(piece)
    return merged


def _kind(before: str) -> str:
    """Where a field sits: at the start of an href/src (a whole link), later inside one, or in text."""
    tail = before[-2000:]
    opened = max(tail.rfind('href="'), tail.rfind('src="'))
    if opened < 0 or '"' in tail[tail.index('"', opened) + 1:]:
        return "text"
    closed = tail.rfind(">", 0, opened)
    if closed >= 0 and not re.search(r'[<"]', tail[closed + 1:opened]):
        # `href="` written in the text (a text node keeps its quotes): an attribute would have its tag's "<", or
        # the closing quote of an attribute holding that ">", between them
        return "text"
    return "url" if tail.endswith(('href="', 'src="')) else "url_part"
