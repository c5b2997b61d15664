"""Outbound events for two-way sync (n8n): contact.created, contact.updated, contact.opted_out, contact.deleted,
reply.received, booking.created, campaign.completed, enrichment.approved.

`emit(session, event, payload)` writes one outbound_deliveries row per matching active subscription and
enqueues `outbound.deliver` once the session commits (dropped on rollback). Each delivery is a JSON POST
signed with the subscription's secret in the Standard Webhooks format (https://www.standardwebhooks.com), so
receivers can use a ready-made verifier:

    webhook-id: msg_<delivery id>          (the same on every retry: receivers dedupe by it)
    webhook-timestamp: <unix seconds>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{raw body}")>

where the key is the base64-decoded part of the `whsec_...` secret (`standard_secret`: a subscription made
before this format has a plain secret, whose bytes are the key). For one release the old header is sent too:

    X-Mkt-Signature: sha256=<hex HMAC-SHA256(secret as stored, "{X-Mkt-Timestamp}.{raw body}")>

Retried with exponential backoff up to `outbound_max_attempts` (a 410 Gone answer ends the delivery at once and,
for a REST hook made through the API (tools/hooks.py), the hook too); every attempt
updates the delivery log (status, attempts, last status code, last error)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.jobs import enqueue
from db.models import ApiKey, OutboundDelivery, OutboundSubscription, utcnow
from domain.roles import Permission, require
from settings import get_settings
from tools.users import Actor

EVENTS = ("contact.created", "contact.updated", "contact.opted_out", "contact.deleted", "reply.received",
          "booking.created", "campaign.completed", "enrichment.approved")
# Where each event's payload names a contact (a JSON path): erasing a contact deletes those deliveries, sent or not,
# since they carry the person's name, address or words. campaign.completed names nobody; contact.deleted is the
# erase's own notice (its id only).
CONTACT_PATH: dict[str, tuple[str, ...]] = {
    "contact.created": ("id",), "contact.updated": ("id",), "contact.opted_out": ("contact", "id"),
    "reply.received": ("contact", "id"), "booking.created": ("contact_id",), "enrichment.approved": ("contact_id",)}
NAMES_NOBODY = ("campaign.completed", "contact.deleted")
SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
BASE_BACKOFF_S = 10
MAX_BACKOFF_S = 3600


class OutboundError(ValueError):
    """A subscription that cannot be accepted (bad URL, unknown event)."""


@dataclass(frozen=True)
class SubscriptionView:
    id: int
    url: str
    events: list[str]
    active: bool


@dataclass(frozen=True)
class PreparedDelivery:
    id: int
    url: str
    secret: str
    event: str
    body: bytes
    attempts: int


def _view(row: OutboundSubscription) -> SubscriptionView:
    return SubscriptionView(row.id, row.url, list(row.events or []), row.active)


# --- URL guard (SSRF) -----------------------------------------------------------------------------

def _address_problem(host: str) -> str | None:
    """Why `host` may not receive events (unknown name, or an address that is not public), or None."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return f"cannot resolve {host}: check the URL (outbound events go to public URLs only)"
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return f"{host} is not a public address: outbound events go to public URLs only"
    return None


