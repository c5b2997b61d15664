"""The enrichment pipeline: a LangGraph graph of phases run in order, each seeing the findings before it:
discovery (company site and name from the contact's website or email domain; a free-mail address goes to a
person-level search) -> company profile (industry, description, location, size, founded, public phone/email,
social pages) -> contact (role/title, LinkedIn and other profiles, own phone/email) -> verification (every
citation checked against the pages read in this run, corroboration, conflicts kept, unchanged values dropped).

Extraction per phase: the offline rules always; a language model as well when one is configured
(tools.enrichment.llm: structured output, no tools bound). No database session is held while it runs."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Annotated, Any, Protocol, TypedDict
from urllib.parse import urlsplit

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

from domain.contacts import normalise_website
from domain.enrichment import (
    Suggestion,
    drop_unchanged,
    email_domain,
    is_free_mail,
    merge,
    verify,
)
from domain.enrichment_rules import Person, company_rules, person_rules, pick_pages, same_site
from domain.extract import Link, PageData
from domain.wording import plural
from tools.enrichment.sources import Sources

DISCOVERY_FIELDS = ("company", "website")
COMPANY_FIELDS = ("company_description", "industry", "founded", "company_size", "city", "region", "postal_code",
                  "country", "company_phone", "company_email", "company_linkedin", "twitter", "facebook",
                  "instagram", "youtube", "github")
CONTACT_FIELDS = ("job_title", "linkedin", "phone", "email")
PHASE_FIELDS = {"discovery": DISCOVERY_FIELDS, "company": COMPANY_FIELDS, "contact": CONTACT_FIELDS}


@dataclass(frozen=True)
class Subject:
    """The contact as the pipeline sees it (a snapshot; no ORM object crosses into the run)."""

    contact_id: int
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    company: str | None = None
    website: str | None = None
    domain: str | None = None
    current: dict[str, Any] = field(default_factory=dict)

    def person(self, domain: str | None) -> Person:
        return Person(self.first_name, self.last_name, self.email, domain)


class Extractor(Protocol):
    name: str

    def extract(self, phase: str, subject: Subject, pages: list[PageData],
                findings: list[Suggestion]) -> list[Suggestion]: ...


class RuleExtractor:
    """Offline extraction: rules over JSON-LD, meta, links and regexes (domain.enrichment_rules)."""

    name = "rules"

    def extract(self, phase: str, subject: Subject, pages: list[PageData],
                findings: list[Suggestion]) -> list[Suggestion]:
        domain = _domain_of(pages[0].url) if pages else None
        out: list[Suggestion] = []
        for page in pages:
            if phase == "contact":
                out += person_rules(page, subject.person(domain))
            else:
                out += company_rules(page, domain)
        if phase == "discovery" and pages and not subject.website:
            out += _website(pages[0])
        return [s for s in out if s.field in PHASE_FIELDS[phase]]


class Combined:
    """Rules plus a language model: both run; their suggestions meet in verification."""

    def __init__(self, *extractors: Extractor) -> None:
        self.extractors = extractors
        self.name = "+".join(e.name for e in extractors)

    def extract(self, phase: str, subject: Subject, pages: list[PageData],
                findings: list[Suggestion]) -> list[Suggestion]:
        return [s for e in self.extractors for s in e.extract(phase, subject, pages, findings)]


class State(TypedDict, total=False):
    subject: Subject
    home: str | None
    domain: str | None
    suggestions: Annotated[list[Suggestion], operator.add]
    notes: Annotated[list[str], operator.add]
    final: list[Suggestion]
    dropped: list[str]


@dataclass
class Outcome:
    suggestions: list[Suggestion]
    dropped: list[str]
    notes: list[str]
    pages: list[str]


def run_pipeline(subject: Subject, sources: Sources, extractor: Extractor | None = None) -> Outcome:
    """Run the phases for one contact. Raises RetryableError when the company's home page is temporarily
    unreachable (the job is retried); everything else ends in an Outcome with notes saying what happened."""
    config = {"configurable": {"sources": sources, "extractor": extractor or RuleExtractor()}}
    state = _graph().invoke({"subject": subject, "suggestions": [], "notes": []}, config=config)
    pages = sorted({p.url for p in sources.evidence.values()})
    return Outcome(state.get("final", []), state.get("dropped", []), state["notes"] + sources.notes, pages)


@lru_cache(maxsize=1)
def _graph() -> Any:
    graph = StateGraph(State)
    graph.add_node("discovery", _discovery)
    graph.add_node("company_profile", _company)
    graph.add_node("contact", _contact)
    graph.add_node("verification", _verification)
    graph.add_edge(START, "discovery")
    graph.add_conditional_edges("discovery", lambda s: "company_profile" if s.get("home") else "contact")
    graph.add_edge("company_profile", "contact")
    graph.add_edge("contact", "verification")
    graph.add_edge("verification", END)
    return graph.compile()


def _tools(config: RunnableConfig) -> tuple[Sources, Extractor]:
    conf = config["configurable"]
    return conf["sources"], conf["extractor"]


def _discovery(state: State, config: RunnableConfig) -> dict[str, Any]:
    sources, extractor = _tools(config)
    subject = state["subject"]
    home, why = _home_url(subject)
    if home is None:
        return {"home": None, "domain": None, "notes": [why] + _person_search(subject, sources)}
    page = sources.read(home, required=bool(subject.website))
    if page is None and home.startswith("https://") and not subject.website:
        home = "http://" + home.removeprefix("https://")
        page = sources.read(home, required=True)
    if page is None:
        return {"home": None, "domain": None, "notes": [f"company site {home} could not be read"]}
    found = extractor.extract("discovery", subject, [page], [])
    return {"home": page.url, "domain": _domain_of(page.url), "suggestions": found}


def _company(state: State, config: RunnableConfig) -> dict[str, Any]:
    sources, extractor = _tools(config)
    home = sources.read(state["home"])
    pages = [home] + _read_all(sources, _site_pages(sources, home, state.get("domain"))[:2])
    return {"suggestions": extractor.extract("company", state["subject"], pages, state["suggestions"])}


def _contact(state: State, config: RunnableConfig) -> dict[str, Any]:
    sources, extractor = _tools(config)
    subject = state["subject"]
    if not (subject.first_name and subject.last_name):
        return {"notes": ["no first and last name: the contact phase was skipped"]}
    pages = [p for p in sources.evidence.values()]
    if state.get("home"):
        home = sources.read(state["home"])
        pages += _read_all(sources, _site_pages(sources, home, state.get("domain"), team=True))
    pages = list({p.url: p for p in pages}.values())
    return {"suggestions": extractor.extract("contact", subject, pages, state["suggestions"])}


def _verification(state: State, config: RunnableConfig) -> dict[str, Any]:
    sources, _ = _tools(config)
    kept, dropped = verify(state["suggestions"], sources.evidence_text())
    final = drop_unchanged(merge(kept), state["subject"].current)
    return {"final": final, "dropped": dropped}


def _home_url(subject: Subject) -> tuple[str | None, str]:
    if subject.website:
        if subject.website.lower().startswith(("http://", "https://")):
            return subject.website.strip(), ""
        url, _ = normalise_website(subject.website)
        if url.value:
            return url.value, ""
    domain = subject.domain or email_domain(subject.email)
    if not domain:
        return None, "no website and no email domain to start from"
    if is_free_mail(domain):
        return None, f"{domain} is a free-mail domain: no company site to read"
    return f"https://{domain}", ""


def _person_search(subject: Subject, sources: Sources) -> list[str]:
    name = " ".join(p for p in (subject.first_name, subject.last_name) if p)
    if not name:
        return []
    query = f'"{name}" {subject.company or ""}'.strip()
    hits = sources.search(query, limit=5)
    _read_all(sources, [h.url for h in hits[:2]])
    return [f"person-level search for {query!r}: {plural(len(hits), 'result')}"] if sources.firecrawl else []


def _site_pages(sources: Sources, home: PageData | None, domain: str | None, team: bool = False) -> list[str]:
    if home is None:
        return []
    if sources.firecrawl:
        mapped = [Link(url, "") for url in sources.site_links(home.url, "team" if team else "about")]
        home = replace(home, links=home.links + mapped)
    picked = pick_pages(home, domain)
    wanted = ("team", "people", "staff", "leadership") if team else ("about", "contact", "company")
    return [u for u in picked if any(w in urlsplit(u).path.lower() for w in wanted)] or ([] if team else picked)


def _read_all(sources: Sources, urls: list[str]) -> list[PageData]:
    return [p for p in (sources.read(u) for u in urls) if p is not None]


def _website(home: PageData) -> list[Suggestion]:
    parts = urlsplit(home.url)
    quote = home.title or home.meta.get("og:site_name", "")
    if not quote:
        return []
    return [Suggestion("website", f"{parts.scheme}://{parts.netloc}", home.url, quote, 0.9)]


def _domain_of(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


__all__ = ["Combined", "Outcome", "RuleExtractor", "Subject", "run_pipeline", "same_site"]
