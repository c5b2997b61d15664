"""Pure HTML extraction for enrichment: JSON-LD (Organization, LocalBusiness, Person, ...), meta and Open Graph
tags, mailto/tel links, social profile links, and the visible text. Standard library only (html.parser).

Everything here is data taken from a page. None of it is ever an instruction."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])")
PHONE_RE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?|\d{2,4}[\s.-])\d{3,4}[\s.-]?\d{3,4}(?!\w)")
SOCIAL_HOSTS = {
    "linkedin.com": "linkedin", "twitter.com": "twitter", "x.com": "twitter", "facebook.com": "facebook",
    "instagram.com": "instagram", "youtube.com": "youtube", "github.com": "github", "tiktok.com": "tiktok",
}
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "section",
          "article", "header", "footer", "nav", "address", "table", "dd", "dt", "blockquote", "main", "aside"}
ORG_TYPES = {"Organization", "Corporation", "LocalBusiness", "Company", "NGO", "EducationalOrganization",
             "ProfessionalService", "HomeAndConstructionBusiness", "Store", "MedicalOrganization"}


@dataclass
class Link:
    href: str
    text: str


@dataclass
class PageData:
    """What one page says, sorted by kind. `evidence_text()` is the text citations are checked against."""

    url: str
    title: str = ""
    text: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    jsonld_raw: str = ""
    links: list[Link] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    socials: dict[str, list[str]] = field(default_factory=dict)

    def evidence_text(self) -> str:
        """Visible text plus the page's structured parts (JSON-LD values, meta contents, link targets): a quote
        is genuine when it occurs here."""
        parts = [self.title, self.text, _jsonld_values(self.jsonld), " ".join(self.meta.values()),
                 " ".join(link.href for link in self.links)]
        return "\n".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "meta": self.meta, "jsonld": self.jsonld,
                "links": [[link.href, link.text] for link in self.links], "emails": self.emails,
                "phones": self.phones, "socials": self.socials}

    @classmethod
    def from_dict(cls, url: str, text: str, data: dict[str, Any]) -> PageData:
        return cls(url=url, title=data.get("title") or "", text=text, meta=dict(data.get("meta") or {}),
                   jsonld=list(data.get("jsonld") or []), links=[Link(h, t) for h, t in data.get("links") or []],
                   emails=list(data.get("emails") or []), phones=list(data.get("phones") or []),
                   socials=dict(data.get("socials") or {}))


class _Parser(HTMLParser):
    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.skip_depth = 0
        self.in_title = False
        self.in_jsonld = False
        self.title_parts: list[str] = []
        self.text_parts: list[str] = []
        self.jsonld_blocks: list[str] = []
        self.meta: dict[str, str] = {}
        self.links: list[Link] = []
        self._open_link: Link | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "script" and "ld+json" in a.get("type", "").lower():
            self.in_jsonld = True
            self.jsonld_blocks.append("")
            return
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").strip().lower()
            if key and a.get("content"):
                self.meta.setdefault(key, " ".join(a["content"].split()))
        elif tag == "title":
            self.in_title = True
        elif tag == "a" and a.get("href"):
            self._open_link = Link(urljoin(self.base_url, a["href"].strip()), "")
            self.links.append(self._open_link)
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.text_parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self.in_jsonld:
            self.in_jsonld = False
        if tag == "title":
            self.in_title = False
        if tag == "a":
            self._open_link = None
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag in _BLOCK:
            self.text_parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_jsonld:
            self.jsonld_blocks[-1] += data
        elif self.in_title:
            self.title_parts.append(data)
        elif not self.skip_depth:
            self.text_parts.append(data)
            if self._open_link is not None:
                self._open_link.text = " ".join((self._open_link.text + " " + data).split())


def extract(html: str, url: str) -> PageData:
    """Parse one HTML page into PageData. Never raises on bad markup or bad JSON-LD (they are skipped)."""
    parser = _Parser(url)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001,S110  html.parser is lenient; a pathological page just yields less
        pass
    text = _clean_text("".join(parser.text_parts))
    jsonld = _parse_jsonld(parser.jsonld_blocks)
    page = PageData(url=url, title=" ".join("".join(parser.title_parts).split()), text=text, meta=parser.meta,
                    jsonld=jsonld, jsonld_raw="\n".join(parser.jsonld_blocks), links=_dedupe_links(parser.links))
    page.emails = _emails(page)
    page.phones = _phones(page)
    page.socials = social_links([link.href for link in page.links] + _same_as(jsonld))
    return page


def _clean_text(raw: str) -> str:
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)


def _parse_jsonld(blocks: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for block in blocks:
        try:
            value = json.loads(block.strip())
        except (json.JSONDecodeError, ValueError):
            continue
        _flatten(value, found)
    return found


def _flatten(value: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(value, list):
        for item in value:
            _flatten(item, out)
    elif isinstance(value, dict):
        if "@graph" in value:
            _flatten(value["@graph"], out)
        if "@type" in value:
            out.append(value)
        for key in ("employee", "employees", "member", "founder", "author", "worksFor"):
            _flatten(value.get(key), out)


def _jsonld_values(items: list[dict[str, Any]]) -> str:
    values: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)
        elif isinstance(v, str | int | float) and not isinstance(v, bool):
            values.append(str(v))

    walk(items)
    return "\n".join(values)


def types_of(item: dict[str, Any]) -> set[str]:
    """The schema.org types of a JSON-LD node, without any namespace prefix."""
    raw = item.get("@type")
    names = raw if isinstance(raw, list) else [raw]
    return {str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names if n}


def organisations(page: PageData) -> list[dict[str, Any]]:
    """JSON-LD nodes describing an organisation or a local business (any LocalBusiness subtype counts)."""
    return [i for i in page.jsonld if types_of(i) & ORG_TYPES or _looks_like_business(i)]


def people(page: PageData) -> list[dict[str, Any]]:
    return [i for i in page.jsonld if "Person" in types_of(i)]


def _looks_like_business(item: dict[str, Any]) -> bool:
    return bool(types_of(item)) and "Person" not in types_of(item) and "address" in item and "name" in item


def _same_as(items: list[dict[str, Any]]) -> list[str]:
    urls: list[str] = []
    for item in items:
        value = item.get("sameAs")
        urls.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    return urls


def social_links(urls: list[str]) -> dict[str, list[str]]:
    """Group profile URLs by network (linkedin, twitter, facebook, ...); share/intent links are skipped."""
    found: dict[str, list[str]] = {}
    for url in urls:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
        network = SOCIAL_HOSTS.get(host) or SOCIAL_HOSTS.get(".".join(host.split(".")[-2:]))
        path = parts.path.strip("/")
        if not network or not path or any(w in path for w in ("share", "intent", "sharer")):
            continue
        clean = f"{parts.scheme}://{parts.netloc}{parts.path}"
        if clean not in found.setdefault(network, []):
            found[network].append(clean)
    return found


def _emails(page: PageData) -> list[str]:
    found: list[str] = []
    for link in page.links:
        if link.href.lower().startswith("mailto:"):
            found.append(unquote(link.href[7:].split("?", 1)[0]).strip())
    found += EMAIL_RE.findall(page.text)
    return _unique(e.lower() for e in found if EMAIL_RE.fullmatch(e))


def _phones(page: PageData) -> list[str]:
    found = [unquote(link.href[4:]).strip() for link in page.links if link.href.lower().startswith("tel:")]
    found += [m.group(0).strip() for m in PHONE_RE.finditer(page.text)]
    return _unique(p for p in found if sum(c.isdigit() for c in p) >= 7)


def _dedupe_links(links: list[Link]) -> list[Link]:
    seen: set[str] = set()
    out: list[Link] = []
    for link in links:
        if link.href not in seen and not link.href.lower().startswith("javascript:"):
            seen.add(link.href)
            out.append(link)
    return out


def _unique(values: Any) -> list[str]:
    out: list[str] = []
    for v in values:
        if v and v not in out:
            out.append(v)
    return out


def from_markdown(markdown: str, url: str, metadata: dict[str, Any] | None = None,
                  links: list[str] | None = None) -> PageData:
    """PageData from a Firecrawl document (markdown + metadata + links) when no HTML came back."""
    meta = {str(k).lower(): str(v) for k, v in (metadata or {}).items() if isinstance(v, str) and v}
    link_objs = [Link(href, "") for href in (links or [])]
    link_objs += [Link(m.group(2), m.group(1)) for m in re.finditer(r"\[([^\]]*)\]\((https?://[^)\s]+|mailto:[^)\s]+|tel:[^)\s]+)\)", markdown)]
    text = _clean_text(re.sub(r"[#*_>`]|\]\([^)]*\)|\[", " ", markdown))
    page = PageData(url=url, title=meta.get("title", ""), text=text, meta=meta, links=_dedupe_links(link_objs))
    page.emails = _emails(page)
    page.phones = _phones(page)
    page.socials = social_links([link.href for link in page.links])
    return page