def check_url(url: str) -> str:
    """Refuse anything but http(s) URLs to public hosts (loopback and private networks only when
    MKT_OUTBOUND_ALLOW_LOOPBACK is set, for tests)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(f"not an http(s) URL: {url!r}")
    if parts.username or parts.password:
        raise OutboundError("put credentials in the receiving workflow, not in the URL")
    problem = None if get_settings().outbound_allow_loopback else _address_problem(parts.hostname)
    if problem:
        raise OutboundError(problem)
    return url.strip()


def check_events(events: list[str] | None) -> list[str]:
    """The events, each known, without repeats (refused with OutboundError otherwise)."""
    unknown = [e for e in events or [] if e not in EVENTS]
    if unknown:
        raise OutboundError(f"unknown events {unknown}: choose from {', '.join(EVENTS)}")
    return list(dict.fromkeys(events or []))


# --- subscriptions ----------------------------------------------------------------------------------

def add_subscription(session: Session, actor: Actor, url: str, *, events: list[str] | None = None
                     ) -> tuple[SubscriptionView, str]:
    """Send `events` (default: every event) to `url`. Admins only. Returns the subscription and its signing
    secret (`whsec_...`), shown once here (the receiver needs it to check webhook-signature)."""
    require(actor.role, Permission.ADMIN, "add outbound event subscriptions")
    row = OutboundSubscription(url=check_url(url), events=check_events(events), secret=new_secret(),
                               active=True, created_at=utcnow())
    session.add(row)
    session.flush()
    return _view(row), row.secret


def list_subscriptions(session: Session, actor: Actor) -> list[SubscriptionView]:
    """Every outbound subscription (URL, events, active). Admins only."""
    require(actor.role, Permission.ADMIN, "list outbound event subscriptions")
    return [_view(r) for r in session.scalars(sa.select(OutboundSubscription).order_by(OutboundSubscription.id))]


def remove_subscription(session: Session, actor: Actor, subscription_id: int) -> SubscriptionView:
    """Deactivate a subscription (its delivery log stays). Admins only."""
    require(actor.role, Permission.ADMIN, "remove outbound event subscriptions")
    row = session.get(OutboundSubscription, subscription_id)
    if row is None:
        raise OutboundError(f"no outbound subscription {subscription_id}")
    row.active = False
    session.flush()
    return _view(row)


# --- emit ---------------------------------------------------------------------------------------------

def emit(session: Session, event: str, payload: dict[str, Any]) -> list[int]:
    """Record `event` (one of EVENTS) with a JSON-able `payload` for every active subscription that wants it,
    and enqueue the deliveries after the session commits. Returns the delivery ids (empty: nobody listens)."""
    return emit_many(session, event, [payload])


def emit_many(session: Session, event: str, payloads: list[dict[str, Any]]) -> list[int]:
    """`emit` for many payloads of one event (an import, a bulk update): one subscription query, one flush."""
    if event not in EVENTS:
        raise ValueError(f"unknown outbound event {event!r}")
    subs = [s for s in session.scalars(_live_subscriptions()) if not s.events or event in s.events]
    if not subs or not payloads:
        return []
    now = utcnow()
    rows = [OutboundDelivery(subscription_id=s.id, event=event, payload=_jsonable(p), status="pending", attempts=0,
                             next_attempt_at=now, created_at=now) for p in payloads for s in subs]
    session.add_all(rows)
    session.flush()
    ids = [r.id for r in rows]
    for delivery_id in ids:
        enqueue(session, "outbound.deliver", delivery_id)
    return ids


def naming_contact(contact_id: int) -> Any:
    """The deliveries whose payload names contact `contact_id` (CONTACT_PATH), as a WHERE clause."""
    D = OutboundDelivery
    return sa.or_(*[sa.and_(D.event == event, D.payload[path if len(path) > 1 else path[0]].as_integer() == contact_id)
                    for event, path in CONTACT_PATH.items()])


def forget_contact(session: Session, contact_id: int) -> int:
    """Delete every delivery that names contact `contact_id`, whatever its status: the log keeps no copy of an
    erased person, and nothing still pending sends them out again. The count deleted."""
    return session.execute(sa.delete(OutboundDelivery).where(naming_contact(contact_id))
                           .execution_options(synchronize_session=False)).rowcount


def _key_live():
    """The owning API key (of a REST hook) is neither revoked nor expired."""
    return sa.and_(ApiKey.revoked_at.is_(None), sa.or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > utcnow()))


def _live_subscriptions():
    """Active subscriptions, less REST hooks whose API key was revoked or expired (they stop with the key)."""
    return (sa.select(OutboundSubscription)
            .outerjoin(ApiKey, ApiKey.id == OutboundSubscription.api_key_id)
            .where(OutboundSubscription.active.is_(True),
                   sa.or_(OutboundSubscription.api_key_id.is_(None), _key_live())))


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(payload, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


# --- delivery (called by workers/outbound.py, each step in its own unit of work) ----------------------

def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _signing_key(secret: str) -> bytes:
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def standard_secret(secret: str) -> str:
    """The `whsec_` form of a stored secret, for a Standard Webhooks verifier (a plain secret of a subscription
    made before that format becomes whsec_ + base64 of its bytes: the same key)."""
    return SECRET_PREFIX + base64.b64encode(_signing_key(secret)).decode()


def message_id(delivery_id: int) -> str:
    """The webhook-id of a delivery: the same on every attempt."""
    return f"msg_{delivery_id}"


def sign_standard(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """The webhook-signature value: v1,<base64 HMAC-SHA256(key, "{msg_id}.{timestamp}.{body}")>."""
    digest = hmac.new(_signing_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The legacy X-Mkt-Signature value: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")> (kept for one
    release beside webhook-signature)."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_headers(prepared: PreparedDelivery, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers and the legacy X-Mkt-* ones for one attempt."""
    ts, msg_id = str(timestamp), message_id(prepared.id)
    return {"webhook-id": msg_id, "webhook-timestamp": ts,
            "webhook-signature": sign_standard(prepared.secret, msg_id, ts, prepared.body),
            "X-Mkt-Event": prepared.event, "X-Mkt-Delivery": str(prepared.id), "X-Mkt-Timestamp": ts,
            "X-Mkt-Signature": sign(prepared.secret, ts, prepared.body)}


