"""The real server (`mkt serve`) over the Chainlit websocket: login, ask, get a table, approve an action; and a
pending approval that survives a server restart."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from db.models import Contact
from db.session import unit_of_work
from tests.e2e.server import open_chat, running_server

pytestmark = pytest.mark.slow


@dataclass
class Click:
    """A click on the newest button labelled `label` (a next-step action, not an ask), as the browser does it:
    POST /project/action; then wait until `until()`."""

    label: str
    until: Callable[[], bool]


def ui_busy(events: list[tuple[str, Any]]) -> bool:
    """The browser's "a task is running" flag, which disables the composer's send button and every action button:
    set by task_start, cleared by task_end and by an ask (Chainlit's frontend)."""
    busy = False
    for name, _ in events:
        if name == "task_start":
            busy = True
        elif name in ("task_end", "ask"):
            busy = False
    return busy


async def converse(chat, thread_id: str, texts: list[str | Click], until, timeout: float = 90,
                   upload: tuple[str, bytes] | None = None) -> list[int]:
    """Send `texts` one after another on one websocket session with a fixed thread id (and optionally upload a
    file with the first message, as the drag-and-drop does); a Click clicks a button instead. Wait until
    `until()`. Returns the index in chat.events where each message or click starts."""
    import httpx
    import socketio

    sio = socketio.AsyncClient()

    @sio.on("*")
    async def on_any(name, data=None):
        chat.events.append((name, data))

    @sio.on("ask")
    async def on_ask(data):
        chat.events.append(("ask", data))
        return await chat.ask_answer(data) if chat.ask_answer else None

    session_id = str(uuid.uuid4())
    await sio.connect(chat.server.base, socketio_path="/ws/socket.io", transports=["websocket"],
                      headers={"cookie": chat.cookie},
                      auth={"sessionId": session_id, "clientType": "webapp", "threadId": thread_id})
    loop = asyncio.get_running_loop()
    starts: list[int] = []
    try:
        await sio.emit("connection_successful")
        deadline = loop.time() + timeout
        while texts and loop.time() < deadline and not said(chat, "marketing workspace"):
            await asyncio.sleep(0.1)  # the welcome first, so each answer below belongs to its own message
        for i, text in enumerate(texts):
            starts.append(len(chat.events))
            if isinstance(text, Click):
                deadline = loop.time() + timeout
                while loop.time() < deadline and not any(n == "action" and d.get("label") == text.label
                                                         for n, d in chat.events):
                    await asyncio.sleep(0.1)  # a card shown on resume may still be on its way
                action = [d for n, d in chat.events if n == "action" and d.get("label") == text.label][-1]
                async with httpx.AsyncClient() as client:
                    resp = await client.post(f"{chat.server.base}/project/action", headers={"cookie": chat.cookie},
                                             json={"sessionId": session_id, "action": action}, timeout=timeout)
                    resp.raise_for_status()
                deadline = loop.time() + timeout
                while loop.time() < deadline and not (text.until() and not ui_busy(chat.events)):
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.2)
                continue
            refs = None
            if upload and i == 0:
                async with httpx.AsyncClient() as client:
                    resp = await client.post(f"{chat.server.base}/project/file", params={"session_id": session_id},
                                             headers={"cookie": chat.cookie},
                                             files={"file": (upload[0], upload[1], "text/csv")})
                    resp.raise_for_status()
                    refs = [{"id": resp.json()["id"]}]
            before = len(chat.events)
            await sio.emit("client_message", {"message": {
                "id": str(uuid.uuid4()), "threadId": thread_id, "name": "user", "type": "user_message",
                "output": text, "createdAt": "2026-01-01T00:00:00Z"}, "fileReferences": refs})
            deadline = loop.time() + timeout
            while loop.time() < deadline and not any(n == "task_end" for n, _ in chat.events[before + 1:]):
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.2)  # let the last events of this answer arrive
        deadline = loop.time() + timeout
        while loop.time() < deadline and not until():
            await asyncio.sleep(0.1)
    finally:
        await sio.disconnect()
    return starts


def choose(chat, name: str):
    """An ask handler that clicks the action called `name` (socket.io events are handled concurrently, so the
    buttons' "action" events may land just after the "ask": wait for them a little)."""
    async def answer(data):
        for _ in range(50):
            for event, payload in list(chat.events):
                if event == "action" and payload.get("id") in data["spec"]["keys"] and payload.get("name") == name:
                    return payload
            await asyncio.sleep(0.1)
        return None
    return answer


