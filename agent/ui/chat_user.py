"""Who is asking in the Chainlit chat: the signed-in user's current role, read again from our table on each use."""

from __future__ import annotations

import asyncio
from typing import Any

import chainlit as cl

from agent.core.context import actor_from
from db.session import unit_of_work
from tools.users import Actor


def actor_now(user_id: Any, email: str) -> Actor | None:
    """The user's current role from our table (a demoted or disabled user loses rights at once)."""
    from db.models import User

    with unit_of_work() as uow:
        user = uow.session.get(User, int(user_id)) if user_id is not None else None
        if user is None or not user.is_active:
            return None
        return actor_from(user.email, user.role, user.id)


async def current_actor() -> Actor | None:
    """The actor of this chat session, or None when nobody is signed in (or the user is gone or disabled)."""
    user = cl.user_session.get("user")
    if user is None:
        return None
    return await asyncio.to_thread(actor_now, (user.metadata or {}).get("user_id"), user.identifier)
