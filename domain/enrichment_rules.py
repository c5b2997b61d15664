"""Offline extraction: rules over fetched pages (JSON-LD, meta, links, regexes) that give suggestions of the same
shape a language model gives. Pure. Each rule quotes the text it read, so verification can check it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from domain.contacts import normalise_phone
from domain.countries import country_code
from domain.enrichment import Suggestion, normalise_text
from domain.extract import PageData, organisations, people, types_of

TITLE_WORDS = re.compile(
    r"\b(owner|founder|co-founder|ceo|cto|cfo|coo|cmo|chief|president|vice president|vp|director|head|manager|"
    r"lead|partner|principal|officer|engineer|coordinator|specialist|estimator|foreman|supervisor|consultant|"
    r"marketing|sales|operations|administrator|assistant|associate|analyst|designer|developer)\b", re.IGNORECASE)
PAGE_HINTS = {"about": ("about", "company", "who-we-are", "our-story"),
              "team": ("team", "people", "staff", "leadership", "our-team", "management"),
              "contact": ("contact", "get-in-touch", "locations")}
GENERIC_TYPES = {"Organization", "Corporation", "LocalBusiness", "Company", "WebSite", "WebPage", "Thing"}


@dataclass(frozen=True)
class Person:
    """Who we enrich, as the rules need it."""

    first_name: str | None
    last_name: str | None
    email: str | None
    company_domain: str | None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


def same_site(url: str, domain: str | None) -> bool:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return bool(domain) and (host == domain or host.endswith("." + domain))


def pick_pages(home: PageData, domain: str | None, limit: int = 4) -> list[str]:
    """Same-site links worth reading after the home page: about, team, contact (in that order)."""
    chosen: list[str] = []
    for hints in PAGE_HINTS.values():
        for link in home.links:
            target = link.href.split("#", 1)[0]
            path = urlsplit(target).path.lower()
            if target in chosen or target.rstrip("/") == home.url.rstrip("/") or not same_site(target, domain):
                continue
            if any(h in path for h in hints) or normalise_text(link.text) in hints:
                chosen.append(target)
                break
    return chosen[:limit]


def company_rules(page: PageData, domain: str | None) -> list[Suggestion]:
    """Company profile from one page of the company's own site."""
    out: list[Suggestion] = []
    for org in organisations(page)[:1]:
        out += _org_fields(page.url, org)
    out += _meta_fields(page)
    out += _contact_points(page, domain)
    out += _socials(page)
    return out


def _s(field: str, value: Any, url: str, quote: Any, confidence: float) -> list[Suggestion]:
    if value in (None, "", [], {}):
        return []
    return [Suggestion(field, str(value), url, str(quote), confidence)]


def _org_fields(url: str, org: dict[str, Any]) -> list[Suggestion]:
    out = _s("company", _text(org.get("name")), url, _text(org.get("name")), 0.9)
    out += _s("company_description", _text(org.get("description")), url, _text(org.get("description")), 0.85)
    industry = _text(org.get("industry")) or _industry_from_type(org)
    if industry:
        quote = _text(org.get("industry")) or next(iter(types_of(org) - GENERIC_TYPES))
        out += _s("industry", industry, url, quote, 0.7)
    founded = re.search(r"\b(1[89]\d\d|20\d\d)\b", _text(org.get("foundingDate")))
    out += _s("founded", founded and founded.group(1), url, _text(org.get("foundingDate")), 0.8)
    size = org.get("numberOfEmployees")
    size = size.get("value") if isinstance(size, dict) else size
    if str(size or "").isdigit() and 0 < int(size) < 5_000_000:
        out += _s("company_size", int(size), url, size, 0.7)
    out += _address(url, org.get("address"))
    phone = _text(org.get("telephone"))
    out += _s("company_phone", _phone(phone), url, phone, 0.85)
    return out


def _industry_from_type(org: dict[str, Any]) -> str:
    specific = sorted(types_of(org) - GENERIC_TYPES)
    if not specific:
        return ""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", specific[0]).split()
    return " ".join([words[0]] + [w.lower() for w in words[1:]])