def said(chat, text: str) -> bool:
    return any(text in m for m in chat.messages())


def assistant_messages(events: list[tuple[str, Any]]) -> dict[str, list[str]]:
    """Each assistant message created in `events` (streamed or sent; the browser shows one message per id) ->
    the contents it was sent with by new_message (a streamed message is finalised by exactly one)."""
    created: dict[str, list[str]] = {}
    for name, data in events:
        if name in ("stream_start", "new_message") and isinstance(data, dict) \
                and data.get("type") == "assistant_message":
            sends = created.setdefault(data["id"], [])
            if name == "new_message":
                sends.append(data.get("output") or "")
    return created


def assert_each_answer_once(chat, starts: list[int], answers: list[str]) -> None:
    """Turn by turn: every assistant message sent once, no text shown by two messages, and the turn's answer
    (answers[i], a fragment) in exactly one message."""
    bounds = [*starts[1:], len(chat.events)]
    for i, (start, end) in enumerate(zip(starts, bounds, strict=True)):
        created = assistant_messages(chat.events[start:end])
        assert all(len(sends) == 1 for sends in created.values()), (i, created)
        texts = [sends[0] for sends in created.values()]
        assert len(texts) == len(set(texts)), (i, texts)
        assert sum(answers[i] in t for t in texts) == 1, (i, answers[i], texts)


def sample_count() -> int:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(Contact).where(Contact.is_sample.is_(True)))


def thread_rows(thread_id: str) -> tuple[list[str], int]:
    """The thread's owner and its number of steps in Chainlit's own tables (kept apart from ours)."""
    from agent.ui.datalayer import sync_engine
    from settings import get_settings

    engine = sync_engine(get_settings())
    try:
        with engine.connect() as conn:
            owners = conn.execute(sa.text('SELECT "userIdentifier" FROM threads WHERE id = :t'), {"t": thread_id})
            steps = conn.execute(sa.text('SELECT count(*) FROM steps WHERE "threadId" = :t'), {"t": thread_id})
            return [r[0] for r in owners], steps.scalar()
    finally:
        engine.dispose()


def test_login_ask_get_a_table_and_approve_an_action(db, tmp_path):
    """The approval card does not block: a message typed while it waits is answered and the card stays pending
    until its Approve."""
    thread = str(uuid.uuid4())
    with running_server(tmp_path) as server:
        chat = open_chat(server)
        asyncio.run(converse(chat, thread,
                             ["load sample data", "show roofers in Texas", "analytics last 14 days",
                              "remove sample data", "how many contacts",
                              Click("Approve", until=lambda: said(chat, "Removed sample data"))],
                             until=lambda: said(chat, "Removed sample data")))
        log = server.log()
    assert said(chat, "Loaded sample data: 16 contacts")
    table = [m for m in chat.messages() if m.startswith("**Found")]
    assert table and "| id | name | email |" in table[0] and "Jane" in table[0]
    headless = [d["output"] for n, d in chat.events if n == "update_message"  # the table, how it was read, no title
                and "| id | name | email |" in str(d.get("output") or "")
                and not str(d.get("output")).startswith("**Found")]
    assert all(str(h).startswith(("| id | name | email |", "_Read as: ")) for h in headless), headless
    assert headless, "the table's heading is said once, by the answer below it"
    charts = [d for n, d in chat.events if n == "element" and d.get("type") == "plotly"]
    assert charts, [n for n, _ in chat.events]  # the analytics answer carries a Plotly chart
    assert not [d for n, d in chat.events if n == "ask"]  # no ask holds the composer
    assert said(chat, "Approve: Remove the sample data")
    assert said(chat, "Still waiting for your Approve or Cancel: Remove the sample data")
    assert said(chat, "16 contacts match")  # answered while the card waited
    assert said(chat, "Removed sample data: 16 contacts")
    assert sample_count() == 0
    assert "An error occurred" not in log and "Traceback" not in log
    owners, steps = thread_rows(thread)  # the conversation is kept for this user (thread history)
    assert owners == ["admin@example.com"] and steps >= 6


def test_the_welcome_screen_offers_starters(db, tmp_path):
    import httpx

    with running_server(tmp_path) as server:
        cookie = server.login().cookies["access_token"]
        settings = httpx.get(f"{server.base}/project/settings", cookies={"access_token": cookie}, timeout=10).json()
    assert [s["message"] for s in settings["starters"]][:2] == ["load sample data",
                                                               "show contacts in Austin without email"]


