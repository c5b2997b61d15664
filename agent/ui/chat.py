"""Chainlit handlers: login against our users table, thread history (Chainlit's own tables, kept apart), the
welcome with starters, each message through the agent graph, approvals as Approve/Cancel, CSV uploads.
Blocking work (database) runs in worker threads; the graph runs with astream, so the event loop never stalls."""

from __future__ import annotations

import asyncio
import logging
import secrets
from contextlib import AsyncExitStack
from typing import Any

import chainlit as cl
from chainlit.server import app as chainlit_server_app

from agent.core.render import neutralise
from agent.offline.help import help_text, welcome_text
from agent.ui import element_store, live
from agent.ui.chat_import import answer_card, csv_files, import_flow
from agent.ui.chat_ui import TurnView, run_as_turn, show_card
from agent.ui.chat_user import current_actor
from db.session import unit_of_work
from settings import get_settings
from tools.users import Actor, authenticate
from webhooks.app import mount_on

log = logging.getLogger(__name__)
mount_on(chainlit_server_app)  # our routes (health, webhooks, API) go before Chainlit's catch-all
element_store.mount(chainlit_server_app)  # charts and files of reopened threads (signed links)
_STATE: dict[str, Any] = {}
_LOCKS: dict[str, asyncio.Lock] = {}


def _thread_lock() -> asyncio.Lock:
    """One graph run at a time per conversation (a second tab or a fast double message waits its turn)."""
    return _LOCKS.setdefault(thread_id(), asyncio.Lock())


def _login(username: str, password: str) -> cl.User | None:
    with unit_of_work() as uow:
        user = authenticate(uow.session, username, password)
        if user is None:
            return None
        return cl.User(identifier=user.email, display_name=user.name or user.email,
                       metadata={"role": user.role, "user_id": user.id,
                                 "session": secrets.token_hex(8)})  # each login its own token: logout revokes one


@cl.password_auth_callback
async def password_auth(username: str, password: str) -> cl.User | None:
    from webhooks.sessions import after_login, before_login

    if not before_login(username):  # blocked account or client address: answered 429 with Retry-After
        return None
    user = await asyncio.to_thread(_login, username, password)
    after_login(username, user is not None)
    if user is None:
        log.info("login refused")
    return user


@cl.on_logout
async def on_logout(request: Any, response: Any) -> dict[str, bool]:
    """The token is refused from now on (until it would have expired), not just its cookie cleared."""
    from webhooks.sessions import revoke_request_token

    await asyncio.to_thread(revoke_request_token, dict(request.cookies), request.headers.get("authorization"))
    return {"success": True}


@cl.data_layer
def chainlit_data_layer():
    from agent.ui.datalayer import data_layer

    return data_layer()


@cl.on_app_startup
async def on_startup() -> None:
    from agent.core.runner import open_agent
    from agent.ui.datalayer import ensure_tables
    from workers import embedded

    await asyncio.to_thread(embedded.start)
    await asyncio.to_thread(ensure_tables)
    stack = AsyncExitStack()
    _STATE["agent"] = await stack.enter_async_context(open_agent())
    _STATE["stack"] = stack


@cl.on_app_shutdown
async def on_shutdown() -> None:
    from workers import embedded

    if "stack" in _STATE:
        await _STATE.pop("stack").aclose()
    await asyncio.to_thread(embedded.stop)


def thread_id() -> str:
    return cl.context.session.thread_id


@cl.set_starters
async def starters(user: Any = None, language: Any = None) -> list[cl.Starter]:
    picks = ["load sample data", "show contacts in Austin without email", "how many roofers in Texas",
             "analytics last 7 days"]
    return [cl.Starter(label=p.capitalize(), message=p) for p in picks]


async def _resume_pending(actor: Actor) -> None:
    from agent.ui.cards import waiting

    found = await waiting(_STATE["agent"], thread_id())
    if found:
        await cl.Message(content="An approval from earlier in this conversation is still waiting.").send()
        await show_card(found[1], found[0])


@cl.on_chat_start
async def on_chat_start() -> None:
    user = cl.user_session.get("user")
    name = user.display_name if user and user.display_name else "there"
    actions = [cl.Action(name="say", payload={"text": "load sample data"}, label="Load sample data")]
    await cl.Message(content=welcome_text(get_settings(), name), actions=actions).send()
    actor = await current_actor()
    if actor and "agent" in _STATE:
        await _resume_pending(actor)


@cl.on_chat_resume
async def on_chat_resume(thread: Any) -> None:
    actor = await current_actor()
    if actor and "agent" in _STATE:
        await _resume_pending(actor)


async def _decide(decision: str, graph_thread: str) -> None:
    """A card's Approve / Cancel: answer it in the graph thread it waits in; a next card shows in turn."""
    actor = await current_actor()
    if actor is None:
        await cl.Message(content="Your account is disabled or gone; ask an admin.").send()
        return
    view = TurnView()
    async with _thread_lock():
        result = await _STATE["agent"].decide(decision, thread_id=graph_thread, actor=actor, on_token=view.on_token,
                                              on_display=view.on_display, on_tool=view.on_tool)
    await view.finish(result.text, result.approval)
    live.start(view.follows, actor)
    if result.approval:
        await show_card(result.approval, graph_thread)


