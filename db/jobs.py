"""Jobs enqueued from below the entry points: `enqueue(session, "area.verb", *args)` sends a message to the actor
of that name once the session's transaction has committed (the unit of work's after-commit work), and nothing
when it rolls back. Rows first (outbox), the message after commit: a worker always finds what it is told about.

Actors are found by name on the broker of this process (Redis, or the in-process StubBroker). Every entry point
declares them all by importing `workers.actors`; a name no one declared fails at the call, inside the
transaction, so the work is rolled back instead of a message being lost after the commit."""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.errors import ActorNotFound
from sqlalchemy.orm import Session

from db.session import unit_of


class NoSuchActor(LookupError):
    """No actor of that name is declared on this process's broker."""


def enqueue(session: Session, actor_name: str, *args: Any) -> None:
    """Send `actor_name`(*args) once `session` commits; dropped on rollback. Arguments must be JSON-able (ids)."""
    actor(actor_name)
    session.connection()  # the message belongs to the transaction in progress (begun here if none is yet)
    unit_of(session).after_commit(send, actor_name, *args)


def send(actor_name: str, *args: Any) -> None:
    """Send the message now (no transaction to wait for)."""
    actor(actor_name).send(*args)


def actor(actor_name: str) -> dramatiq.Actor:
    """The actor declared under `actor_name` on the broker of this process."""
    broker = dramatiq.broker.global_broker
    try:
        if broker is None:
            raise ActorNotFound(actor_name)
        return broker.get_actor(actor_name)
    except ActorNotFound:
        raise NoSuchActor(f"no actor {actor_name!r} is declared on this process's broker "
                          "(entry points import workers.actors, which declares every actor)") from None
