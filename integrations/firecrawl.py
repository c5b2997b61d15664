"""Firecrawl (firecrawl-py 4.x, API v2): scrape, search, map. FIRECRAWL_API_KEY; FIRECRAWL_API_URL points at a
self-hosted Firecrawl. Errors become typed: RetryableError (429 with its Retry-After, 5xx, timeouts, connection)
or PermanentError (400, 401, 402, 403, ...). Credits are counted per call (CONTRACTS.md 6.3). Answers are read
raw and decoded under `max_answer_bytes` while they are decoded (integrations/decoding.py): only gzip and deflate
are asked for, and an answer past the cap is refused, so a compressed bomb cannot fill the memory."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integrations.decoding import ACCEPT_ENCODING, UnsupportedEncoding, decode_capped
from integrations.errors import PermanentError, RetryableError, retry_after_seconds

MAX_ANSWER_BYTES = 8_000_000


@dataclass(frozen=True)
class ScrapedPage:
    url: str
    status_code: int
    html: str
    markdown: str
    links: list[str]
    metadata: dict[str, Any]
    credits: int


@dataclass(frozen=True)
class SearchHit:
    url: str
    title: str
    description: str


@dataclass
class Usage:
    scrape_credits: int = 0
    search_credits: int = 0
    calls: list[str] = field(default_factory=list)


class FirecrawlClient:
    """One Firecrawl client (built on demand, never at import). `usage` counts the credits spent through it."""

    def __init__(self, *, api_key: str, api_url: str = "https://api.firecrawl.dev", timeout: float = 45.0,
                 max_retries: int = 2, throttle: Callable[[], None] | None = None,
                 max_answer_bytes: int = MAX_ANSWER_BYTES) -> None:
        """`throttle` is called before every HTTP request, the SDK's own retries (502, transport errors) and
        resumed scrapes included, so none bypasses the rate limit; it waits for a slot or raises RetryableError.
        If it has a `hold(seconds)` method, a 429's Retry-After is passed to it (every worker then waits)."""
        from firecrawl import Firecrawl

        self._fc = Firecrawl(api_key=api_key or "fc-selfhosted", api_url=api_url.rstrip("/"), timeout=timeout,
                             max_retries=max_retries, backoff_factor=0.5)
        http = self._fc._v2_client.http_client
        http.__class__ = _capped_http_class()  # the SDK's requests calls, read raw and decoded under the cap
        http.max_answer_bytes = max_answer_bytes
        http.throttle = throttle
        self.usage = Usage()
        self.throttle = throttle

    def scrape(self, url: str, *, timeout_ms: int = 30_000) -> ScrapedPage:
        """Scrape one page (markdown, raw HTML, links). 1 credit (or what the response says it cost)."""
        doc = self._call("scrape", lambda: self._fc.scrape(url, formats=["markdown", "rawHtml", "links"],
                                                           only_main_content=False, timeout=timeout_ms))
        meta = _dump(doc.metadata)
        credits = int(meta.get("credits_used") or meta.get("creditsUsed") or 1)
        self.usage.scrape_credits += credits
        return ScrapedPage(url=str(meta.get("url") or meta.get("source_url") or url),
                           status_code=int(meta.get("status_code") or meta.get("statusCode") or 200),
                           html=doc.raw_html or doc.html or "", markdown=doc.markdown or "",
                           links=[str(x) for x in (doc.links or [])], metadata=meta, credits=credits)

    def search(self, query: str, *, limit: int = 5) -> list[SearchHit]:
        """Web search. 2 credits per 10 results asked for."""
        data = self._call("search", lambda: self._fc.search(query, limit=limit, sources=["web"]))
        self.usage.search_credits += 2 * math.ceil(limit / 10)
        hits = []
        for item in data.web or []:
            url = getattr(item, "url", None) or getattr(getattr(item, "metadata", None), "url", None)
            if url:
                hits.append(SearchHit(str(url), getattr(item, "title", "") or "", getattr(item, "description", "") or ""))
        return hits

    def map(self, url: str, *, search: str | None = None, limit: int = 50) -> list[str]:
        """The URLs of a site (optionally those matching `search`). 1 credit."""
        data = self._call("map", lambda: self._fc.map(url, search=search, limit=limit))
        self.usage.scrape_credits += 1
        return [str(link.url) for link in data.links or []]

    def _call(self, what: str, fn: Any) -> Any:
        self.usage.calls.append(what)
        try:
            try:
                return fn()
            except (PermanentError, RetryableError):
                raise
            except Exception as exc:  # noqa: BLE001  every SDK/transport error is classified below
                raise classify(exc, what) from None
        except RetryableError as exc:
            hold = getattr(self.throttle, "hold", None)
            if exc.status == 429 and exc.retry_after and hold is not None:
                hold(exc.retry_after)
            raise


