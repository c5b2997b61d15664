"""Element storage for Chainlit (charts, tables and files come back when a thread is reopened): local disk under
the var directory, read through signed, expiring links."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from agent.ui import element_store
from agent.ui.datalayer import data_layer
from settings import get_settings


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setenv("MKT_VAR_DIR", str(tmp_path))
    from settings import reset_settings

    reset_settings()
    yield element_store.LocalStorageClient(element_store.local_root(get_settings()))
    reset_settings()


def client() -> TestClient:
    app = FastAPI()
    element_store.mount(app)
    return TestClient(app)


def test_a_stored_chart_is_served_back_through_its_signed_link(store):
    key = "user-1/element-9/Funnel.json"
    uploaded = asyncio.run(store.upload_file(key, '{"data": []}', mime="application/json"))
    assert uploaded["object_key"] == key and (store.root / key).read_text() == '{"data": []}'
    url = asyncio.run(store.get_read_url(key))
    got = client().get(url)
    assert got.status_code == 200 and got.text == '{"data": []}' and got.headers["content-type"] == "application/json"


def test_a_tampered_expired_or_climbing_link_is_refused(store):
    key = "user-1/element-9/report.csv"
    asyncio.run(store.upload_file(key, b"a,b\n1,2\n", mime="text/csv"))
    url = asyncio.run(store.get_read_url(key))
    parts = parse_qs(urlsplit(url).query)
    http = client()
    assert http.get(url.replace("report.csv", "other.csv")).status_code == 403  # the signature covers the key
    assert http.get(f"/elements/{key}?expires=1&sig={parts['sig'][0]}").status_code == 403  # expired
    assert http.get(f"/elements/{key}?expires={parts['expires'][0]}&sig=00").status_code == 403
    with pytest.raises(ValueError):
        asyncio.run(store.upload_file("../outside.txt", b"x"))
    assert asyncio.run(store.delete_file(key)) and http.get(url).status_code == 404


def test_the_data_layer_keeps_elements_on_disk_by_default(store):
    layer = data_layer(get_settings())
    assert isinstance(layer.storage_provider, element_store.LocalStorageClient)
    assert layer.storage_provider.root == store.root


def test_threads_are_never_titled_say_or_empty(store):
    import uuid

    import sqlalchemy as sa

    from agent.ui.datalayer import ensure_tables, sync_engine

    ensure_tables(get_settings())
    layer, thread = data_layer(get_settings()), str(uuid.uuid4())

    async def steps():
        await layer.update_thread(thread, name="say")  # a button's first interaction: Chainlit's name, ignored
        await layer.update_thread(thread, name="show roofers in Texas")  # the chat's title: the user's words
        await layer.update_thread(thread, name="")  # a dropped file's empty message, later: ignored too

    asyncio.run(steps())
    engine = sync_engine(get_settings())
    with engine.connect() as conn:
        name = conn.execute(sa.text('SELECT "name" FROM threads WHERE id = :t'), {"t": thread}).scalar()
    engine.dispose()
    assert name == "show roofers in Texas"


def test_a_file_dropped_with_a_threads_first_message_is_kept(store, tmp_path):
    """Chainlit may store the file of a new thread's first message before the step that creates the thread: the
    element is kept, with its thread (on PostgreSQL the foreign key refused it, so the file was missing when the
    conversation was reopened)."""
    import uuid

    import sqlalchemy as sa
    from chainlit.element import File

    from agent.ui.datalayer import ensure_tables, sync_engine

    ensure_tables(get_settings())
    layer, thread = data_layer(get_settings()), str(uuid.uuid4())
    path = tmp_path / "leads.csv"
    path.write_text("Email\njane@acme.com\n", encoding="utf-8")
    element = File(name="leads.csv", path=str(path), thread_id=thread, for_id=str(uuid.uuid4()), mime="text/csv")
    asyncio.run(type(layer).create_element.__wrapped__(layer, element))  # as run once the first message is in
    engine = sync_engine(get_settings())
    with engine.connect() as conn:
        row = conn.execute(sa.text('SELECT "name", "threadId", "mime" FROM elements WHERE id = :e'),
                           {"e": element.id}).one()
        threads = conn.execute(sa.text('SELECT count(*) FROM threads WHERE id = :t'), {"t": thread}).scalar()
    engine.dispose()
    assert (row[0], str(row[1]), row[2], threads) == ("leads.csv", thread, "text/csv", 1)
