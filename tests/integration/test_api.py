"""The n8n API: keys and scopes, contact import (one or a batch), listing with filter, updated_since and cursor,
one contact with its timeline, enrichment requests, the event log, OpenAPI standalone and mounted."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from db.models import Contact, EnrichmentJob, Suppression, utcnow
from db.session import unit_of_work
from domain.roles import Role
from tests.factories import create_contact
from tests.integration.companion import app_client, count
from tools.api_keys import create_api_key, revoke_api_key
from tools.users import Actor

ADMIN = Actor("admin@example.com", Role.ADMIN)


@pytest.fixture
def client(db):
    yield from app_client()


def key(scopes="all"):
    with unit_of_work() as uow:
        return create_api_key(uow.session, ADMIN, name="n8n", scopes=scopes).key


def auth(k):
    return {"X-Api-Key": k}


def test_no_key_a_wrong_key_and_a_revoked_key_get_401(client):
    k = key()
    assert client.get("/api/v1/contacts").status_code == 401
    assert client.get("/api/v1/contacts", headers=auth(k + "x")).status_code == 401
    with unit_of_work() as uow:
        revoke_api_key(uow.session, ADMIN, k.split(".")[0])
    response = client.get("/api/v1/contacts", headers=auth(k))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_key_without_the_scope_gets_403_and_bearer_works_too(client):
    k = key("contacts:read")
    assert client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {k}"}).status_code == 200
    response = client.post("/api/v1/contacts", json={"email": "a@example.com"}, headers=auth(k))
    assert response.status_code == 403 and "contacts:write" in response.json()["detail"]
    assert client.post("/api/v1/enrichment", json={"contact_ids": [1]}, headers=auth(k)).status_code == 403
    assert client.get("/api/v1/events", headers=auth(k)).status_code == 403
    assert count(Contact) == 0


def test_one_contact_or_a_batch_is_imported_with_the_csv_rules(client, session):
    session.add(Suppression(channel="email", address="gone@example.com", reason="opt_out", source="chat"))
    session.commit()
    k = key()
    one = client.post("/api/v1/contacts", json={"Email": "Ana@Example.com", "First Name": "Ana", "Phone": "415 555 0123"},
                      headers=auth(k))
    assert one.status_code == 200, one.text
    assert one.json()["created"] == 1
    batch = client.post("/api/v1/contacts", headers=auth(k), json={"contacts": [
        {"email": "ana@example.com", "company": "Acme"}, {"email": "gone@example.com"}, {"email": "not an email"}]})
    body = batch.json()
    assert batch.status_code == 200 and body["rows"] == 3 and body["rejected"] == 1 and body["errors"]
    with unit_of_work() as uow:
        ana = uow.session.scalar(sa.select(Contact).where(Contact.email == "ana@example.com"))
        gone = uow.session.scalar(sa.select(Contact).where(Contact.email == "gone@example.com"))
        assert (ana.phone, ana.company) == ("+14155550123", "Acme") and gone.opted_out_email


def test_bad_bodies_get_clear_4xx_and_change_nothing(client, env_limit):
    k = key()
    assert client.post("/api/v1/contacts", content=b"{oops", headers=auth(k)).status_code == 400
    assert client.post("/api/v1/contacts", json=[], headers=auth(k)).status_code == 422
    assert client.post("/api/v1/contacts", json=[1, 2], headers=auth(k)).status_code == 422
    assert client.post("/api/v1/contacts", json={"email": "a@example.com"}, params={"policy": "wipe"},
                       headers=auth(k)).status_code == 422
    assert client.post("/api/v1/contacts", json=[{"email": f"{i}@example.com"} for i in range(1001)],
                       headers=auth(k)).status_code == 413
    assert count(Contact) == 0


@pytest.fixture
def env_limit(monkeypatch):
    from settings import reset_settings

    monkeypatch.setenv("MKT_MAX_BODY_BYTES", "200000")
    reset_settings()
    yield
    reset_settings()


def _contacts(session, n):
    base = utcnow() - timedelta(days=1)
    rows = []
    for i in range(n):
        c = create_contact(session, email=f"c{i}@example.com", city="Austin" if i % 2 else "Boston")
        c.updated_at = base + timedelta(minutes=i // 2)  # pairs share a time: the cursor must break ties by id
        rows.append(c)
    session.commit()
    return rows


def test_cursor_pagination_walks_every_contact_once_in_change_order(client, session):
    rows = _contacts(session, 7)
    k = key("contacts:read")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/contacts", params=params, headers=auth(k)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [r.id for r in rows]


def test_updated_since_and_filter_narrow_the_list(client, session):
    rows = _contacts(session, 6)
    k = key("contacts:read")
    since = rows[4].updated_at.isoformat()
    got = client.get("/api/v1/contacts", params={"updated_since": since}, headers=auth(k)).json()["items"]
    assert [c["id"] for c in got] == [rows[4].id, rows[5].id]
    flt = '{"field": "city", "op": "eq", "value": "Austin"}'
    got = client.get("/api/v1/contacts", params={"filter": flt}, headers=auth(k)).json()["items"]
    assert {c["city"] for c in got} == {"Austin"} and len(got) == 3


def test_bad_list_parameters_get_400(client):
    k = key("contacts:read")
    for params in ({"cursor": "!!!"}, {"updated_since": "yesterday"}, {"filter": '{"field": "shoe", "op": "eq"}'},
                   {"filter": "{not json"}):
        response = client.get("/api/v1/contacts", params=params, headers=auth(k))
        assert response.status_code == 400, params
    assert client.get("/api/v1/contacts", params={"limit": 0}, headers=auth(k)).status_code == 422


def test_one_contact_comes_with_its_timeline(client, session):
    person = create_contact(session, email="ana@example.com", first_name="Ana")
    session.commit()
    k = key("contacts:read")
    body = client.get(f"/api/v1/contacts/{person.id}", headers=auth(k)).json()
    assert body["contact"]["email"] == "ana@example.com"
    assert body["timeline"]["contact_id"] == person.id and body["timeline"]["entries"]
    assert client.get("/api/v1/contacts/999999", headers=auth(k)).status_code == 404


def test_enrichment_is_queued_for_one_contact_or_by_filter(client, session):
    a = create_contact(session, email="a@example.com", website="https://a.example", city="Austin")
    create_contact(session, email="b@example.com", website="https://b.example", city="Boston")
    session.commit()
    k = key("enrichment:write")
    assert client.post(f"/api/v1/contacts/{a.id}/enrich", headers=auth(k)).json() == {"queued": 1}
    response = client.post("/api/v1/enrichment", headers=auth(k),
                           json={"filter": {"field": "city", "op": "eq", "value": "Boston"}})
    assert response.json() == {"queued": 1}
    assert count(EnrichmentJob) == 2
    assert client.post("/api/v1/contacts/999999/enrich", headers=auth(k)).status_code == 404
    assert client.post("/api/v1/enrichment", json={}, headers=auth(k)).status_code == 422


def test_the_event_log_pages_by_id(client):
    k = key("events:read")
    body = client.get("/api/v1/events", params={"after_id": 0}, headers=auth(k)).json()
    assert body == {"items": [], "next_after_id": 0}


def test_openapi_is_served_standalone(client):
    schema = client.get("/api/openapi.json").json()
    assert {"/webhooks/chatwoot", "/webhooks/calcom", "/api/v1/contacts", "/api/v1/contacts/{contact_id}"} <= set(
        schema["paths"])
    assert "APIKeyHeader" in schema["components"]["securitySchemes"]
    assert client.get("/api/docs").status_code == 200


def test_openapi_is_served_when_mounted_ahead_of_a_catch_all(db):
    from webhooks.app import mount_on

    host = FastAPI(openapi_url="/openapi.json")

    @host.get("/{full_path:path}")
    async def spa(full_path: str):
        return {"spa": full_path}

    mount_on(host)
    with TestClient(host) as c:
        schema = c.get("/api/openapi.json").json()
        assert "/api/v1/contacts" in schema["paths"] and "/{full_path}" not in schema["paths"]
        assert "swagger" in c.get("/api/docs").text.lower()
        assert c.get("/api/v1/contacts").status_code == 401
        assert c.get("/anything").json() == {"spa": "anything"}


def test_openapi_and_routes_work_inside_chainlits_own_app(db):
    from chainlit.server import app as chainlit_app

    from webhooks.app import mount_on

    mount_on(chainlit_app)  # what agent/ui/chat.py does when `mkt serve` starts
    c = TestClient(chainlit_app)
    assert "/webhooks/chatwoot" in c.get("/api/openapi.json").json()["paths"]
    assert c.get("/api/docs").status_code == 200
    assert c.get("/api/v1/contacts").status_code == 401


def test_a_forged_cursor_with_a_huge_id_is_a_400_not_a_crash(client):
    import base64

    forged = base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|99999999999999999999").decode().rstrip("=")
    response = client.get("/api/v1/contacts", params={"cursor": forged}, headers=auth(key("contacts:read")))
    assert response.status_code == 400


def test_an_oversized_enrichment_body_is_refused_with_413(client):
    big = b'{"contact_ids": [' + b"1," * 600_000 + b"1]}"
    response = client.post("/api/v1/enrichment", content=big,
                           headers={**auth(key("enrichment:write")), "Content-Type": "application/json"})
    assert response.status_code == 413
