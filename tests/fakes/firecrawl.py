"""A Firecrawl v2 fake (CONTRACTS.md section 6): POST /v2/scrape, /v2/search, /v2/map with Bearer auth, the
error body {"success": false, "error": ...}, 429 with Retry-After past a per-minute limit, injected failures,
and credit accounting (scrape 1 per page, map 1 per call, search 2 per 10 results asked for).

Pages come from a dict url -> HTML (e.g. tests.fakes.site.pages()); unknown URLs scrape as a 404 document."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from domain.extract import extract


@dataclass
class FakeFirecrawl:
    pages: dict[str, str]
    api_key: str = "fc-test"
    requests_per_minute: int = 1000
    retry_after: int = 3
    fail_next: list[int] = field(default_factory=list)  # statuses to answer next, one per request
    credits_used: int = 0
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    received: int = 0  # every HTTP request, refused ones included
    _window: list[float] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/__health")
        async def health() -> dict[str, str]:
            return {"ok": "yes"}

        @app.post("/v2/{endpoint}")
        async def call(endpoint: str, request: Request) -> JSONResponse:
            self.received += 1
            refused = self._gate(request)
            if refused is not None:
                return refused
            body = await request.json()
            self.requests.append((endpoint, body))
            handler = {"scrape": self._scrape, "search": self._search, "map": self._map}.get(endpoint)
            if handler is None:
                return _error(404, f"Unknown endpoint /v2/{endpoint}")
            if not isinstance(body, dict) or ("url" not in body and "query" not in body):
                return _error(400, "Bad Request", details=[{"message": "url or query is required"}])
            return handler(body)

        return app

    def _gate(self, request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Unauthorized: Invalid token")
        now = time.monotonic()
        self._window = [t for t in self._window if now - t < 60]
        if len(self._window) >= self.requests_per_minute:
            return _error(429, "Rate limit exceeded. Consumed (req/min): "
                          f"{len(self._window)}, Remaining (req/min): 0. Upgrade your plan.",
                          headers={"Retry-After": str(self.retry_after)})
        self._window.append(now)
        if self.fail_next:
            status = self.fail_next.pop(0)
            messages = {402: "Insufficient credits", 500: "Internal server error", 502: "Bad gateway",
                        408: "Request timed out", 403: "This website is no longer supported"}
            return _error(status, messages.get(status, "error"))
        return None

    def _scrape(self, body: dict[str, Any]) -> JSONResponse:
        url = body["url"]
        self.credits_used += 1
        html = self.pages.get(url) or self.pages.get(url.rstrip("/")) or self.pages.get(url.rstrip("/") + "/")
        status = 200 if html is not None else 404
        html = html if html is not None else "<html><head><title>Not found</title></head><body>404</body></html>"
        page = extract(html, url)
        data: dict[str, Any] = {
            "markdown": page.text, "links": [link.href for link in page.links],
            "metadata": {"title": page.title, "description": page.meta.get("description"), "sourceURL": url,
                         "url": url, "statusCode": status, "scrapeId": f"s{self.credits_used}",
                         "contentType": "text/html", "proxyUsed": "basic", "cacheState": "miss",
                         "creditsUsed": 1, "ogSiteName": page.meta.get("og:site_name")}}
        formats = [f if isinstance(f, str) else f.get("type") for f in body.get("formats") or ["markdown"]]
        if "rawHtml" in formats:
            data["rawHtml"] = html
        if "html" in formats:
            data["html"] = html
        return JSONResponse({"success": True, "data": data})

    def _search(self, body: dict[str, Any]) -> JSONResponse:
        limit = int(body.get("limit") or 5)
        self.credits_used += 2 * math.ceil(limit / 10)
        words = [w for w in re.findall(r"\w+", body["query"].lower()) if len(w) > 2]
        hits = []
        for url, html in self.pages.items():
            page = extract(html, url)
            text = (page.title + " " + page.text).lower()
            if words and all(w in text for w in words):
                hits.append({"url": url, "title": page.title, "description": page.meta.get("description", ""),
                             "position": len(hits) + 1})
        return JSONResponse({"success": True, "data": {"web": hits[:limit], "news": [], "images": []},
                             "creditsUsed": 2 * math.ceil(limit / 10)})

    def _map(self, body: dict[str, Any]) -> JSONResponse:
        self.credits_used += 1
        root = body["url"].rstrip("/")
        search = (body.get("search") or "").lower()
        links = [{"url": u, "title": extract(h, u).title} for u, h in self.pages.items()
                 if u.startswith(root) and (not search or search in u.lower())]
        return JSONResponse({"success": True, "links": links[: int(body.get("limit") or 5000)]})


def _error(status: int, message: str, *, details: Any = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"success": False, "error": message}
    if details is not None:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)
