"""ASGI middleware for every HTTP request of the app (Chainlit's routes and ours): a request id (taken from a
well-formed X-Request-Id header, else generated) in the logs and in the response header, one log line per request
(method, route template, status, duration; never path parameters, the query string or the body), and the request counters of /metrics.
Websocket and lifespan traffic passes through untouched."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from ops.logging import request_id_var
from ops.metrics import http_requests, http_seconds
from ops.observability import tracer

log = logging.getLogger("mkt.http")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_QUIET = ("/healthz", "/readyz", "/metrics", "/assets/", "/favicon", "/logo", "/public/", "/avatars/", "/ws/")


def _incoming_id(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _VALID_ID.match(text):
                return text
    return uuid.uuid4().hex


def _route_label(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = {"code": 500}
        span = tracer().start_span(f"HTTP {scope.get('method', '')}", attributes={"http.request.method":
                                                                               scope.get("method", "")})

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._observe(scope, status["code"], time.perf_counter() - started)
            route = _route_label(scope)
            span.update_name(f"{scope.get('method', '')} {route}")  # the template: no ids or tokens of the path
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status["code"])
            span.set_attribute("mkt.request_id", request_id)
            span.end()
            request_id_var.reset(token)

    @staticmethod
    def _observe(scope: dict[str, Any], status: int, seconds: float) -> None:
        method, path, route = scope.get("method", ""), scope.get("path", ""), _route_label(scope)
        http_requests.labels(method, route, str(status)).inc()
        http_seconds.labels(method, route).observe(seconds)
        quiet = method == "GET" and status < 400 and (path == "/" or path.startswith(_QUIET))
        # the route template, not the path: path parameters (unsubscribe tokens, ids) stay out of the logs
        where = {"route": route} if route != "unmatched" else {"route": route, "path": path[:200]}
        log.log(logging.DEBUG if quiet else logging.INFO, "request", extra={
            "method": method, **where, "status": status, "duration_ms": round(seconds * 1000, 1)})


def install(app: Any) -> None:
    """Add the middleware to a Starlette/FastAPI app once (before it starts serving)."""
    if getattr(app.state, "mkt_request_context", False):
        return
    app.add_middleware(RequestContextMiddleware)
    app.state.mkt_request_context = True
