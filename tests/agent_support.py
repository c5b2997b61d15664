"""Driving the real agent graph (offline model) from a test: one thread, several messages, the turns' results."""

from __future__ import annotations

import asyncio
import uuid

from agent.core.context import actor_from
from agent.core.runner import open_agent

MARKETER = actor_from("marketer@example.com", "marketer")


def chat(*texts: str, actor=MARKETER) -> list:
    """Send `texts` one after another in a new thread as `actor`; returns each turn's TurnResult."""
    async def run():
        thread, out = f"test-{uuid.uuid4()}", []
        async with open_agent() as agent:
            for text in texts:
                out.append(await agent.send(text, thread_id=thread, actor=actor))
        return out
    return asyncio.run(run())


class StatusMessage:
    """Stands in for the cl.Message the chat updates while an import runs (Chainlit needs a websocket session):
    keeps every text it was updated to."""

    def __init__(self) -> None:
        self.content, self.shown = "Importing…", []

    async def update(self) -> bool:
        self.shown.append(self.content)
        return True
