"""Approval cards that never block the chat. While a card waits (the graph is interrupted in the conversation's
thread), a new message either answers it ("yes", "approve", "cancel", "no") or runs beside it in the
conversation's aside thread, leaving the card pending; either way the reply says which. Shared by Chainlit and the
tests (no Chainlit here)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agent.core.runner import Agent, OnDisplay, OnToken, OnTool, TurnResult
from tools.users import Actor

_APPROVE = {"yes", "y", "approve", "approved", "ok", "okay", "go", "go ahead", "do it", "confirm", "yes please",
            "send it", "launch it", "yes go ahead", "sure"}
_CANCEL = {"no", "n", "cancel", "cancel it", "stop", "don't", "do not", "abort", "no thanks", "never mind", "nope"}


def card_answer(text: str) -> str | None:
    """"approve" or "cancel" when the text answers a waiting card, else None (a new request)."""
    said = re.sub(r"[^\w' ]+", " ", (text or "").lower())
    said = " ".join(said.split())
    if said in _APPROVE:
        return "approve"
    if said in _CANCEL:
        return "cancel"
    return None


def aside(thread_id: str) -> str:
    """The graph thread where messages typed while a card waits run, so the card's own thread stays interrupted."""
    return f"{thread_id}:aside"


def card_title(value: dict[str, Any] | None) -> str:
    summary = (value or {}).get("summary") or {}
    return str(summary.get("title") or (value or {}).get("tool") or "the action")


@dataclass
class Turn:
    result: TurnResult
    graph_thread: str  # where a new approval of this turn waits (answer it there)
    note: str = ""  # what happened to the waiting card, said before the answer


async def waiting(agent: Agent, thread_id: str) -> tuple[str, dict[str, Any]] | None:
    """The card waiting in this conversation, newest place first: (graph thread, interrupt value) or None."""
    for graph_thread in (aside(thread_id), thread_id):
        value = await agent.pending(graph_thread)
        if value:
            return graph_thread, value
    return None


async def turn(agent: Agent, text: str, *, thread_id: str, actor: Actor, on_token: OnToken = None,
               on_display: OnDisplay = None, on_note: Callable[[str], Awaitable[None]] | None = None,
               on_tool: OnTool = None) -> Turn:
    """One typed message. No card waiting: an ordinary turn. A card waiting and the text answers it: the answer
    is given (and said). Otherwise the message runs in the aside thread and the card stays pending (and that is
    said); a card already waiting in the aside thread is replaced by the new message there."""
    found = await waiting(agent, thread_id)
    if found is None:
        return Turn(await agent.send(text, thread_id=thread_id, actor=actor, on_token=on_token,
                                     on_display=on_display, on_tool=on_tool), thread_id)
    graph_thread, value = found
    answer = card_answer(text)
    if answer is not None:
        note = f"Taking “{text.strip()}” as {'Approve' if answer == 'approve' else 'Cancel'} for: {card_title(value)}."
        if on_note:
            await on_note(note)
        result = await agent.decide(answer, thread_id=graph_thread, actor=actor, on_token=on_token,
                                    on_display=on_display, on_tool=on_tool)
        return Turn(result, graph_thread, note)
    main = value if graph_thread == thread_id else await agent.pending(thread_id)
    notes = [f"Your new message replaced the waiting request ({card_title(value)}): nothing of it was done."] \
        if graph_thread != thread_id else []
    if main is not None:
        notes.append(f"Still waiting for your Approve or Cancel: {card_title(main)}. Meanwhile, your message:")
    note = " ".join(notes)
    if on_note and note:
        await on_note(note)
    result = await agent.send(text, thread_id=aside(thread_id), actor=actor, on_token=on_token,
                              on_display=on_display, on_tool=on_tool)
    return Turn(result, aside(thread_id), note)
