"""The graph's state: the conversation, the model rounds of the current turn, and the approval decisions."""

from __future__ import annotations

from typing import Annotated, Any

from langgraph.graph import MessagesState


def _replace(_old: Any, new: Any) -> Any:
    return new


class AgentState(MessagesState):
    rounds: Annotated[int, _replace]  # model calls in the current turn (reset by each user message)
    decisions: Annotated[dict[str, str], _replace]  # tool_call_id -> run | cancelled | refused: why
