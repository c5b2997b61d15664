"""The n8n API, v1. Every route needs an API key (X-Api-Key or Authorization: Bearer) with the route's scope.

POST /api/v1/contacts            contacts:write   one contact, an array, or {"contacts": [...]} (<= 1,000)
GET  /api/v1/contacts            contacts:read    filter (JSON), updated_since, cursor pagination
GET  /api/v1/contacts/{id}       contacts:read    the contact and its timeline
POST /api/v1/contacts/{id}/enrich enrichment:write
POST /api/v1/enrichment          enrichment:write  {"filter": {...}} or {"contact_ids": [...]}
GET  /api/v1/events              events:read      the outbound event delivery log (after_id paging)
POST/GET /api/v1/hooks, DELETE /api/v1/hooks/{id}   hooks:write   REST-hooks subscriptions (webhooks/api_hooks.py)

Requests and answers are typed (webhooks/api_models.py); each route has a named operation id for client
generators and automation tools; the outbound events are described in the schema's `webhooks` section.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from db.models import Contact
from domain.filters import Filter, parse
from domain.roles import PermissionDenied, Role
from tools.contacts.polling import changed_contacts, contact_by_id
from tools.contacts.timeline import contact_history
from tools.enrichment.review import request_enrichment
from tools.imports.importer import import_rows
from webhooks.api_hooks import router as hooks_router
from webhooks.api_models import (
    MAX_BATCH,
    MAX_ID,
    ContactPage,
    ContactsBody,
    ContactWithTimeline,
    DeliveryPage,
    EnrichmentRequest,
    ImportResultOut,
    Queued,
)
from webhooks.api_schema import ERRORS as _ERRORS
from webhooks.api_schema import request_body
from webhooks.auth import parse_json, read_body, require_scope

router = APIRouter(prefix="/api/v1", tags=["n8n API"])
ENRICHMENT_BODY_LIMIT = 1_000_000  # 10,000 ids or a filter fit easily; FastAPI parses this body itself
ContactId = Annotated[int, Path(ge=1, le=MAX_ID, description="The contact's id")]
Policy = Literal["fill", "overwrite", "skip"]
CONTACT_FIELDS = ("id", "email", "phone", "first_name", "last_name", "company", "job_title", "website", "city",
                  "region", "postal_code", "country", "timezone", "tags", "attributes", "source",
                  "enrichment_status", "opted_out_sms", "opted_out_email", "created_at", "updated_at")


class NotFound(LookupError):
    """No such row: answered 404."""


def _actor(key: Any):
    from tools.users import Actor

    return Actor(email=f"api-key:{key.name}"[:320], role=Role.MARKETER)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def contact_json(contact: Contact) -> dict[str, Any]:
    """The contact's API fields as they are (times as datetimes): the response model checks and serialises them."""
    return {name: getattr(contact, name) for name in CONTACT_FIELDS}


def _run(fn, *args: Any) -> Any:
    """Run a tool call in one unit of work; tool errors become clear 4xx."""
    from db.session import unit_of_work

    try:
        with unit_of_work() as uow:
            return fn(uow.session, *args)
    except PermissionDenied as exc:
        raise HTTPException(403, str(exc)) from None
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


# --- contacts: write ----------------------------------------------------------------------------

def _rows(data: Any) -> list[dict[str, Any]]:
    rows = data.get("contacts") if isinstance(data, dict) and "contacts" in data else data
    rows = [rows] if isinstance(rows, dict) else rows
    if not isinstance(rows, list) or not rows:
        raise HTTPException(422, "send one contact object, an array of them, or {\"contacts\": [...]}")
    if len(rows) > MAX_BATCH:
        raise HTTPException(413, f"{len(rows)} contacts in one request; the limit is {MAX_BATCH}")
    if not all(isinstance(r, dict) for r in rows):
        raise HTTPException(422, "every contact must be a JSON object")
    return rows


@router.post("/contacts", responses=_ERRORS, summary="Create or update contacts (one or a batch)",
             operation_id="importContacts", response_model=ImportResultOut,
             openapi_extra=request_body(ContactsBody, "One contact, an array of them, or {\"contacts\": [...]}"))
async def post_contacts(request: Request,
                        policy: Policy = Query("fill", description="What to do with a contact that exists: fill "
                                               "what it lacks, overwrite it, or skip it"),
                        key: Any = Depends(require_scope("contacts:write"))) -> Any:
    """Same normalisation, de-duplication and suppression rules as the CSV import. Returns the counts and
    row-level errors (line = position in the batch, from 1). The body is read here (not by FastAPI) so that bad
    JSON is a clear 400 and its depth is checked before parsing."""
    rows = _rows(parse_json(await read_body(request), want=(dict, list)))

    def call(session):
        return import_rows(session, _actor(key), rows, policy=policy, source="api")

    return _jsonable(await run_in_threadpool(_run, call))


# --- contacts: read -------------------------------------------------------------------------------

