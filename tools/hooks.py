"""REST hooks: automation tools (n8n, Zapier, Make) subscribe themselves to outbound events through the API with
a key holding the `hooks:write` scope, instead of an admin adding a subscription on the CLI.

A hook is an outbound_subscriptions row owned by the key that made it (`api_key_id`): a key sees and deletes only
its own hooks, and its hooks stop when it is revoked or expires. Deliveries take the ordinary outbound path
(tools/outbound.py: rows, queue, retries, Standard Webhooks signature, SSRF guard with DNS pinning); a 410 Gone
answer from the target ends the hook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import OutboundSubscription, utcnow
from domain.roles import PermissionDenied
from tools.outbound import OutboundError, check_events, check_url, new_secret

SCOPE = "hooks:write"
MAX_HOOKS_PER_KEY = 25


class HookKey(Protocol):
    """The API key asking (tools.api_keys.VerifiedKey)."""

    id: int
    scopes: frozenset[str]


class HookNotFound(LookupError):
    """No active hook with this id belongs to the key."""


@dataclass(frozen=True)
class Hook:
    id: int
    target_url: str
    events: list[str]
    active: bool
    created_at: datetime


def _hook(row: OutboundSubscription) -> Hook:
    return Hook(row.id, row.url, list(row.events or []), row.active, row.created_at)


def _require(key: HookKey) -> None:
    if SCOPE not in key.scopes:
        raise PermissionDenied(f"this API key lacks the '{SCOPE}' scope")


def _owned(key: HookKey):
    return (sa.select(OutboundSubscription)
            .where(OutboundSubscription.api_key_id == key.id, OutboundSubscription.active.is_(True)))


def create_hook(session: Session, key: HookKey, target_url: str, events: list[str]) -> tuple[Hook, str]:
    """Send `events` (at least one, from tools.outbound.EVENTS) to `target_url`, a public http(s) URL (the
    outbound SSRF guard). Needs hooks:write; at most MAX_HOOKS_PER_KEY active hooks per key. Returns the hook and
    its Standard Webhooks secret (`whsec_...`), shown this once. Raises OutboundError for a bad URL, event or
    too many hooks."""
    _require(key)
    wanted = check_events(events)
    if not wanted:
        raise OutboundError("name at least one event to subscribe to")
    url = check_url(target_url)
    active = session.scalar(sa.select(sa.func.count()).select_from(_owned(key).subquery()))
    if active >= MAX_HOOKS_PER_KEY:
        raise OutboundError(f"this key already has {active} hooks (the limit is {MAX_HOOKS_PER_KEY}): delete one")
    row = OutboundSubscription(url=url, events=wanted, secret=new_secret(), active=True, created_at=utcnow(),
                               api_key_id=key.id)
    session.add(row)
    session.flush()
    return _hook(row), row.secret


def list_hooks(session: Session, key: HookKey) -> list[Hook]:
    """The key's active hooks, oldest first. Needs hooks:write."""
    _require(key)
    return [_hook(row) for row in session.scalars(_owned(key).order_by(OutboundSubscription.id))]


def delete_hook(session: Session, key: HookKey, hook_id: int) -> Hook:
    """End one of the key's hooks: nothing more is sent to it (pending deliveries stop; the delivery log stays).
    Needs hooks:write. Raises HookNotFound when the key has no such active hook."""
    _require(key)
    row = session.scalar(_owned(key).where(OutboundSubscription.id == hook_id))
    if row is None:
        raise HookNotFound(f"no hook {hook_id} for this key")
    row.active = False
    session.flush()
    return _hook(row)
