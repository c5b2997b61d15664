"""Helpers for the outbound event tests (test_outbound.py, test_hooks_api.py): a local receiver standing in for an
n8n Webhook node over real HTTP, the queue recorded instead of a worker, and the delivery log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from db.models import OutboundDelivery
from db.session import unit_of_work
from tests.fakes.server import serve_app
from workers import outbound as outbound_worker


class Receiver:
    """An n8n Webhook node stand-in: records each POST and answers the next queued status."""

    url: str  # {base}/webhook/mkt; any /webhook/<path> is received the same way
    base: str

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/__health")
        async def health():
            return {"ok": True}

        @app.post("/webhook/{path:path}")
        async def hook(path: str, request: Request):
            self.received.append({"path": path, "headers": dict(request.headers), "body": await request.body()})
            status = self.statuses.pop(0) if self.statuses else 200
            return JSONResponse({"message": "Workflow was started"}, status_code=status)

        return app


@contextmanager
def serving_receiver(env) -> Iterator[Receiver]:
    """A Receiver on a local port, with loopback targets allowed and 3 attempts per delivery."""
    env(MKT_OUTBOUND_ALLOW_LOOPBACK="true", MKT_OUTBOUND_MAX_ATTEMPTS="3")
    rec = Receiver()
    with serve_app(rec.app()) as base:
        rec.base, rec.url = base, base + "/webhook/mkt"
        yield rec


def record_sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int | None]]:
    """What the actor hands to the queue (ids, delays), recorded instead of waiting for a worker."""
    calls: list[tuple[int, int | None]] = []
    monkeypatch.setattr(outbound_worker.deliver, "send", lambda i: calls.append((i, None)))
    monkeypatch.setattr(outbound_worker.deliver, "send_with_options",
                        lambda args, delay=None, **kw: calls.append((args[0], delay)))
    return calls


def deliveries() -> list[OutboundDelivery]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(OutboundDelivery).order_by(OutboundDelivery.id)))
