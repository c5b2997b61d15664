"""The inbox step shared by our webhook routes: store the verified event once, enqueue processing only when
it is new (after commit), and say which it was.

Group commit: requests that arrive while a store is in flight wait for the next one, which writes all of
them in one INSERT ... ON CONFLICT DO NOTHING RETURNING and one commit. A lone request is stored at once
(no added delay); under load one commit serves many events. Every request still gets its answer only after
its event is committed, so a 2xx always means "stored". If the queue fails right after the commit the
request still succeeds: the event stays pending and `webhooks.sweep` (workers/inbox.py) enqueues it later."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

MAX_BATCH = 500
log = logging.getLogger(__name__)


@dataclass
class _Item:
    provider: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    future: asyncio.Future = field(repr=False)


def store_batch(items: list[tuple[str, str, str, dict[str, Any]]]) -> list[int | None]:
    """Store events in one transaction (tools.webhook_events.store_many); returns each one's new row id, or None
    when it was already stored (earlier, or earlier in this same batch). Enqueues the new ones after commit (one
    queue message per batch)."""
    from db.session import get_engine
    from tools.webhook_events import store_many
    from workers.webhooks import enqueue

    # One Core transaction, one cached statement for many rows (the hot path of the webhook intake). Enqueued only
    # after the commit, as in a unit of work.
    with get_engine().begin() as conn:
        ids = store_many(conn, items)
    new = [i for i in ids if i is not None]
    try:
        enqueue(new)
    except Exception:  # noqa: BLE001 - stored is stored: webhooks.sweep enqueues what stays pending
        log.exception("webhook inbox: %d events stored but not enqueued; the sweeper will retry", len(new))
    return ids


class _Batcher:
    """One per event loop: at most one store in flight; what arrives meanwhile goes in the next batch."""

    def __init__(self) -> None:
        self.waiting: list[_Item] = []
        self.running = False

    def submit(self, item: _Item) -> None:
        self.waiting.append(item)
        if not self.running:
            self.running = True
            asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:MAX_BATCH], self.waiting[MAX_BATCH:]
                await self._flush(batch)
        finally:
            self.running = False

    async def _flush(self, batch: list[_Item]) -> None:
        try:
            ids = await run_in_threadpool(store_batch, [(i.provider, i.event_id, i.event_type, i.payload)
                                                        for i in batch])
        except Exception as exc:  # noqa: BLE001 - every waiting request gets the failure
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        for item, row_id in zip(batch, ids, strict=True):
            if not item.future.done():
                item.future.set_result(row_id)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Batcher] = weakref.WeakKeyDictionary()


async def accept(provider: str, event_id: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Store and enqueue; the JSON answer says whether the event was new or a duplicate."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        batcher = _batchers[loop] = _Batcher()
    future: asyncio.Future = loop.create_future()
    batcher.submit(_Item(provider, event_id, event_type, payload, future))
    stored = await future
    return {"status": "accepted" if stored else "duplicate", "event_id": event_id}
