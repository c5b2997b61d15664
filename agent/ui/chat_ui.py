"""Rendering a turn in Chainlit: streamed answer, tables, charts, next-step buttons, and the Approve/Cancel ask."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import chainlit as cl
from chainlit.utils import utc_now

from agent.core import charts
from agent.core.render import (
    StreamNeutraliser,
    already_said,
    approval_markdown,
    display_markdown,
    neutralise,
    unsaid,
)


def step_actions(steps: list[dict[str, Any]]) -> list[cl.Action]:
    return [cl.Action(name="say", payload={"text": s["say"]}, label=s["label"]) for s in steps if s.get("say")]


def _chart(display: dict[str, Any]) -> list[Any]:
    """A Plotly element when agent/core/charts.py can build one for this display."""
    if display.get("kind") != "chart":
        return []
    try:
        figure = charts.figure_for(display)
    except (AttributeError, KeyError, ValueError):  # a display without the data of its chart: shown as text
        return []
    return [cl.Plotly(name=display.get("title") or "chart", figure=figure, display="inline")] if figure else []


def email_element(email: dict[str, Any] | None) -> list[Any]:
    """The rendered email (public/elements/EmailPreview.jsx: desktop and phone widths, the text version)."""
    if not email or not email.get("html"):
        return []
    props = {k: str(email.get(k) or "") for k in ("to", "subject", "html", "text")}
    return [cl.CustomElement(name="EmailPreview", props=props, display="inline")]


class TurnView:
    """Collects one turn's output into Chainlit messages. Tables and charts go out as they arrive; short text
    results are folded into the answer when the answer already says them (the offline model repeats them). Each
    tool call shows as a step (its arguments, then its outcome) so the user sees what was done on their words."""

    def __init__(self) -> None:
        self.answer = cl.Message(content="")
        self.pending_text: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.tables: list[tuple[cl.Message, dict[str, Any]]] = []
        self.stream = StreamNeutraliser()
        self.open_steps: list[cl.Step] = []
        self.follows: list[dict[str, Any]] = []  # statuses to follow once the turn is done (agent/ui/live.py)

    async def on_tool(self, phase: str, event: dict[str, Any]) -> None:
        """A tool call opens a step showing its arguments; its result closes the earliest open step of that tool
        with the outcome (status and summary line). Arguments and summaries are neutralised like any text."""
        if phase == "call":
            step = cl.Step(name=str(event.get("name") or "tool"), type="tool", show_input="json")
            step.input = neutralise(json.dumps(event.get("args") or {}, ensure_ascii=False, indent=1, default=str))
            await step.send()
            self.open_steps.append(step)
            return
        step = next((s for s in self.open_steps if s.name == event.get("name")), None)
        if step is None:
            return
        self.open_steps.remove(step)
        status = str(event.get("status") or "ok")
        step.output = neutralise(f"{status}: {event.get('summary') or ''}".strip())
        step.is_error = status == "error"
        step.end = utc_now()
        await step.update()

    async def note(self, text: str) -> None:
        """A line said before the answer (what happened to a waiting card)."""
        await cl.Message(content=text).send()

    async def on_token(self, token: str) -> None:
        """Neutralised before it leaves: a streamed image would be fetched by the browser at once."""
        if not self.answer.content:  # dated when it starts, so the tool steps before it stay above it
            self.answer.created_at = utc_now()
        await self.answer.stream_token(self.stream.feed(token))

    async def on_display(self, display: dict[str, Any]) -> None:
        self.steps += display.get("next") or []
        if isinstance(display.get("follow"), dict):
            self.follows.append(display["follow"])
        if display.get("file"):
            f = display["file"]
            await cl.Message(content=display_markdown(display),
                             elements=[cl.File(name=f["name"], path=f["path"], display="inline")]).send()
            return
        if display.get("kind") == "text":
            self.pending_text.append(display)
            return
        message = cl.Message(content=display_markdown(display),
                             elements=_chart(display) + email_element(display.get("email")))
        await message.send()
        if display.get("kind") == "table" and display.get("title"):
            self.tables.append((message, display))

    async def finish(self, text: str, approval: dict[str, Any] | None = None) -> None:
        for step in self.open_steps:  # a call that waits for Approve (or never ran): said, not left spinning
            step.output = "waiting for your Approve or Cancel (the card below)" if approval else "not run"
            step.end = utc_now()
            await step.update()
        self.open_steps = []
        said = text or self.answer.content
        for message, display in self.tables:  # a heading the answer repeats is said once, by the answer
            paragraphs = [p for p in str(display["title"]).split("\n\n") if p.strip()]
            left = [p for p in paragraphs if not already_said(p, said)]
            if len(left) < len(paragraphs):  # what it does not say (a sandbox notice) stays above the table
                message.content = display_markdown({**display, "title": "\n\n".join(left)}, heading=bool(left))
                await message.update()
        for display in self.pending_text:  # only what the answer does not already say (no status said twice)
            rest = unsaid(display_markdown(display), said)
            if rest:
                await cl.Message(content=rest).send()
        self.answer.actions = step_actions(self.steps)
        if not self.answer.content:
            self.answer.created_at = utc_now()  # after the steps and tables of this turn
        self.answer.content = neutralise(self.answer.content or text)
        if self.answer.content or self.answer.actions:
            await self.answer.send()


def card_actions(graph_thread: str) -> list[cl.Action]:
    """Approve / Cancel on a card; the payload says which graph thread the card waits in."""
    ids = [str(uuid.uuid4()), str(uuid.uuid4())]  # each button knows both, so an answer removes the pair
    return [cl.Action(name=f"card_{decision}", id=ids[i], label=label,
                      payload={"decision": decision, "graph_thread": graph_thread, "pair": ids})
            for i, (decision, label) in enumerate((("approve", "Approve"), ("cancel", "Cancel")))]


async def show_card(value: dict[str, Any], graph_thread: str) -> None:
    """The approval card with Approve / Cancel. It does not wait: the chat input stays usable; a typed "yes" or
    "cancel" answers it, anything else runs beside it (agent/ui/cards.py)."""
    hint = "\n\n_You can keep typing: “yes” or “cancel” answers this card; anything else leaves it waiting._"
    await cl.Message(content=approval_markdown(value) + hint, actions=card_actions(graph_thread),
                     elements=email_element((value.get("summary") or {}).get("email"))).send()


async def run_as_turn(work: Any) -> None:
    """Run a button's work like a typed message, between task_start and task_end (the input shows the turn is busy);
    an error is said in the chat and the session goes on; the Stop button cancels quietly."""
    emitter = cl.context.emitter
    await emitter.task_start()
    try:
        await work
    except asyncio.CancelledError:  # the Stop button
        pass
    except Exception as exc:  # noqa: BLE001 - said in the chat as Chainlit does for a message; the session goes on
        logging.getLogger(__name__).exception("card action failed")
        await cl.ErrorMessage(content=neutralise(str(exc)) or type(exc).__name__, author="Error").send()
    finally:
        await emitter.task_end()
