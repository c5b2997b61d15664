"""The inbox step shared by our webhook routes: store the verified event once, enqueue processing only when
it is new (after commit), and say which it was."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool


def _store(provider: str, event_id: str, event_type: str, payload: dict[str, Any]) -> int | None:
    from db.session import unit_of_work
    from tools.webhook_events import store_event
    from workers.webhooks import process

    with unit_of_work() as uow:
        stored = store_event(uow.session, provider, event_id, event_type, payload)
        if stored is not None:
            uow.after_commit(process.send, stored)
    return stored


async def accept(provider: str, event_id: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Store and enqueue; the JSON answer says whether the event was new or a duplicate."""
    stored = await run_in_threadpool(_store, provider, event_id, event_type, payload)
    return {"status": "accepted" if stored else "duplicate", "event_id": event_id}
