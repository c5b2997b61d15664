"""API keys for n8n and scripts: created and revoked by admins, shown once, stored hashed, scoped.

A key looks like `mkt_<prefix>.<secret>`: the prefix (random, shown in lists) finds the row; the sha256 of the
whole key (the secret has 256 bits of entropy, so a fast hash is enough) proves it, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import ApiKey, utcnow
from domain.roles import Permission, require
from tools.users import Actor

SCOPES = ("contacts:read", "contacts:write", "enrichment:write", "events:read", "hooks:write")
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()
_TOUCH_EVERY = timedelta(minutes=1)


class ApiKeyError(ValueError):
    """A request about API keys that cannot be honoured (unknown scope, unknown key)."""


@dataclass(frozen=True)
class ApiKeyView:
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


@dataclass(frozen=True)
class CreatedApiKey:
    """The new key. `key` is shown this once and never stored."""

    view: ApiKeyView
    key: str


@dataclass(frozen=True)
class VerifiedKey:
    id: int
    name: str
    scopes: frozenset[str]


def _view(row: ApiKey) -> ApiKeyView:
    return ApiKeyView(row.id, row.name, row.prefix, list(row.scopes or []), row.created_at, row.last_used_at,
                      row.revoked_at, row.expires_at)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(scopes: list[str] | str) -> list[str]:
    """Validate scopes (a list, or a comma/space separated string); 'all' means every scope."""
    items = scopes.replace(",", " ").split() if isinstance(scopes, str) else [s.strip() for s in scopes]
    if items == ["all"]:
        return list(SCOPES)
    unknown = [s for s in items if s not in SCOPES]
    if unknown or not items:
        raise ApiKeyError(f"unknown or missing scopes {unknown or items}: choose from {', '.join(SCOPES)} (or all)")
    return sorted(set(items), key=SCOPES.index)


def parse_expiry(text: str | None) -> timedelta | None:
    """'90d', '12h', '2w', '30m' (or a bare number of days) -> a duration; None or '' or 'never' -> None."""
    value = (text or "").strip().lower()
    if value in ("", "never", "none"):
        return None
    match = re.fullmatch(r"(\d{1,5})\s*([mhdw]?)", value)
    if not match or int(match.group(1)) == 0:
        raise ApiKeyError(f"expiry {text!r} not understood: give e.g. 90d, 12h, 2w or 30m")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "": "days"}[match.group(2)]
    return timedelta(**{unit: int(match.group(1))})


def create_api_key(session: Session, actor: Actor, *, name: str, scopes: list[str] | str,
                   expires_in: timedelta | str | None = None) -> CreatedApiKey:
    """Create an API key named `name` holding `scopes` (contacts:read, contacts:write, enrichment:write,
    events:read, hooks:write (REST hooks, tools/hooks.py), or 'all'), valid for `expires_in` (e.g. '90d'; None:
    until revoked). Admins only. The returned `key` is shown once: only its hash is kept."""
    require(actor.role, Permission.ADMIN, "create API keys")
    name = (name or "").strip()
    if not name:
        raise ApiKeyError("an API key needs a name (who or what uses it, e.g. 'n8n')")
    prefix = "mkt_" + secrets.token_hex(6)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    lasts = parse_expiry(expires_in) if isinstance(expires_in, str) else expires_in
    now = utcnow()
    row = ApiKey(name=name[:200], prefix=prefix, key_hash=_hash(key), scopes=parse_scopes(scopes),
                 created_by_id=actor.user_id, created_at=now, expires_at=now + lasts if lasts else None)
    session.add(row)
    session.flush()
    return CreatedApiKey(_view(row), key)


def list_api_keys(session: Session, actor: Actor, *, include_revoked: bool = True) -> list[ApiKeyView]:
    """Every API key (name, prefix, scopes, last use, revoked or not); never the secret. Admins only."""
    require(actor.role, Permission.ADMIN, "list API keys")
    stmt = sa.select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return [_view(row) for row in session.scalars(stmt)]


def _find(session: Session, ref: str | int) -> ApiKey:
    text = str(ref).strip()
    clauses = [ApiKey.prefix == text.split(".")[0], ApiKey.name == text]
    if text.isdigit():
        clauses.append(ApiKey.id == int(text))
    rows = list(session.scalars(sa.select(ApiKey).where(sa.or_(*clauses))))
    if not rows:
        raise ApiKeyError(f"no API key matches {text!r} (give its id, prefix or name)")
    if len(rows) > 1:
        raise ApiKeyError(f"{len(rows)} API keys match {text!r}: give the id or prefix instead")
    return rows[0]


def revoke_api_key(session: Session, actor: Actor, ref: str | int) -> ApiKeyView:
    """Revoke the key with this id, prefix or name; it stops working at once. Admins only. Idempotent."""
    require(actor.role, Permission.ADMIN, "revoke API keys")
    row = _find(session, ref)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return _view(row)


def verify_api_key(session: Session, key: str) -> VerifiedKey | None:
    """The key's id, name and scopes when `key` is valid, not revoked and not expired, else None. The hash is
    compared in constant time, and an unknown prefix costs the same comparison."""
    prefix = key.split(".", 1)[0] if key.startswith("mkt_") and "." in key else ""
    row = session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    ok = hmac.compare_digest(row.key_hash if row else _DUMMY_HASH, _hash(key))
    now = utcnow()
    if row is None or not ok or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        row.last_used_at = now
    return VerifiedKey(row.id, row.name, frozenset(row.scopes or []))
