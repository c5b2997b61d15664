"""Rendering a turn in Chainlit: streamed answer, tables, charts, next-step buttons, and the Approve/Cancel ask."""

from __future__ import annotations

from typing import Any

import chainlit as cl

from agent.render import StreamNeutraliser, already_said, approval_markdown, display_markdown, neutralise

APPROVAL_TIMEOUT = 24 * 3600  # seconds the Approve/Cancel buttons wait; unanswered, the approval stays pending


def step_actions(steps: list[dict[str, Any]]) -> list[cl.Action]:
    return [cl.Action(name="say", payload={"text": s["say"]}, label=s["label"]) for s in steps if s.get("say")]


def _chart(display: dict[str, Any]) -> list[Any]:
    """A Plotly element when the analytics engineer's agent/charts.py can build one for this display."""
    if display.get("kind") != "chart":
        return []
    try:
        from agent import charts

        figure = charts.figure_for(display)
    except (ImportError, AttributeError, KeyError, ValueError):
        return []
    return [cl.Plotly(name=display.get("title") or "chart", figure=figure, display="inline")] if figure else []


class TurnView:
    """Collects one turn's output into Chainlit messages. Tables and charts go out as they arrive; short text
    results are folded into the answer when the answer already says them (the offline model repeats them)."""

    def __init__(self) -> None:
        self.answer = cl.Message(content="")
        self.pending_text: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.stream = StreamNeutraliser()

    async def on_token(self, token: str) -> None:
        """Neutralised before it leaves: a streamed image would be fetched by the browser at once."""
        await self.answer.stream_token(self.stream.feed(token))

    async def on_display(self, display: dict[str, Any]) -> None:
        self.steps += display.get("next") or []
        if display.get("file"):
            f = display["file"]
            await cl.Message(content=display_markdown(display),
                             elements=[cl.File(name=f["name"], path=f["path"], display="inline")]).send()
            return
        if display.get("kind") == "text":
            self.pending_text.append(display)
            return
        await cl.Message(content=display_markdown(display), elements=_chart(display)).send()

    async def finish(self, text: str) -> None:
        said = text or self.answer.content
        for display in self.pending_text:
            md = display_markdown(display)
            if not already_said(md, said):
                await cl.Message(content=md).send()
        self.answer.actions = step_actions(self.steps)
        self.answer.content = neutralise(self.answer.content or text)
        if self.answer.content or self.answer.actions:
            await self.answer.send()


async def ask_approval(value: dict[str, Any]) -> str | None:
    """Show the summary with Approve / Cancel. Returns "approve", "cancel", or None when unanswered."""
    actions = [cl.Action(name="approve", payload={"decision": "approve"}, label="Approve"),
               cl.Action(name="cancel", payload={"decision": "cancel"}, label="Cancel")]
    res = await cl.AskActionMessage(content=approval_markdown(value), actions=actions,
                                    timeout=APPROVAL_TIMEOUT).send()
    if not res:
        return None
    return "approve" if (res.get("payload") or {}).get("decision") == "approve" else "cancel"
