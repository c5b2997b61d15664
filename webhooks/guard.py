"""ASGI guard for every HTTP request of the app, Chainlit's routes included: the body size is counted while it
is received (bytes of `receive()`), so an oversized body is answered 413 as soon as it passes the limit, before
any route buffers or parses it (a declared Content-Length over the limit is refused before a byte is read).

Uploads to Chainlit (`/project/file`) get the upload limit of .chainlit/config.toml; every other route gets
`max_body_bytes`."""

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
    """Add the body guard once, outermost of our middleware."""
    if getattr(app.state, "mkt_body_limit", False):
        return
    from settings import get_settings

    app.add_middleware(BodyLimitMiddleware, limit_for=default_limit_for(lambda: get_settings().max_body_bytes))
    app.state.mkt_body_limit = True
