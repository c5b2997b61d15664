"""Messages that update by themselves: after a launch (or a resume) the campaign's sends, and after an enrichment
request the enrichment queue, are followed in one chat message that rewrites itself every few seconds until they
settle, so nobody has to type "status" again. A tool asks for it by putting `follow` in its display:
{"kind": "campaign", "ref": ID} or {"kind": "enrichment"}. Following reads through the same tools as a typed
question (role checked, own unit of work) and stops after FOLLOW_FOR seconds, saying how to ask again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import chainlit as cl

from agent.core.render import neutralise
from tools.users import Actor

log = logging.getLogger(__name__)
FOLLOW_EVERY = 2.0  # seconds between two reads
FOLLOW_FOR = 600.0  # then the message says how to ask again
_TASKS: set[asyncio.Task] = set()


def _read(spec: dict[str, Any], actor: Actor) -> tuple[str, bool]:
    """(the line to show, settled?) for one follow spec: runs the status tool (blocking: call in a thread)."""
    from agent.core.execute import run_tool
    from agent.tools import catalogue

    if spec.get("kind") == "campaign":
        out = run_tool(catalogue.get("campaign_status"), actor, {"ref": str(spec["ref"])})
        p = out.display.get("progress") or {}
        return out.text, bool(out.display.get("error")) or p.get("status") != "running"
    out = run_tool(catalogue.get("enrichment_progress"), actor, {})
    counts = out.display.get("progress") or {}
    return out.text, bool(out.display.get("error")) or not (counts.get("pending") or counts.get("running"))


async def follow(spec: dict[str, Any], actor: Actor, *, every: float = FOLLOW_EVERY,
                 for_seconds: float = FOLLOW_FOR) -> str:
    """Post a message and rewrite it with the latest status until it settles or `for_seconds` pass; returns the
    last text shown."""
    what = f"campaign #{spec['ref']}" if spec.get("kind") == "campaign" else "enrichment"
    message = cl.Message(content=f"Following {what}…")
    await message.send()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + for_seconds
    while True:
        text, settled = await asyncio.to_thread(_read, spec, actor)
        if settled:
            message.content = f"**{what.capitalize()}, final:** {neutralise(text)}"
        elif loop.time() >= deadline:
            ask = f"status of campaign {spec['ref']}" if spec.get("kind") == "campaign" else "enrichment status"
            message.content = (f"**{what.capitalize()}** (no longer updating; say `{ask}`): {neutralise(text)}")
        else:
            message.content = f"**{what.capitalize()}, live** (updates by itself): {neutralise(text)}"
        await message.update()
        if settled or loop.time() >= deadline:
            return message.content
        await asyncio.sleep(every)


def start(specs: list[dict[str, Any]], actor: Actor | None) -> None:
    """Follow each spec in the background (the chat stays usable); failures are logged, never raised."""
    if actor is None:
        return
    for spec in {(s.get("kind"), str(s.get("ref"))): s for s in specs}.values():  # once each
        task = asyncio.create_task(_safe(follow(spec, actor)))
        _TASKS.add(task)
        task.add_done_callback(_TASKS.discard)


async def _safe(work: Any) -> None:
    try:
        await work
    except asyncio.CancelledError:
        pass
    except Exception:  # noqa: BLE001 - a status that cannot be read stops the following, not the chat
        log.exception("following a status failed")
