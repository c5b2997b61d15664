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

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    """Store events in one transaction; returns each one's new row id, or None when it was already stored
    (earlier, or earlier in this same batch). Enqueues the new ones after commit (one queue message per batch)."""
    from db.models import WebhookEvent, utcnow
    from db.session import get_engine
    from workers.webhooks import enqueue

    keys = [(p, str(e)[:200]) for p, e, _, _ in items]
    first = {k: i for i, k in reversed(list(enumerate(keys)))}
    now = utcnow()
    rows = [dict(provider=p, event_id=keys[i][1], event_type=t[:100], payload=d, status="pending", attempts=0,
                 received_at=now) for i, (p, _, t, d) in enumerate(items) if first[keys[i]] == i]
    engine = get_engine()
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    stmt = (insert(WebhookEvent).on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(WebhookEvent.provider, WebhookEvent.event_id, WebhookEvent.id))
    # One Core transaction, one cached statement for many rows: the hot path of the webhook intake (an ORM
    # session and its bulk path cost about 3x more per event). Enqueued only after the commit, as in a unit of work.
    with engine.begin() as conn:
        stored = {(p, e): i for p, e, i in conn.execute(stmt, rows)}
    try:
        enqueue(list(stored.values()))
    except Exception:  # noqa: BLE001 - stored is stored: webhooks.sweep enqueues what stays pending
        log.exception("webhook inbox: %d events stored but not enqueued; the sweeper will retry", len(stored))
    return [stored.get(k) if first[k] == i else None for i, k in enumerate(keys)]


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