def test_cancel_in_the_chat_does_nothing(db, tmp_path):
    with running_server(tmp_path) as server:
        chat = open_chat(server)
        asyncio.run(converse(chat, str(uuid.uuid4()), ["load sample data", "remove sample data",
                                                       Click("Cancel", until=lambda: said(chat, "Cancelled"))],
                             until=lambda: said(chat, "Cancelled")))
    assert said(chat, "Cancelled: the user did not approve"), chat.messages()
    assert sample_count() == 16


def test_a_pending_approval_survives_a_server_restart(db, tmp_path):
    thread = str(uuid.uuid4())
    with running_server(tmp_path) as server:
        chat = open_chat(server)  # no answer to the card: the approval stays pending
        asyncio.run(converse(chat, thread, ["load sample data", "remove sample data"],
                             until=lambda: said(chat, "Approve: Remove the sample data")))
    assert sample_count() == 16
    with running_server(tmp_path) as server:  # a new process, same database
        chat = open_chat(server)
        asyncio.run(converse(chat, thread, [Click("Approve", until=lambda: said(chat, "Removed sample data"))],
                             until=lambda: said(chat, "Removed sample data")))
        log = server.log()
    assert said(chat, "An approval from earlier in this conversation is still waiting")
    assert said(chat, "Removed sample data: 16 contacts")
    assert sample_count() == 0
    assert "An error occurred" not in log


CSV = ("Prénom,Nom,Courriel,Téléphone portable,Ville,Raison,Étiquettes\r\n"
       "Jane,Doe,jane@acme.com,512 555 0100,Austin,Acme Roofing,roofer\r\n"
       "Bob,Roe,bob@roe.com,,Dallas,Roe & Sons,roofer\r\nNo,Body,not-an-email,12,Austin,,\r\n").encode()


def test_a_dropped_csv_shows_the_mapping_takes_typed_changes_then_imports_with_a_report(db, tmp_path):
    """The mapping card is not a blocking ask: a question typed while it waits is answered (and the card still
    waits), "map Raison to company" changes the card, and its Import button imports with the change."""
    next_steps = {"Enrich them", "Show the rejected rows"}

    def labels() -> set[str]:
        return {d.get("label") for n, d in chat.events if n == "action"}

    def imported() -> bool:  # the summary and its next-step buttons are separate events: wait for both
        return said(chat, "Imported **3** rows") and next_steps <= labels()

    with running_server(tmp_path, with_worker=True) as server:  # the import is a job
        chat = open_chat(server)
        starts = asyncio.run(converse(chat, str(uuid.uuid4()), [
            "", "how many contacts", "map Raison to company", Click("Import with this mapping", until=imported)],
            upload=("leads.csv", CSV), until=imported))
        log = server.log()
    assert not [d for n, d in chat.events if n == "ask"], "the card is no blocking ask"
    card = [d["output"] for n, d in chat.events[:starts[1]] if n == "new_message" and "Proposed mapping" in d["output"]]
    assert card and r"| Prénom | first\_name |" in card[0] and "| Téléphone portable | phone |" in card[0]
    assert "| Raison | attributes.raison |" in card[0]
    between = [d["output"] for n, d in chat.events[starts[1]:starts[2]] if n == "new_message"]
    assert any("still waiting for Import or Cancel" in t for t in between), between
    changed = [d["output"] for n, d in chat.events[starts[2]:starts[3]] if n == "new_message"]
    assert any("Mapping changed: Raison → company" in t and "| Raison | company |" in t for t in changed), changed
    assert said(chat, "Imported **3** rows: 2 new contacts"), chat.messages()
    assert said(chat, "import-1-errors.csv") or said(chat, "-errors.csv")
    assert next_steps <= labels(), labels()
    with unit_of_work() as uow:
        rows = uow.session.execute(sa.select(Contact.email, Contact.first_name, Contact.company)
                                   .order_by(Contact.email)).all()
    assert [tuple(r) for r in rows] == [("bob@roe.com", "Bob", "Roe & Sons"), ("jane@acme.com", "Jane", "Acme Roofing")]
    assert "An error occurred" not in log and "Traceback" not in log


