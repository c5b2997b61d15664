"""The typed OpenAPI document: named operation ids, typed answers and errors, examples, and a `webhooks` section
whose payload schemas match what the platform really POSTs (events raised by real Chatwoot and Cal.com
processing, delivered over real HTTP, validated against the schema of their event)."""

import json
import re
from datetime import UTC, datetime

import jsonschema
import pytest

from db.session import unit_of_work
from domain.roles import Role
from tests.factories import create_contact
from tests.fakes import calcom as cal
from tests.fakes import chatwoot as cw
from tests.integration.companion import drain, env_setter
from tests.integration.outbound_support import deliveries, record_sends, serving_receiver
from tools import outbound
from tools.users import Actor
from tools.webhook_events import store_event
from webhooks.api_docs import openapi_document
from webhooks.app import routers
from workers import outbound as outbound_worker

API_OPERATIONS = {"importContacts", "listContacts", "getContact", "enrichContact", "enrichContacts",
                  "listEventDeliveries", "createHook", "listHooks", "deleteHook"}


@pytest.fixture(scope="module")
def document():
    return openapi_document(routers())


def api_operations(document):
    return [(path, method, op) for path, item in document["paths"].items() if path.startswith("/api/v1/")
            for method, op in item.items()]


def validator(document, component: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{component}", "components": document["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_every_api_operation_has_a_named_id_a_typed_answer_and_typed_errors(document):
    ops = api_operations(document)
    assert {op["operationId"] for _, _, op in ops} == API_OPERATIONS and len(ops) == len(API_OPERATIONS)
    for path, method, op in ops:
        assert re.fullmatch(r"[a-z]+[A-Z][A-Za-z]+", op["operationId"]), op["operationId"]
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert len(ok) == 1, (method, path)
        if ok != ["204"]:
            assert op["responses"][ok[0]]["content"]["application/json"]["schema"]["$ref"].startswith(
                "#/components/schemas/"), (method, path)
        for code in ("400", "401", "403", "404", "413", "422"):
            schema = op["responses"][code]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code)


def test_request_bodies_are_typed_with_examples(document):
    bodies = {op["operationId"]: op["requestBody"]["content"]["application/json"]["schema"]
              for _, _, op in api_operations(document) if "requestBody" in op}
    assert set(bodies) == {"importContacts", "enrichContacts", "createHook"}
    refs = json.dumps(bodies["importContacts"])
    assert "ContactIn" in refs and "ContactBatch" in refs and '"maxItems": 1000' in refs
    schemas = document["components"]["schemas"]
    for name in ("ContactIn", "HookIn", "EnrichmentRequest", "ContactOut", "HookCreated", "ImportResultOut"):
        [example] = schemas[name]["examples"][:1]
        assert not list(validator(document, name).iter_errors(example)), name
    assert schemas["HookIn"]["properties"]["events"]["items"]["enum"] == list(outbound.EVENTS)


def test_the_webhooks_section_describes_every_outbound_event(document):
    hooks = document["webhooks"]
    assert list(hooks) == list(outbound.EVENTS)
    for event, item in hooks.items():
        op = item["post"]
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert body["properties"]["type"]["const"] == event and "data" in body["required"]
        assert {p["name"] for p in op["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert set(op["responses"]) == {"2XX", "410"}


@pytest.fixture
def receiver(db, monkeypatch):
    env = env_setter(monkeypatch)
    with serving_receiver(next(env)) as rec:
        yield rec


def test_what_is_really_posted_matches_the_webhook_schemas(document, receiver, monkeypatch):
    record_sends(monkeypatch)
    with unit_of_work() as uow:
        outbound.add_subscription(uow.session, Actor("admin@example.com", Role.ADMIN), receiver.url)
        create_contact(uow.session, email="bo@example.com")
        store_event(uow.session, "chatwoot", "m1", "message_created", cw.message_created(content="Interested!"))
        store_event(uow.session, "chatwoot", "m2", "message_created",
                    cw.message_created(message_id=119, content="STOP"))
        store_event(uow.session, "chatwoot", "c1", "contact_updated",
                    cw.contact_event("contact_updated", cw.contact(cid=15, email="bo@example.com", name="Bo Li",
                                                                   phone="+14155550199")))
        created = datetime.now(UTC)
        envelope = cal.booking(email="cy@example.com", name="Cy Ng", created_at=created)
        store_event(uow.session, "calcom", f"BOOKING_CREATED:x:{created.isoformat()}", "BOOKING_CREATED", envelope)
    drain()
    rows = deliveries()
    assert {r.event for r in rows} == {"contact.created", "reply.received", "contact.opted_out", "contact.updated",
                                       "booking.created"}
    for row in rows:
        assert outbound_worker.deliver(row.id) == "delivered"
    for got in receiver.received:
        body = json.loads(got["body"])
        ref = document["webhooks"][body["event"]]["post"]["requestBody"]["content"]["application/json"]["schema"]
        errors = list(validator(document, ref["$ref"].rsplit("/", 1)[1]).iter_errors(body))
        assert not errors, (body["event"], [e.message for e in errors])


def test_typed_answers_keep_the_time_format_of_the_untyped_api_and_the_events(db):
    from fastapi.testclient import TestClient

    from tools.api_keys import create_api_key
    from webhooks.app import create_app

    with unit_of_work() as uow:
        contact = create_contact(uow.session, email="ana@example.com")
        created = contact.created_at.isoformat()
        key = create_api_key(uow.session, Actor("admin@example.com", Role.ADMIN), name="n8n", scopes="all").key
    with TestClient(create_app()) as client:
        [item] = client.get("/api/v1/contacts", headers={"X-Api-Key": key}).json()["items"]
    assert item["created_at"] == created and created.endswith("+00:00")
