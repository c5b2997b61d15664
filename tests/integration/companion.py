"""Helpers for the companion endpoint tests: settings from the environment, an HTTP client on the real app,
and running the stored webhook events through the real `webhooks.process` actor (synchronously)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from db.models import WebhookEvent
from db.session import unit_of_work
from settings import reset_settings


def env_setter(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """For a fixture: env(MKT_X="...") sets variables and forgets the cached settings; undone after the test."""

    def setter(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        reset_settings()

    yield setter
    reset_settings()


def app_client() -> Iterator[TestClient]:
    """For a fixture: an HTTP client on the standalone companion app."""
    from webhooks.app import create_app

    with TestClient(create_app(), raise_server_exceptions=True) as c:
        yield c


def drain() -> list[str]:
    """Process every pending stored event through the real actor; returns their final statuses."""
    import workers.actors  # noqa: F401  (every processor registered, as in a worker)
    from workers.webhooks import process

    with unit_of_work() as uow:
        ids = list(uow.session.scalars(sa.select(WebhookEvent.id).where(WebhookEvent.status == "pending")
                                       .order_by(WebhookEvent.id)))
    for event_id in ids:
        process(event_id)
    with unit_of_work() as uow:
        return [uow.session.get(WebhookEvent, i).status for i in ids]


def count(model, *where) -> int:
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