async def handle_text(text: str) -> None:
    actor = await current_actor()
    if actor is None:
        await cl.Message(content="Your account is disabled or gone; ask an admin.").send()
        return
    if text.lower() in {"help", "?", "/help"}:
        await cl.Message(content=help_text(get_settings())).send()
        return
    from agent.ui.cards import turn

    view = TurnView()
    async with _thread_lock():
        done = await turn(_STATE["agent"], text, thread_id=thread_id(), actor=actor, on_token=view.on_token,
                          on_display=view.on_display, on_note=view.note, on_tool=view.on_tool)
    await view.finish(done.result.text, done.result.approval)
    live.start(view.follows, actor)
    if done.result.approval:
        await show_card(done.result.approval, done.graph_thread)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    files = csv_files(message.elements or [])
    first = not cl.user_session.get("titled")
    cl.user_session.set("titled", True)  # Chainlit names the thread after the first typed message
    if files:
        actor = await current_actor()
        for element in files:
            await import_flow(element, actor)
        if first and not (message.content or "").strip():  # a dropped file alone: titled after it, not "Untitled"
            await _title(f"Import of {files[0].name}")
        return
    text = (message.content or "").strip()
    if text and await answer_card(text):  # a mapping card waits and this message answers it
        return
    if text:
        await handle_text(text)
    else:
        await cl.Message(content=help_text(get_settings())).send()


async def _say_turn(text: str, title: bool = False) -> None:
    """A next-step button's turn, run like a typed message: between task_start and task_end. Chainlit runs action
    callbacks without them; an Approve answered inside would leave the UI "running" for good (send_ask_user ends
    with task_start), so the composer and every button stayed disabled."""
    emitter = cl.context.emitter
    await emitter.task_start()
    try:
        user = cl.user_session.get("user")
        await cl.Message(content=text, type="user_message", author=user.identifier if user else None).send()
        await handle_text(text)
    except asyncio.CancelledError:  # the Stop button
        pass
    except Exception as exc:  # noqa: BLE001 - said in the chat as Chainlit does for a message; the session goes on
        log.exception("next-step action failed")
        await cl.ErrorMessage(content=neutralise(str(exc)) or type(exc).__name__, author="Error").send()
    finally:
        await emitter.task_end()
        if title:
            await _title(text)


_ACTION_TASKS: set[asyncio.Task] = set()


async def _title(text: str) -> None:
    """Name the thread after the user's words when its first interaction was a button (Chainlit names it after the
    action, "say") or a dropped file (Chainlit's first interaction is then "", which its sidebar ignores: it showed
    "No threads found" until a reload). Saying the first interaction again with the title makes the sidebar list
    the live thread at once, under its name."""
    from chainlit.data import get_data_layer
    from chainlit.user import PersistedUser

    layer = get_data_layer()
    if layer is not None:
        user = cl.context.session.user  # with its id: the sidebar lists the user's threads only
        await layer.update_thread(thread_id(), name=text[:100],
                                  user_id=user.id if isinstance(user, PersistedUser) else None)
        await cl.context.emitter.emit("first_interaction", {"interaction": text[:100], "thread_id": thread_id()})


@cl.action_callback("say")
async def on_say(action: cl.Action) -> None:
    """Start the turn and return at once: the HTTP call behind the button does not stay open while the turn runs
    or waits for an Approve (up to APPROVAL_TIMEOUT). The turn is the session's current task, so Stop cancels it."""
    text = str((action.payload or {}).get("text") or "").strip()
    if not text:
        return
    first = not cl.user_session.get("titled")
    cl.user_session.set("titled", True)
    task = asyncio.create_task(_say_turn(text, title=first))
    _ACTION_TASKS.add(task)
    task.add_done_callback(_ACTION_TASKS.discard)
    cl.context.session.current_task = task


async def _on_card(action: cl.Action) -> None:
    """Approve / Cancel on a card: started as the session's task and returned at once (as on_say)."""
    payload = action.payload or {}
    decision = "approve" if payload.get("decision") == "approve" else "cancel"
    graph_thread = str(payload.get("graph_thread") or thread_id())
    if graph_thread.split(":")[0] != thread_id():  # a card of another conversation cannot be answered here
        return
    task = asyncio.create_task(run_as_turn(_decide(decision, graph_thread)))
    _ACTION_TASKS.add(task)
    task.add_done_callback(_ACTION_TASKS.discard)
    cl.context.session.current_task = task
    for other in payload.get("pair") or [action.id]:  # both buttons go: the card is answered
        await cl.Action(name=action.name, payload={}, id=str(other), forId=action.forId).remove()


cl.action_callback("card_approve")(_on_card)
cl.action_callback("card_cancel")(_on_card)