def classify(exc: Exception, what: str) -> Exception:
    """Map a firecrawl-py or requests exception to RetryableError / PermanentError."""
    import requests
    from firecrawl.v2.utils import error_handler as eh

    status = getattr(exc, "status_code", None)
    message = f"Firecrawl {what} failed: {exc}"
    if isinstance(exc, eh.RateLimitError) or status == 429:
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        return RetryableError(message, status=429, retry_after=retry_after_seconds(header, 60.0))
    if isinstance(exc, eh.InternalServerError | eh.RequestTimeoutError) or (status or 0) >= 500:
        return RetryableError(message, status=status)
    if isinstance(exc, requests.RequestException | TimeoutError | ConnectionError):
        return RetryableError(f"Firecrawl {what} unreachable: {type(exc).__name__}: {exc}")
    if isinstance(exc, eh.FirecrawlError):
        return PermanentError(message, status=status, code=getattr(exc, "code", None))
    return PermanentError(f"Firecrawl {what} gave an unexpected answer: {type(exc).__name__}: {exc}")


def _dump(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    if hasattr(meta, "model_dump"):
        return {k: v for k, v in meta.model_dump().items() if v is not None}
    return dict(meta)


@functools.cache
def _capped_http_class() -> type:
    """firecrawl-py's HttpClient whose POST and GET read the answer raw (stream=True) and decode it under
    `max_answer_bytes`; requests would otherwise inflate the whole answer (zstd, brotli too) into memory."""
    import requests
    from firecrawl.v2.utils.http_client import HttpClient

    class CappedHttpClient(HttpClient):
        max_answer_bytes = MAX_ANSWER_BYTES
        throttle: Callable[[], None] | None = None  # before every request (FirecrawlClient sets it)

        def post(self, endpoint: str, data: dict[str, Any], headers: dict[str, str] | None = None,
                 timeout: float | None = None, retries: int | None = None,
                 backoff_factor: float | None = None) -> requests.Response:
            payload = {**data, "origin": data.get("origin") or self.origin}
            return self._retrying("POST", endpoint, headers, timeout, payload, retries, backoff_factor)

        def get(self, endpoint: str, headers: dict[str, str] | None = None, timeout: float | None = None,
                retries: int | None = None, backoff_factor: float | None = None) -> requests.Response:
            return self._retrying("GET", endpoint, headers, timeout, None, retries, backoff_factor)

        def _retrying(self, method: str, endpoint: str, headers: dict[str, str] | None, timeout: float | None,
                      payload: dict[str, Any] | None, retries: int | None,
                      backoff_factor: float | None) -> requests.Response:
            """As the SDK does: a 502 or a transport error is tried again with backoff, up to `retries` tries."""
            attempts = max(1, self.max_retries if retries is None else retries)
            backoff = self.backoff_factor if backoff_factor is None else backoff_factor
            for attempt in range(attempts):
                last = attempt == attempts - 1
                try:
                    response = self._capped(method, endpoint, headers, timeout, payload)
                except requests.RequestException:
                    if last:
                        raise
                else:
                    if response.status_code != 502 or last:
                        return response
                time.sleep(backoff * 2 ** attempt)
            raise AssertionError("unreachable")

        def _capped(self, method: str, endpoint: str, headers: dict[str, str] | None, timeout: float | None,
                    payload: dict[str, Any] | None) -> requests.Response:
            if self.throttle is not None:
                self.throttle()
            sent = {**(headers or self._prepare_headers()), "Accept-Encoding": ACCEPT_ENCODING}
            response = requests.request(method, self._build_url(endpoint), headers=sent, json=payload,
                                        timeout=timeout or self.timeout, stream=True)
            try:
                body, truncated = decode_capped(response.raw.stream(65536, decode_content=False),
                                                response.headers.get("content-encoding"), self.max_answer_bytes)
            except UnsupportedEncoding as exc:
                raise PermanentError(f"Firecrawl answered in an encoding not asked for: {exc}") from None
            except ValueError as exc:
                raise PermanentError(f"Firecrawl's answer could not be decoded: {exc}") from None
            finally:
                response.close()
            if truncated:
                raise PermanentError(f"Firecrawl's answer is larger than {self.max_answer_bytes} bytes; refused")
            response._content, response._content_consumed = body, True
            return response

    return CappedHttpClient
