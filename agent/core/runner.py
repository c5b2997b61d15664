"""Drive the graph for one user message or one approval decision. Shared by Chainlit, `mkt chat` and the tests:
tokens stream through `on_token`; tool results come back as displays; each tool call and its result are told to
`on_tool` as they happen (the chat shows them as steps); a pending approval comes back as `approval`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Command

from agent.core.checkpoint import open_checkpointer
from agent.core.context import Context
from agent.core.graph import SUPERSEDED, build_graph
from agent.core.model import build_model
from settings import Settings
from tools.users import Actor

# Checkpoint when the run stops (an answer or a pending approval), not after every step: a pending approval is
# saved all the same; a crash mid-turn loses only that turn's unsaved steps (tools commit on their own).
DURABILITY = "exit"
OnToken = Callable[[str], Awaitable[None]] | None
OnDisplay = Callable[[dict[str, Any]], Awaitable[None]] | None
# ("call", {"name", "args"}) when the model calls a tool, ("result", {"name", "status", "summary", ...}) when it ran
OnTool = Callable[[str, dict[str, Any]], Awaitable[None]] | None


@dataclass
class TurnResult:
    text: str = ""
    displays: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: list[dict[str, Any]] = field(default_factory=list)  # per call: name, status, summary, counts
    approval: dict[str, Any] | None = None  # the interrupt value: tool, args, summary, requested_by


class Agent:
    def __init__(self, graph: Any) -> None:
        self.graph = graph

    @staticmethod
    def config(thread_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread_id}, "recursion_limit": 40}

    async def send(self, text: str, *, thread_id: str, actor: Actor, on_token: OnToken = None,
                   on_display: OnDisplay = None, on_tool: OnTool = None) -> TurnResult:
        """One user message. An approval still pending in the thread is cancelled first (a new message
        supersedes it: nothing of it happens) so no tool call is left without its answer."""
        while await self.pending(thread_id):
            inp = Command(resume={"decision": SUPERSEDED, "by": actor.email})
            await self._run(inp, thread_id, actor, None, on_display)
        inp = {"messages": [HumanMessage(content=text)], "rounds": 0}
        return await self._run(inp, thread_id, actor, on_token, on_display, on_tool)

    async def decide(self, decision: str, *, thread_id: str, actor: Actor, on_token: OnToken = None,
                     on_display: OnDisplay = None, on_tool: OnTool = None) -> TurnResult:
        """Answer the pending approval: "approve" or anything else (cancel). Without one, nothing happens."""
        if not await self.pending(thread_id):
            return TurnResult(text="That approval is no longer pending (it was answered or superseded by a newer "
                                   "message); nothing was done.")
        inp = Command(resume={"decision": decision, "by": actor.email})
        return await self._run(inp, thread_id, actor, on_token, on_display, on_tool)

    async def pending(self, thread_id: str) -> dict[str, Any] | None:
        state = await self.graph.aget_state(self.config(thread_id))
        return state.interrupts[0].value if state.interrupts else None

    async def _run(self, inp: Any, thread_id: str, actor: Actor, on_token: OnToken,
                   on_display: OnDisplay = None, on_tool: OnTool = None) -> TurnResult:
        result = TurnResult()
        async for mode, data in self.graph.astream(inp, self.config(thread_id), context=Context(actor=actor),
                                                   stream_mode=["messages", "updates"], durability=DURABILITY):
            if mode == "messages":
                chunk, meta = data
                if on_token and meta.get("langgraph_node") == "agent" and isinstance(chunk, AIMessageChunk) \
                        and isinstance(chunk.content, str) and chunk.content:
                    await on_token(chunk.content)
            else:
                shown, called, ran = len(result.displays), len(result.tool_calls), len(result.tool_results)
                self._update(result, data)
                for call in result.tool_calls[called:] if on_tool else []:
                    await on_tool("call", call)
                for done in result.tool_results[ran:] if on_tool else []:
                    await on_tool("result", done)
                for display in result.displays[shown:] if on_display else []:
                    await on_display(display)
        return result

    @staticmethod
    def _update(result: TurnResult, data: dict[str, Any]) -> None:
        if "__interrupt__" in data:
            result.approval = data["__interrupt__"][0].value
            return
        for update in data.values():
            for msg in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                if isinstance(msg, ToolMessage):
                    if msg.artifact:
                        result.displays.append(msg.artifact)
                    result.tool_results.append(tool_result(msg))
                elif isinstance(msg, AIMessage):
                    result.tool_calls += [{"name": c["name"], "args": c["args"]} for c in msg.tool_calls]
                    if msg.content and not msg.tool_calls:
                        result.text = str(msg.content)


def tool_result(msg: ToolMessage) -> dict[str, Any]:
    """What one tool call did, for scripts: its name, status (ok, error, refused, cancelled), the summary line
    and, for tables, the rows shown and the total."""
    text = str(msg.content)
    display = msg.artifact if isinstance(msg.artifact, dict) else {}
    status = ("refused" if text.startswith("Refused") else "cancelled" if text.startswith("Cancelled")
              else "error" if display.get("error") or text.startswith("Error") else "ok")
    out: dict[str, Any] = {"name": msg.name, "status": status, "summary": text.split("\nDATA", 1)[0].strip()[:500]}
    if display.get("kind") == "table":
        out["rows"] = len(display.get("rows") or [])
    if isinstance(display.get("total"), int):
        out["total"] = display["total"]
    return out


@asynccontextmanager
async def open_agent(settings: Settings | None = None, model: Any = None) -> AsyncIterator[Agent]:
    """An Agent on the configured model (or `model`) with the database checkpointer; closes it on exit."""
    async with open_checkpointer(settings) as saver:
        yield Agent(build_graph(model or build_model(settings), saver))