def encode_cursor(contact: Contact) -> str:
    raw = f"{contact.updated_at.isoformat()}|{contact.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = raw.partition("|")
        parsed, last_id = datetime.fromisoformat(when), int(ident)
        if not 0 < last_id <= MAX_ID:
            raise ValueError("id out of range")
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)), last_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(400, "invalid cursor: pass back next_cursor exactly as given") from None


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, f"updated_since must be an ISO 8601 time, got {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_filter(raw: str | None) -> Filter | None:
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        raise HTTPException(400, f"bad filter: {exc}") from None


def _list_contacts(session, key: Any, filter: Filter | None, since: datetime | None,
                   after: tuple[datetime, int] | None, limit: int) -> dict[str, Any]:
    page = changed_contacts(session, _actor(key), filter, since=since, after=after, limit=limit)
    return {"items": [contact_json(c) for c in page.contacts],
            "next_cursor": encode_cursor(page.contacts[-1]) if page.more else None}


@router.get("/contacts", responses=_ERRORS, summary="List contacts (filter, updated_since, cursor)",
            operation_id="listContacts", response_model=ContactPage, openapi_extra={"responses": {"200": {"links": {
                "GetFirstContact": {"operationId": "getContact", "parameters": {"contact_id": "$response.body#/items/0/id"},
                                    "description": "The first contact of the page, with its timeline"}}}}})
async def get_contacts(filter: str | None = Query(None, description="JSON filter, e.g. {\"field\":\"city\",\"op\":\"eq\",\"value\":\"Austin\"}"),
                       updated_since: str | None = Query(None, description="ISO 8601; contacts changed since"),
                       cursor: str | None = Query(None, description="next_cursor of the previous page"),
                       limit: int = Query(100, ge=1, le=500),
                       key: Any = Depends(require_scope("contacts:read"))) -> Any:
    """Contacts in order of last change (oldest first), so polling with updated_since + cursor sees every
    change once."""
    parsed = _parse_filter(filter)
    since = _parse_time(updated_since) if updated_since else None
    after = decode_cursor(cursor) if cursor else None
    return await run_in_threadpool(_run, lambda s: _list_contacts(s, key, parsed, since, after, limit))


def _timeline(session, key: Any, contact_id: int) -> Any:
    return _jsonable(contact_history(session, _actor(key), str(contact_id)))


@router.get("/contacts/{contact_id}", responses=_ERRORS, summary="One contact with its timeline",
            operation_id="getContact", response_model=ContactWithTimeline)
async def get_contact(contact_id: ContactId, key: Any = Depends(require_scope("contacts:read"))) -> Any:
    def call(session):
        contact = contact_by_id(session, _actor(key), contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id}")
        return {"contact": contact_json(contact), "timeline": _timeline(session, key, contact_id)}

    return await run_in_threadpool(_run, call)


# --- enrichment ----------------------------------------------------------------------------------------

@router.post("/contacts/{contact_id}/enrich", responses=_ERRORS, summary="Queue one contact for enrichment",
             operation_id="enrichContact", response_model=Queued)
async def enrich_contact(contact_id: ContactId, priority: int = Query(0, ge=-100, le=100),
                         key: Any = Depends(require_scope("enrichment:write"))) -> Any:
    def call(session):
        if contact_by_id(session, _actor(key), contact_id) is None:
            raise NotFound(f"no contact {contact_id}")
        return request_enrichment(session, _actor(key), contact_ids=[contact_id], priority=priority)

    return {"queued": await run_in_threadpool(_run, call)}


@router.post("/enrichment", responses=_ERRORS, summary="Queue contacts for enrichment by filter or ids",
             max_body_size=ENRICHMENT_BODY_LIMIT, operation_id="enrichContacts", response_model=Queued)
async def enrich_many(body: EnrichmentRequest, key: Any = Depends(require_scope("enrichment:write"))) -> Any:
    if body.filter is None and not body.contact_ids:
        raise HTTPException(422, "give a filter or contact_ids")

    def call(session):
        return request_enrichment(session, _actor(key), filter=body.filter, contact_ids=body.contact_ids,
                                  priority=body.priority)

    return {"queued": await run_in_threadpool(_run, call)}


# --- outbound event log ------------------------------------------------------------------------------------

@router.get("/events", responses=_ERRORS, summary="Outbound event deliveries (after_id paging)",
            operation_id="listEventDeliveries", response_model=DeliveryPage)
async def get_events(after_id: int = Query(0, ge=0, le=MAX_ID), limit: int = Query(100, ge=1, le=500),
                     key: Any = Depends(require_scope("events:read"))) -> Any:
    """Outbound events and their delivery state, oldest first; pass the last id back as after_id."""
    from tools.outbound import delivery_log

    def call(session):
        rows = delivery_log(session, after_id=after_id, limit=limit)
        return {"items": [{"id": r.id, "event": r.event, "data": r.payload, "status": r.status,
                           "attempts": r.attempts, "subscription_id": r.subscription_id,
                           "last_status_code": r.last_status_code, "created_at": r.created_at.isoformat()}
                          for r in rows],
                "next_after_id": rows[-1].id if rows else after_id}

    return await run_in_threadpool(_run, call)


router.include_router(hooks_router)