def _address(url: str, address: Any) -> list[Suggestion]:
    if isinstance(address, list):
        address = address[0] if address else None
    if not isinstance(address, dict):
        return []
    out = _s("city", _text(address.get("addressLocality")), url, _text(address.get("addressLocality")), 0.6)
    out += _s("region", _text(address.get("addressRegion")), url, _text(address.get("addressRegion")), 0.6)
    out += _s("postal_code", _text(address.get("postalCode")), url, _text(address.get("postalCode")), 0.6)
    country = address.get("addressCountry")
    country = _text(country.get("name") if isinstance(country, dict) else country)
    out += _s("country", _country(country), url, country, 0.6)
    return out


def _meta_fields(page: PageData) -> list[Suggestion]:
    out: list[Suggestion] = []
    site = page.meta.get("og:site_name")
    out += _s("company", site, page.url, site, 0.75)
    desc = page.meta.get("og:description") or page.meta.get("description")
    out += _s("company_description", desc, page.url, desc, 0.7)
    return out


def _contact_points(page: PageData, domain: str | None) -> list[Suggestion]:
    out: list[Suggestion] = []
    for raw in page.phones[:1]:
        out += _s("company_phone", _phone(raw), page.url, raw, 0.75)
    for email in page.emails:
        if domain and email.endswith("@" + domain):
            out += _s("company_email", email, page.url, email, 0.75)
            break
    return out


def _socials(page: PageData) -> list[Suggestion]:
    out: list[Suggestion] = []
    for network, urls in page.socials.items():
        if network == "linkedin":
            company = [u for u in urls if "/company/" in u]
            out += _s("company_linkedin", company and company[0], page.url, company and company[0], 0.8)
        elif urls:
            out += _s(network, urls[0], page.url, urls[0], 0.7)
    return out


def person_rules(page: PageData, person: Person) -> list[Suggestion]:
    """The contact's own role, profiles, phone and email, when this page names them."""
    name = normalise_text(person.full_name)
    if not person.first_name or not person.last_name:
        return []
    out: list[Suggestion] = []
    for node in people(page):
        if normalise_text(_text(node.get("name"))) == name:
            out += _person_node(page.url, node, person)
    out += _title_from_text(page, person)
    for link in page.links:
        if "linkedin.com/in/" in link.href and normalise_text(link.text) == name:
            out += _s("linkedin", link.href, page.url, link.href, 0.75)
    return out


def _person_node(url: str, node: dict[str, Any], person: Person) -> list[Suggestion]:
    out = _s("job_title", _text(node.get("jobTitle")), url, _text(node.get("jobTitle")), 0.9)
    same = node.get("sameAs")
    for link in same if isinstance(same, list) else [same]:
        if isinstance(link, str) and "linkedin.com/in/" in link:
            out += _s("linkedin", link, url, link, 0.85)
    phone = _text(node.get("telephone"))
    out += _s("phone", _phone(phone), url, phone, 0.8)
    email = _text(node.get("email")).removeprefix("mailto:").lower()
    if email and person.company_domain and email.endswith("@" + person.company_domain) and not person.email:
        out += _s("email", email, url, email, 0.85)
    return out


def _title_from_text(page: PageData, person: Person) -> list[Suggestion]:
    lines = page.text.splitlines()
    name = normalise_text(person.full_name)
    for i, line in enumerate(lines):
        norm = normalise_text(line)
        if name not in norm:
            continue
        rest = line[norm.index(name) + len(name):].strip(" ,-–—|:")
        candidate = rest if rest else (lines[i + 1].strip() if i + 1 < len(lines) else "")
        if candidate and len(candidate) <= 60 and TITLE_WORDS.search(candidate):
            quote = line if rest else f"{line} {candidate}"
            return _s("job_title", candidate, page.url, quote, 0.6)
    return []


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    return " ".join(str(value or "").split())


def _phone(raw: str) -> str | None:
    return normalise_phone(raw).value if raw else None


def _country(raw: str) -> str | None:
    return country_code(raw)