def test_with_an_openai_compatible_server_tokens_stream_and_approval_works(session, tmp_path):
    from tests.factories import create_contact
    from tests.fakes.openai import FakeOpenAI, Reply
    from tests.fakes.server import serve_app

    austin = {"field": "city", "op": "eq", "value": "Austin"}

    def model(body):
        last = body["messages"][-1]
        if last["role"] == "tool":
            return Reply(content="Done: " + last["content"].split("\n")[0])
        if "tag" in last["content"]:
            return Reply(tool_calls=[{"name": "bulk_update", "args": {"filter": austin, "add_tags": ["vip"]}}])
        return Reply(tool_calls=[{"name": "count_contacts", "args": {"filter": austin}}])

    create_contact(session, first_name="Jane", email="jane@acme.com", city="Austin", tags=[])
    create_contact(session, first_name="Bob", email="bob@roe.com", city="Austin", tags=[])
    session.commit()
    fake = FakeOpenAI(model)
    with serve_app(fake.app()) as base, running_server(tmp_path, OPENAI_API_KEY="sk-test",
                                                       OPENAI_BASE_URL=base + "/v1") as server:
        chat = open_chat(server)
        asyncio.run(converse(chat, str(uuid.uuid4()), ["how many in Austin?", "tag them as vip",
                                                       Click("Approve", until=lambda: said(chat, "Done: Changed"))],
                             until=lambda: said(chat, "Done: Changed 2 contacts.")))
    assert said(chat, "Done: 2 contacts match.")
    assert sum(1 for n, _ in chat.events if n == "stream_token") > 3  # the answer streamed token by token
    assert all(r.get("stream") for r in fake.requests)
    assert said(chat, "Done: Changed 2 contacts.")
    with unit_of_work() as uow:
        assert all("vip" in c.tags for c in uow.session.scalars(sa.select(Contact)))


SMS_DRAFT = "draft an sms campaign to roofers in Texas: Hi {first_name|there}, spring roof checks this week"


def test_launch_from_a_button_then_approve_leaves_the_chat_usable(db, tmp_path):
    """The "Launch it" button after a preview shows the card, then Approve: afterwards the UI is idle (send button
    and buttons enabled) and the next message is answered."""
    with running_server(tmp_path) as server:
        chat = open_chat(server)
        starts = asyncio.run(converse(chat, str(uuid.uuid4()), [
            "load sample data", SMS_DRAFT,
            Click("Preview it", until=lambda: said(chat, "Preview of ")),
            Click("Launch it", until=lambda: said(chat, "Approve: Launch campaign")),
            Click("Approve", until=lambda: said(chat, "Launched campaign")),
            "how many contacts"], until=lambda: said(chat, "16 contacts match"), timeout=60))
        log = server.log()
    assert said(chat, "Drafted sms campaign"), chat.messages()
    launch, approve, after = (chat.events[starts[3]:starts[4]], chat.events[starts[4]:starts[5]],
                              chat.events[starts[5]:])
    assert not ui_busy(launch), [n for n, _ in launch]  # the card waits with the UI idle: the composer works
    assert said(chat, "Launched campaign #"), chat.messages()
    names = [n for n, _ in approve]
    assert not ui_busy(chat.events[:starts[5]]), names  # after Approve the UI is idle again
    assert "task_start" in names  # the Approve runs as a task, like a message
    card = {d["id"] for n, d in launch if n == "action" and d.get("label") in ("Approve", "Cancel")}
    assert len(card) == 2 and card <= {d["id"] for n, d in approve if n == "remove_action"}  # both buttons go
    assert said(chat, "16 contacts match"), chat.messages()
    assert "task_end" in [n for n, _ in after] and not ui_busy(chat.events)
    assert "Traceback" not in log and "An error occurred" not in log


def test_each_answer_is_shown_once(db, tmp_path):
    """A streamed answer is finalised in place: one assistant message per answer, typed or from a button."""
    with running_server(tmp_path) as server:
        chat = open_chat(server)
        starts = asyncio.run(converse(chat, str(uuid.uuid4()), [
            "load sample data", "how many contacts",
            Click("Count roofers in Texas", until=lambda: said(chat, "5 contacts match")), "help"],
            until=lambda: said(chat, "Things you can say"), timeout=60))
    assert sum(1 for n, _ in chat.events if n == "stream_start") >= 3  # the answers were streamed
    assert_each_answer_once(chat, starts, ["Loaded sample data: 16 contacts", "16 contacts match.",
                                           "5 contacts match.", "Things you can say"])
