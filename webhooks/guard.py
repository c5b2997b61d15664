"""ASGI guards for every HTTP request of the app, Chainlit's routes included. The body size is counted while it
is received (bytes of `receive()`), so an oversized body is answered 413 as soon as it passes the limit, before
any route buffers or parses it (a declared Content-Length over the limit is refused before a byte is read).

Uploads to Chainlit (`/project/file`) get the upload limit of .chainlit/config.toml; every other route gets
`max_body_bytes`. Every answer carries the security headers (CSP with images from our own origin only,
frame-ancestors, Referrer-Policy, nosniff, HSTS behind https) and, behind https, Secure cookies; Chainlit's
CORS answers only the public URL's origin; a websocket from another origin is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

UPLOAD_PATHS = ("/project/file",)


class _TooLarge(Exception):
    pass


def _declared_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() and len(text) < 19 else -1
    return None


async def _answer(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """413 for a body over `limit_for(scope)` bytes, counted while receiving; 400 for a malformed length."""

    def __init__(self, app: Any, limit_for: Callable[[dict[str, Any]], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _declared_length(scope)
        if declared is not None and declared < 0:
            await _answer(send, 400, "malformed Content-Length")
            return
        if declared is not None and declared > limit:
            await _answer(send, 413, f"request body larger than {limit} bytes")
            return
        state = {"received": 0, "started": False, "refused": False}

        async def counted_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    if not state["started"]:
                        state["refused"] = True
                        await _answer(send, 413, f"request body larger than {limit} bytes")
                    raise _TooLarge
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            if state["refused"]:
                return  # the 413 went out already; what the route says after is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["refused"]:  # refused: the 413 stands, whatever error the route made of it
                raise


def chainlit_upload_limit() -> int:
    """Bytes of one Chainlit upload request: max_files x max_size_mb from its config (plus form overhead)."""
    import sys

    if "chainlit.config" not in sys.modules:  # the companion endpoint alone: no upload route (and no import)
        return 0
    try:
        from chainlit.config import config

        upload = config.features.spontaneous_file_upload
        per_file = int((upload.max_size_mb if upload else 20) or 20)
        files = int((upload.max_files if upload else 1) or 1)
    except (AttributeError, TypeError, ValueError):
        return 20 * 1024 * 1024
    return per_file * files * 1024 * 1024 + 64 * 1024


def default_limit_for(max_body_bytes: Callable[[], int]) -> Callable[[dict[str, Any]], int]:
    upload = chainlit_upload_limit()

    def limit_for(scope: dict[str, Any]) -> int:
        path = scope.get("path", "")
        if upload and path.startswith(UPLOAD_PATHS):
            return upload
        return max_body_bytes()

    return limit_for


def install(app: Any) -> None:
    """Add the body guard and the security headers once; limit Chainlit's CORS to the public URL."""
    if getattr(app.state, "mkt_body_limit", False):
        return
    from settings import get_settings

    app.add_middleware(BodyLimitMiddleware, limit_for=default_limit_for(lambda: get_settings().max_body_bytes))
    app.add_middleware(SecurityHeadersMiddleware, public_url=lambda: get_settings().public_url)
    limit_cors(get_settings().public_url)
    import sys

    if "chainlit.config" in sys.modules:  # chat logins: revoked tokens refused, login attempts throttled
        from webhooks import sessions

        sessions.install(app)
    app.state.mkt_body_limit = True


# --- security headers, cookies, origins -----------------------------------------------------------------------

# Chainlit's page needs its inline scripts (and its bundles use Function()), Google Fonts and KaTeX's stylesheet.
# Images only from our own origin (a Markdown image that slipped through still cannot reach another host).
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
       "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com https://cdn.jsdelivr.net; "
       "font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net; img-src 'self' data: blob:; "
       "media-src 'self' blob:; connect-src 'self' ws: wss:; worker-src 'self' blob:; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
HSTS = "max-age=31536000; includeSubDomains"


def _origin(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key == name:
            return value.decode("latin-1")
    return None


def same_origin(scope: dict[str, Any], allowed: str) -> bool:
    """A request without Origin (not a browser's cross-site call), or from our public URL or the host it came to."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True
    origin = origin.strip().lower()
    host = (_header(scope, b"host") or "").lower()
    return origin == allowed or (bool(host) and origin.split("://", 1)[-1] == host)


class SecurityHeadersMiddleware:
    """Every HTTP answer (pages, API, webhooks, Chainlit's) gets CSP, frame-ancestors/X-Frame-Options,
    Referrer-Policy, nosniff, and HSTS plus Secure cookies when the public URL is https. A websocket from another
    origin is refused (the chat's socket authenticates with the cookie)."""

    def __init__(self, app: Any, public_url: Callable[[], str]) -> None:
        self.app = app
        self.public_url = public_url

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        allowed = _origin(self.public_url())
        if scope["type"] == "websocket" and not same_origin(scope, allowed):
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path", "").startswith("/ws/") and not same_origin(scope, allowed):
            await _answer(send, 403, "cross-origin socket refused")
            return
        https = allowed.startswith("https://")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(list(message.get("headers") or []), https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secured(headers: list[tuple[bytes, bytes]], https: bool) -> list[tuple[bytes, bytes]]:
    present = {k.lower() for k, _ in headers}
    wanted = [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
              (b"referrer-policy", b"no-referrer"), (b"x-content-type-options", b"nosniff")]
    if https:
        wanted.append((b"strict-transport-security", HSTS.encode()))
        headers = [(k, v + b"; Secure") if k.lower() == b"set-cookie" and b"secure" not in v.lower() else (k, v)
                   for k, v in headers]
    return headers + [(k, v) for k, v in wanted if k not in present]


def limit_cors(public_url: str) -> None:
    """Chainlit's CORS middleware (credentials allowed) answers only our public URL's origin, not any Origin.
    Its list is read when the middleware stack is built (the first request), so this runs before serving."""
    import sys

    if "chainlit.config" not in sys.modules:
        return
    from chainlit.config import config

    origins = config.project.allow_origins
    if origins is not None and (not origins or "*" in origins):
        origins[:] = [_origin(public_url)]