def prepare_delivery(session: Session, delivery_id: int) -> PreparedDelivery | str:
    """What to send for this delivery, or a reason why nothing is sent (gone, done, subscription inactive)."""
    row = session.get(OutboundDelivery, delivery_id)
    if row is None:
        return f"delivery {delivery_id} no longer exists"
    if row.status != "pending":
        return f"delivery {delivery_id} is already {row.status}"
    sub = session.scalar(_live_subscriptions().where(OutboundSubscription.id == row.subscription_id))
    if sub is None:
        row.status, row.last_error = "failed", "subscription inactive or removed (or its API key revoked)"
        return f"delivery {delivery_id}: subscription inactive"
    row.next_attempt_at = utcnow() + timedelta(minutes=5)  # a lease: the sweeper leaves an attempt in flight alone
    created = row.created_at.isoformat()
    body = json.dumps({"id": row.id, "event": row.event, "type": row.event, "created_at": created,
                       "timestamp": created, "data": row.payload}, separators=(",", ":")).encode()
    return PreparedDelivery(row.id, sub.url, sub.secret, row.event, body, row.attempts)


def _pinned(url: str) -> tuple[str, str, dict[str, str]]:
    """Check the URL once more and resolve it; the POST then connects to the address checked here, not to
    whatever the name resolves to a moment later (DNS rebinding)."""
    from integrations.fetcher import check_url as check_public
    from integrations.fetcher import pin

    check_url(url)
    host, port, address = check_public(url.strip(), allow_loopback=get_settings().outbound_allow_loopback)
    return pin(url.strip(), host, port, address)


def post(prepared: PreparedDelivery, client: httpx.Client | None = None) -> tuple[int | None, str | None]:
    """POST one delivery to the address checked for it. Returns (status code, error); error is None on 2xx.
    Never raises for HTTP trouble."""
    from integrations.errors import PermanentError, RetryableError

    try:
        url, host_header, extensions = _pinned(prepared.url)
    except (OutboundError, PermanentError, RetryableError) as exc:
        return None, str(exc)[:1000]
    headers = {"Content-Type": "application/json", "User-Agent": "mkt-outbound/1", "Host": host_header,
               **signature_headers(prepared, int(time.time()))}
    try:
        if client is None:
            with httpx.Client(timeout=10, follow_redirects=False, trust_env=False) as own:
                response = own.post(url, content=prepared.body, headers=headers, extensions=extensions)
        else:
            response = client.post(url, content=prepared.body, headers=headers, extensions=extensions)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait after the `attempts`-th failure: 10, 20, 40 ... at most an hour."""
    return min(BASE_BACKOFF_S * 2 ** max(attempts - 1, 0), MAX_BACKOFF_S)


def record_attempt(session: Session, delivery_id: int, status_code: int | None, error: str | None) -> float | None:
    """Log one attempt. Returns the delay in seconds before the next attempt, or None when done
    (delivered, or failed for good after outbound_max_attempts)."""
    row = session.get(OutboundDelivery, delivery_id)
    if row is None or row.status != "pending":
        return None
    row.attempts += 1
    row.last_status_code, row.last_error = status_code, error
    if error is None:
        row.status, row.next_attempt_at = "delivered", None
        return None
    if status_code == 410:  # REST hooks: the receiver says the hook is gone for good, so it is ended
        row.status, row.next_attempt_at = "failed", None
        _end_hook(session, row.subscription_id)
        return None
    if row.attempts >= get_settings().outbound_max_attempts:
        row.status, row.next_attempt_at = "failed", None
        return None
    delay = backoff_seconds(row.attempts)
    row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    return delay


def _end_hook(session: Session, subscription_id: int) -> None:
    sub = session.get(OutboundSubscription, subscription_id)
    if sub is not None and sub.api_key_id is not None:
        sub.active = False


def due_deliveries(session: Session, limit: int = 500) -> list[int]:
    """Pending deliveries whose next attempt is due (the sweeper re-enqueues them after a lost queue)."""
    stmt = (sa.select(OutboundDelivery.id)
            .where(OutboundDelivery.status == "pending", OutboundDelivery.next_attempt_at <= utcnow())
            .order_by(OutboundDelivery.next_attempt_at).limit(limit))
    return list(session.scalars(stmt))


def delivery_log(session: Session, *, after_id: int = 0, limit: int = 100) -> list[OutboundDelivery]:
    """Deliveries with id > after_id, oldest first (the API's events:read log)."""
    stmt = (sa.select(OutboundDelivery).where(OutboundDelivery.id > after_id)
            .order_by(OutboundDelivery.id).limit(max(1, min(limit, 500))))
    return list(session.scalars(stmt))
