"""Where enrichment reads the web: Firecrawl when configured, else the built-in fetcher; a page cache in
fetched_pages (TTL from settings) so a re-run spends no credits; the evidence of this run (every page read,
by URL) that citations are verified against; and the cost counters of the job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import FetchedPage, utcnow
from domain.extract import PageData, extract, from_markdown
from integrations.errors import PermanentError, ProviderError, RetryableError
from integrations.fetcher import Fetcher, check_url
from integrations.firecrawl import FirecrawlClient, SearchHit


@dataclass
class CachedPage:
    url: str
    status_code: int
    title: str
    text: str
    data: dict[str, Any]
    source: str


class PageCache(Protocol):
    def get(self, url: str, max_age_seconds: int) -> CachedPage | None: ...

    def put(self, page: CachedPage) -> None: ...


def cached_page(session: Session, url: str, max_age_seconds: int) -> CachedPage | None:
    """The cached copy of a page when it is younger than max_age_seconds."""
    row = session.scalar(sa.select(FetchedPage).where(FetchedPage.url == url[:2000]))
    if row is None or utcnow() - row.fetched_at > timedelta(seconds=max_age_seconds):
        return None
    return CachedPage(row.url, row.status_code, row.title or "", row.text, dict(row.data or {}), row.source)


def store_page(session: Session, page: CachedPage) -> None:
    """Insert or refresh the cached copy of a page."""
    row = session.scalar(sa.select(FetchedPage).where(FetchedPage.url == page.url[:2000]))
    if row is None:
        row = FetchedPage(url=page.url[:2000], status_code=page.status_code, source=page.source)
        session.add(row)
    row.status_code, row.title, row.text = page.status_code, page.title[:1000], page.text
    row.data, row.source, row.fetched_at = page.data, page.source, utcnow()
    session.flush()


class SessionCache:
    """A PageCache over a session factory: each read/write is its own short transaction (opened by `opener`,
    a unit-of-work context manager given by the entry point), so no transaction stays open while pages load."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self._open = opener

    def get(self, url: str, max_age_seconds: int) -> CachedPage | None:
        with self._open() as uow:
            return cached_page(uow.session, url, max_age_seconds)

    def put(self, page: CachedPage) -> None:
        with self._open() as uow:
            store_page(uow.session, page)


@dataclass
class Costs:
    scrape_credits: int = 0
    search_credits: int = 0
    model_tokens: int = 0
    pages_read: int = 0
    cache_hits: int = 0


@dataclass
class Sources:
    """What the phases call: read(url), search(query), site_links(url). Counts costs; keeps the evidence."""

    fetcher: Fetcher | None = None
    firecrawl: FirecrawlClient | None = None
    cache: PageCache | None = None
    ttl_seconds: int = 7 * 86400
    max_pages: int = 8
    allow_loopback: bool = False
    evidence: dict[str, PageData] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    costs: Costs = field(default_factory=Costs)

    @property
    def kind(self) -> str:
        return "firecrawl" if self.firecrawl else "fetcher"

    def read(self, url: str, *, required: bool = False) -> PageData | None:
        """A page of this run (from cache, Firecrawl or the fetcher). A refused or broken page is noted and
        gives None; with required=True a retryable failure is raised instead (the job is retried)."""
        if url in self.evidence:
            return self.evidence[url]
        if self.costs.pages_read >= self.max_pages:
            self.notes.append(f"page limit ({self.max_pages}) reached: {url} not read")
            return None
        try:
            page = self._cached(url) or self._load(url)
        except RetryableError:
            if required:
                raise
            self.notes.append(f"{url}: temporarily unreachable, skipped")
            return None
        except PermanentError as exc:
            self.notes.append(str(exc))
            return None
        self.evidence[url] = self.evidence[page.url] = page
        return page

    def _cached(self, url: str) -> PageData | None:
        hit = self.cache.get(url, self.ttl_seconds) if self.cache else None
        if hit is None:
            return None
        self.costs.cache_hits += 1
        return PageData.from_dict(hit.data.get("final_url") or url, hit.text, hit.data)

    def _load(self, url: str) -> PageData:
        self.costs.pages_read += 1
        if self.firecrawl:
            check_url(url, allow_loopback=self.allow_loopback, resolve=False)
            page, status = self._scrape(url)
        else:
            if self.fetcher is None:
                self.fetcher = Fetcher(allow_loopback=self.allow_loopback)
            fetched = self.fetcher.fetch(url)
            page, status = extract(fetched.body, fetched.url), fetched.status_code
        if self.cache:
            data = page.to_dict() | {"final_url": page.url}
            self.cache.put(CachedPage(url, status, page.title, page.text, data, self.kind))
        return page

    def _scrape(self, url: str) -> tuple[PageData, int]:
        before = self.firecrawl.usage.scrape_credits
        doc = self.firecrawl.scrape(url)
        self.costs.scrape_credits += self.firecrawl.usage.scrape_credits - before
        if doc.status_code >= 400:
            raise PermanentError(f"{url} answered {doc.status_code} (through Firecrawl)", status=doc.status_code)
        if doc.html:
            return extract(doc.html, doc.url), doc.status_code
        return from_markdown(doc.markdown, doc.url, doc.metadata, doc.links), doc.status_code

    def search(self, query: str, limit: int = 5) -> list[SearchHit]:
        """Web search (Firecrawl only; offline there is no search and this says so in the notes)."""
        if not self.firecrawl:
            self.notes.append(f"no web search offline (FIRECRAWL_API_KEY not set): {query!r} not searched")
            return []
        key = f"firecrawl-search:{limit}:{query}"
        cached = self._cached_listing(key)
        if cached is not None:
            return [SearchHit(*hit) for hit in cached]
        before = self.firecrawl.usage.search_credits
        try:
            hits = self.firecrawl.search(query, limit=limit)
        except ProviderError as exc:
            self.notes.append(str(exc))
            return []
        finally:
            self.costs.search_credits += self.firecrawl.usage.search_credits - before
        self._store_listing(key, [[h.url, h.title, h.description] for h in hits])
        return hits

    def site_links(self, url: str, search: str | None = None) -> list[str]:
        """URLs of a site from Firecrawl map (none offline: the phases use the home page's links instead)."""
        if not self.firecrawl:
            return []
        key = f"firecrawl-map:{search or ''}:{url}"
        cached = self._cached_listing(key)
        if cached is not None:
            return [str(u) for u in cached]
        before = self.firecrawl.usage.scrape_credits
        try:
            links = self.firecrawl.map(url, search=search, limit=50)
        except ProviderError as exc:
            self.notes.append(str(exc))
            return []
        finally:
            self.costs.scrape_credits += self.firecrawl.usage.scrape_credits - before
        self._store_listing(key, links)
        return links

    def _cached_listing(self, key: str) -> list[Any] | None:
        hit = self.cache.get(key, self.ttl_seconds) if self.cache else None
        if hit is None:
            return None
        self.costs.cache_hits += 1
        return list(hit.data.get("items") or [])

    def _store_listing(self, key: str, items: list[Any]) -> None:
        if self.cache:
            self.cache.put(CachedPage(key, 200, "", "", {"items": items}, "firecrawl"))

    def evidence_text(self) -> dict[str, str]:
        return {url: page.evidence_text() for url, page in self.evidence.items()}

    def close(self) -> None:
        if self.fetcher:
            self.fetcher.close()
