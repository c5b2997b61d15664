"""Chat logins: throttled per account and per client address (domain/login_throttle.py: exponential back-off,
429 with Retry-After, an audit log line for every refusal and block), and a token ended by logout refused on
every route and on the chat socket until it would have expired (tools/sessions.py).

`SessionGuardMiddleware` wraps the whole app: it records the client address of the request (the password
callback has only the username and password) and answers 401 for a revoked token, from the cookie or an
Authorization: Bearer header."""

from __future__ import annotations

import contextvars
import logging
import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool

from domain.login_throttle import LoginThrottle

audit = logging.getLogger("mkt.audit")
client_address: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="unknown")
# set per /login request by the middleware: the password callback says here that the attempt was throttled
# (Chainlit turns any exception of the callback into a 401, so the 429 is written by the middleware)
login_outcome: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("login_outcome", default=None)
_THROTTLE = LoginThrottle()
_LOCK = threading.Lock()
_STATIC = ("/assets/", "/public/", "/favicon", "/logo", "/avatars/", "/healthz", "/readyz")
_CHECKED: dict[str, float] = {}  # token hash -> until when "not revoked" is trusted without asking the database
_REVOKED: set[str] = set()
TRUST_SECONDS = 5.0
UPLOADS = ("/project/file",)  # bodies up to Chainlit's upload limit: refused before reading without a valid login


def _keys(username: str) -> list[tuple[str, str]]:
    return [("account", (username or "").strip().lower()[:320]), ("address", client_address.get())]


def before_login(username: str) -> bool:
    """False while the account or the client address is blocked: the caller refuses without checking the
    password, and the answer becomes a 429 with Retry-After."""
    with _LOCK:
        wait = _THROTTLE.retry_after(_keys(username), time.monotonic())
    if wait <= 0:
        return True
    audit.warning("login throttled", extra={"account": username[:320], "client": client_address.get(),
                                            "retry_after_s": math.ceil(wait)})
    outcome = login_outcome.get()
    if outcome is not None:
        outcome["retry_after"] = math.ceil(wait)
    return False


def after_login(username: str, ok: bool) -> None:
    keys = _keys(username)
    with _LOCK:
        if ok:
            _THROTTLE.succeeded(keys[:1])
            return
        blocked = _THROTTLE.failed(keys, time.monotonic())
        failures = _THROTTLE.failures(keys[0])
    audit.warning("login failed", extra={"account": username[:320], "client": client_address.get(),
                                         "failures": failures, "blocked_s": math.ceil(blocked)})


# --- logout revokes the token -----------------------------------------------------------------------------------

def _token_of(headers: list[tuple[bytes, bytes]]) -> str | None:
    cookies: dict[str, str] = {}
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip() and not token.startswith("mkt_"):  # not an API key
                return token.strip()
        elif name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                cookies[key] = val
    try:
        from chainlit.auth.cookie import get_token_from_cookies

        return get_token_from_cookies(cookies)
    except ImportError:  # the companion endpoint alone: no chat tokens
        return None


def revoke_request_token(cookies: dict[str, str], authorization: str | None) -> bool:
    """Logout: store the request's token (if it is a valid one of ours) as revoked until its expiry."""
    import jwt
    from chainlit.auth.cookie import get_token_from_cookies
    from chainlit.auth.jwt import get_jwt_secret

    from db.session import unit_of_work
    from tools.sessions import revoke_token, token_hash

    token = get_token_from_cookies(cookies)
    if not token and authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    if not token:
        return False
    try:
        claims = jwt.decode(token, get_jwt_secret(), algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return False
    expires = datetime.fromtimestamp(int(claims.get("exp") or time.time() + 86400 * 30), UTC)
    with unit_of_work() as uow:
        revoke_token(uow.session, token, expires)
    _REVOKED.add(token_hash(token))
    audit.info("logout", extra={"account": str(claims.get("identifier", ""))[:320]})
    return True


def _signed(token: str | None) -> bool:
    """Is `token` one of ours (signature and expiry), without any database look-up?"""
    if not token:
        return False
    import jwt
    from chainlit.auth.jwt import get_jwt_secret

    try:
        jwt.decode(token, get_jwt_secret(), algorithms=["HS256"])
    except jwt.InvalidTokenError:
        return False
    return True


def _revoked(token: str) -> bool:
    from db.session import unit_of_work
    from tools.sessions import is_revoked, token_hash

    digest = token_hash(token)
    if digest in _REVOKED:
        return True
    if _CHECKED.get(digest, 0) > time.monotonic():
        return False
    with unit_of_work() as uow:
        revoked = is_revoked(uow.session, digest)
    if revoked:
        _REVOKED.add(digest)
    else:
        if len(_CHECKED) > 10_000:
            _CHECKED.clear()
        _CHECKED[digest] = time.monotonic() + TRUST_SECONDS
    return revoked


class SessionGuardMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        reset = client_address.set(client[0] if client else "unknown")
        try:
            token = None if scope.get("path", "").startswith(_STATIC) else _token_of(scope.get("headers") or [])
            if token and await run_in_threadpool(_revoked, token):
                await _refuse(scope, send)
                return
            if scope.get("path", "").startswith(UPLOADS) and not _signed(token):
                await _refuse(scope, send)  # a large upload is read only for a valid login, never before auth
                return
            if scope["type"] == "http" and scope.get("path") == "/login":
                await self._login(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            client_address.reset(reset)

    async def _login(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        outcome: dict[str, Any] = {}
        reset = login_outcome.set(outcome)

        async def send_429_if_throttled(message: dict[str, Any]) -> None:
            if "retry_after" not in outcome:
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                await _answer_429(send, outcome["retry_after"])

        try:
            await self.app(scope, receive, send_429_if_throttled)
        finally:
            login_outcome.reset(reset)


async def _answer_429(send: Any, retry_after: int) -> None:
    body = b'{"detail":"too many failed logins: try again later"}'
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(retry_after).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _refuse(scope: dict[str, Any], send: Any) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b'{"detail":"log in first (or again, after a logout)"}'
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install(app: Any) -> None:
    if getattr(app.state, "mkt_session_guard", False):
        return
    app.add_middleware(SessionGuardMiddleware)
    app.state.mkt_session_guard = True
