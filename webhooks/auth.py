"""Authenticity and input hygiene for the companion endpoint: body-size limits, JSON parsing with clear
4xx answers, HMAC signature checks (constant-time), URL tokens and the n8n API-key dependency."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from settings import get_settings


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


async def read_body(request: Request, limit: int | None = None) -> bytes:
    """The raw body, refused with 413 past `limit` bytes (Content-Length first, then while streaming)."""
    limit = limit or get_settings().max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does the JSON nest arrays/objects deeper than `limit`? (Checked before parsing: a deep document is a
    RecursionError in the parser or in any code that walks it.)"""
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def parse_json(body: bytes, *, want: type | tuple[type, ...] = dict) -> Any:
    """Decode a JSON body or answer 400 saying why; `want` is the expected top-level type. Documents nested
    deeper than MAX_JSON_DEPTH are refused with 400."""
    if not body.strip():
        raise HTTPException(400, "empty body: a JSON document is expected")
    if json_too_deep(body):
        raise HTTPException(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(data, want):
        names = " or ".join(t.__name__ for t in (want if isinstance(want, tuple) else (want,)))
        raise HTTPException(422, f"JSON body must be a {names.replace('dict', 'object').replace('list', 'array')}")
    return data


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same(expected: str, given: str | None) -> bool:
    """Constant-time string comparison; a missing value never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def verify_chatwoot(secret: str, timestamp: str | None, body: bytes, signature: str | None, *,
                    window: int, now: float | None = None) -> str | None:
    """None when X-Chatwoot-Signature (sha256=HMAC(secret, "{ts}.{body}")) is valid and fresh, else the reason."""
    if not signature or not timestamp:
        return "missing X-Chatwoot-Signature or X-Chatwoot-Timestamp header"
    if not re.fullmatch(r"[0-9]{1,12}", timestamp.strip()):
        return "X-Chatwoot-Timestamp is not a unix time"
    ts = int(timestamp.strip())
    if abs((now or time.time()) - ts) > window:
        return f"stale request: timestamp outside the {window} s replay window"
    expected = "sha256=" + hmac_sha256_hex(secret, timestamp.encode() + b"." + body)
    return None if same(expected, signature.strip()) else "invalid signature"


def verify_calcom(secret: str, body: bytes, signature: str | None) -> str | None:
    """None when X-Cal-Signature-256 (hex HMAC-SHA256 of the raw body) is valid, else the reason."""
    if not signature or signature == "no-secret-provided":
        return "missing X-Cal-Signature-256 (set the same secret on the Cal.com webhook)"
    return None if same(hmac_sha256_hex(secret, body), signature.strip().lower()) else "invalid signature"


def refuse(reason: str, status: int = 401) -> HTTPException:
    return HTTPException(status, reason)


# --- n8n API keys ------------------------------------------------------------------------------

_api_key_header = APIKeyHeader(name="X-Api-Key", auto_error=False,
                               description="An API key from `mkt api-keys create` (or Authorization: Bearer <key>).")
_bearer = HTTPBearer(auto_error=False)


def _verify(key: str):
    from db.session import unit_of_work
    from tools.api_keys import verify_api_key

    with unit_of_work() as uow:
        return verify_api_key(uow.session, key)


def require_scope(scope: str) -> Callable[..., Any]:
    """A dependency that admits a request carrying a valid, unrevoked key holding `scope`.
    Missing key: 401; wrong or revoked key: 401; key without the scope: 403."""

    async def dependency(header_key: str | None = Depends(_api_key_header),
                         bearer: HTTPAuthorizationCredentials | None = Depends(_bearer)):
        key = header_key or (bearer.credentials if bearer else None)
        if not key:
            raise HTTPException(401, "an API key is required (X-Api-Key header or Authorization: Bearer)",
                                headers={"WWW-Authenticate": "Bearer"})
        verified = await run_in_threadpool(_verify, key)
        if verified is None:
            raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        if scope not in verified.scopes:
            raise HTTPException(403, f"this API key lacks the '{scope}' scope")
        return verified

    return dependency
