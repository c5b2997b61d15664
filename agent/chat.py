"""Chainlit handlers: login against our users table, the welcome, and each message handed to the agent.
Blocking work (database, model) runs in a worker thread so the event loop never stalls."""

from __future__ import annotations

import asyncio
import logging

import chainlit as cl
from chainlit.server import app as chainlit_server_app

from agent.welcome import help_text, welcome_text
from db.session import unit_of_work
from settings import get_settings
from tools.users import authenticate
from webhooks.app import mount_on

log = logging.getLogger(__name__)
mount_on(chainlit_server_app)  # our routes (health, webhooks, API) go before Chainlit's catch-all


def _login(username: str, password: str) -> cl.User | None:
    with unit_of_work() as uow:
        user = authenticate(uow.session, username, password)
        if user is None:
            return None
        return cl.User(identifier=user.email, display_name=user.name or user.email,
                       metadata={"role": user.role, "user_id": user.id})


@cl.password_auth_callback
async def password_auth(username: str, password: str) -> cl.User | None:
    user = await asyncio.to_thread(_login, username, password)
    if user is None:
        log.info("login refused")
    return user


@cl.on_app_startup
async def on_startup() -> None:
    from workers import embedded

    await asyncio.to_thread(embedded.start)


@cl.on_app_shutdown
async def on_shutdown() -> None:
    from workers import embedded

    await asyncio.to_thread(embedded.stop)


def current_user() -> cl.User | None:
    return cl.user_session.get("user")


@cl.on_chat_start
async def on_chat_start() -> None:
    user = current_user()
    name = user.display_name if user and user.display_name else "there"
    await cl.Message(content=welcome_text(get_settings(), name)).send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    text = (message.content or "").strip()
    from agent.respond import respond

    reply = await asyncio.to_thread(respond, text, current_user())
    await cl.Message(content=reply or help_text(get_settings())).send()
