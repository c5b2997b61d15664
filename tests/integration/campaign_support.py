"""Shared set-up of the campaign tests: provider fakes wired through settings, a worker, contacts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import dramatiq
import pytest

from db.session import unit_of_work
from domain.roles import Role
from settings import reset_settings
from tests.factories import create_contact
from tests.fakes.postmark import FakePostmark
from tests.fakes.sentdm import WEBHOOK_SECRET, FakeSentDm
from tests.fakes.server import serve_app
from tools.users import Actor

MARKETER = Actor("marketer@example.com", Role.MARKETER)
REVIEWER = Actor("reviewer@example.com", Role.REVIEWER)
POSTAL = "Acme Inc, 1 Main St, Austin TX 78701"


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    base = {"MKT_SENDER_POSTAL_ADDRESS": POSTAL, "MKT_PUBLIC_URL": "https://mkt.test",
            "MKT_UNSUBSCRIBE_SECRET": "unsub-secret", "MKT_POSTMARK_WEBHOOK_USER": "pm",
            "MKT_POSTMARK_WEBHOOK_PASSWORD": "pm-pass", "MKT_SENTDM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "MKT_SEND_CAP_24H": "1", "MKT_SEND_CAP_7D": "3"}
    for key, value in (base | env).items():
        monkeypatch.setenv(key, value)
    reset_settings()
    from workers import send_rate

    send_rate.reset()


@contextlib.contextmanager
def fakes(monkeypatch: pytest.MonkeyPatch, postmark: FakePostmark | None = None, sentdm: FakeSentDm | None = None,
          **env: str) -> Iterator[tuple[FakePostmark, FakeSentDm]]:
    postmark = postmark or FakePostmark()
    sentdm = sentdm or FakeSentDm()
    with serve_app(postmark.app()) as pm_url, serve_app(sentdm.app()) as sd_url:
        configure(monkeypatch, **({"POSTMARK_SERVER_TOKEN": postmark.token, "MKT_POSTMARK_API_URL": pm_url,
                                   "SENTDM_API_KEY": sentdm.api_key, "MKT_SENTDM_API_URL": sd_url} | env))
        yield postmark, sentdm
    reset_settings()


@contextlib.contextmanager
def running_worker(threads: int = 2) -> Iterator[None]:
    import workers.actors  # noqa: F401  (declares every actor)
    from workers.broker import broker

    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    worker.start()
    try:
        yield
    finally:
        worker.stop()


def drain() -> None:
    """Wait until the queue (and its delay queue) is empty and nothing is in flight."""
    from workers.broker import broker
    from workers.campaigns import DUE_QUEUE

    for _ in range(3):  # processing a batch enqueues webhook processing: go round until all is quiet
        for queue in ("default", DUE_QUEUE):  # deferred batches come back on their own queue
            if type(broker).__name__ == "RedisBroker":
                broker.join(queue, timeout=30_000)  # counts delayed and unacknowledged messages too
            else:
                broker.join(queue, timeout=30_000, fail_fast=True)
                broker.join(f"{queue}.DQ", timeout=30_000, fail_fast=True)


def zone_at(local_hour: int, now: datetime | None = None) -> str:
    """An IANA zone (Etc/GMT+-N) where it is `local_hour` o'clock at `now` (default: the current time; a test that
    asserts times passes the frozen instant it launches with), so quiet hours are predictable."""
    now = now or datetime.now(UTC)
    offset = (local_hour - now.hour + 36) % 24 - 12  # -12..11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def people(n: int = 4, **extra) -> list[int]:
    """`n` reachable contacts (email + US phone, in a zone where it is midday now), committed. Returns ids."""
    names = ["Ana", "Ben", "Cy", None]
    with unit_of_work() as uow:
        ids = []
        for i in range(n):
            fields = {"email": f"p{i}@example.com", "phone": f"+1512555{i + 1:04d}", "first_name": names[i % 4],
                      "timezone": zone_at(12)} | extra
            ids.append(create_contact(uow.session, **fields).id)
    return ids
