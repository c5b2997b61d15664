"""Per-run context handed to the graph (LangGraph runtime context): who is asking. Not checkpointed: a resumed
approval is checked again against the role of whoever resumes it."""

from __future__ import annotations

from dataclasses import dataclass

from domain.roles import parse_role
from tools.users import Actor

MAX_ROUNDS = 6  # model calls per user message before the turn stops with a plain answer


@dataclass(frozen=True)
class Context:
    actor: Actor
    max_rounds: int = MAX_ROUNDS


def actor_from(email: str, role: str, user_id: int | None = None) -> Actor:
    return Actor(email=email, role=parse_role(role), user_id=user_id)
