"""What the typed API costs: GET /api/v1/contacts?limit=500 and GET /api/v1/contacts/{id} through the companion app
(in-process ASGI, TestClient, SQLite), where FastAPI checks every answer against its Pydantic response model
(webhooks/api_models.py), against a baseline in the same run: the same handlers, key check and query mounted
untyped (a plain dict answer, as before the typed API). Milliseconds per request, medians of 5 rounds.
Run: `python -m bench api [--quick]` (--quick: 20 requests per round; default 100; 2,000 contacts)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

CONTACTS = 2000


def _setup() -> str:
    folder = Path(tempfile.mkdtemp(prefix="mkt-bench-api-"))
    os.environ.update({"MKT_VAR_DIR": str(folder), "MKT_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                       "MKT_REDIS_URL": ""})
    from settings import reset_settings

    reset_settings()
    from db import migrate

    migrate.upgrade()
    from db.session import unit_of_work
    from domain.roles import Role
    from tools.api_keys import create_api_key
    from tools.imports.importer import import_rows
    from tools.users import Actor

    admin = Actor("admin@example.com", Role.ADMIN)
    rows = [{"email": f"p{i}@example.com", "first_name": f"P{i}", "company": "Acme", "city": "Austin",
             "tags": ["bench"], "Favourite colour": "blue"} for i in range(CONTACTS)]
    with unit_of_work() as uow:
        import_rows(uow.session, admin, rows)
        return create_api_key(uow.session, admin, name="bench", scopes="all").key


def _untyped_app():
    """The baseline: the same work per route, answered as an untyped dict (no response model)."""
    import sqlalchemy as sa
    from fastapi import Depends, FastAPI
    from starlette.concurrency import run_in_threadpool

    from db.models import Contact
    from webhooks import api
    from webhooks.auth import require_scope

    app = FastAPI()

    def contact_json(contact: Contact) -> dict[str, Any]:  # as before: every value made JSON-able by hand
        return {name: api._jsonable(getattr(contact, name)) for name in api.CONTACT_FIELDS}

    def page(session, limit: int) -> dict[str, Any]:  # the same query as tools.contacts.polling.changed_contacts
        stmt = sa.select(Contact).where(sa.true()).order_by(Contact.updated_at, Contact.id)
        rows = list(session.scalars(stmt.limit(limit + 1)))
        return {"items": [contact_json(c) for c in rows[:limit]],
                "next_cursor": api.encode_cursor(rows[limit - 1]) if len(rows) > limit else None}

    @app.get("/api/v1/contacts")
    async def contacts(limit: int = 100, key: Any = Depends(require_scope("contacts:read"))) -> dict[str, Any]:
        return await run_in_threadpool(api._run, lambda s: page(s, limit))

    @app.get("/api/v1/contacts/{contact_id}")
    async def contact(contact_id: int, key: Any = Depends(require_scope("contacts:read"))) -> dict[str, Any]:
        def call(session):
            return {"contact": contact_json(session.get(Contact, contact_id)),
                    "timeline": api._timeline(session, key, contact_id)}

        return await run_in_threadpool(api._run, call)

    return app


def _time(client, url: str, headers: dict[str, str], n: int) -> float:
    def one_round() -> float:
        start = time.perf_counter()
        for _ in range(n):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, response.text
        return (time.perf_counter() - start) / n * 1000

    one_round()  # warm up
    return statistics.median(one_round() for _ in range(5))


def main(flags: list[str]) -> None:
    from fastapi.testclient import TestClient

    from webhooks.app import create_app

    n = 20 if "--quick" in flags else 100
    headers = {"X-Api-Key": _setup()}
    typed, untyped = TestClient(create_app()), TestClient(_untyped_app())
    first = typed.get("/api/v1/contacts?limit=1", headers=headers).json()["items"][0]["id"]
    for title, url in [("GET /api/v1/contacts?limit=500", "/api/v1/contacts?limit=500"),
                       ("GET /api/v1/contacts/{id} (contact + timeline)", f"/api/v1/contacts/{first}")]:
        assert typed.get(url, headers=headers).json() == untyped.get(url, headers=headers).json()
        base = _time(untyped, url, headers, n)
        new = _time(typed, url, headers, n)
        print(f"\n{title}: {n} requests x 5 rounds, {CONTACTS} contacts (SQLite, in-process)")
        print("| measure | ms/request | ratio |\n| --- | --- | --- |")
        print(f"| baseline: untyped dict answer | {base:.2f} | 1.00 |")
        print(f"| typed: response model checked | {new:.2f} | {new / base:.2f} |")
