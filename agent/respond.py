"""Turn one message into one reply. The LangGraph agent plugs in here (issue: the agent)."""

from __future__ import annotations

from typing import Any

from agent.welcome import help_text
from settings import get_settings


def respond(text: str, user: Any = None) -> str:
    """Answer a message. Until the agent graph lands, every message gets the help reply."""
    settings = get_settings()
    if text.lower() in {"help", "?", "/help"}:
        return help_text(settings)
    return "I can't act on that yet: the assistant is not wired in this build.\n\n" + help_text(settings)
