"""The companion endpoint inside the real `mkt serve`: OpenAPI and docs next to Chainlit, a signed Chatwoot reply
and a signed Cal.com booking accepted over HTTP, processed by a worker, and visible on the contact's timeline;
an n8n key lists the contact; unsigned requests change nothing."""

import time

import dramatiq
import httpx
import pytest
import sqlalchemy as sa

from db.models import CalendarBooking, ConversationMessage, WebhookEvent
from db.session import unit_of_work
from domain.roles import Role
from tests.e2e.server import running_server
from tests.fakes import calcom as cal
from tests.fakes import chatwoot as cw
from tools.api_keys import create_api_key
from tools.users import Actor

pytestmark = pytest.mark.slow
SECRET = "e2e-secret"


@pytest.fixture
def server(db, tmp_path):
    import workers.actors  # noqa: F401
    from workers.broker import broker, uses_redis

    worker = None
    if uses_redis():  # `mkt serve` runs no in-process worker with Redis: play `mkt worker` here
        worker = dramatiq.Worker(broker, queues={"default"}, worker_threads=2, worker_timeout=100)
        worker.start()
    try:
        with running_server(tmp_path, MKT_CHATWOOT_WEBHOOK_SECRET=SECRET, MKT_CALCOM_WEBHOOK_SECRET=SECRET) as srv:
            yield srv
    finally:
        if worker:
            worker.stop()


def _wait_processed(n: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with unit_of_work() as uow:
            done = uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent).where(
                WebhookEvent.status.in_(("processed", "ignored"))))
        if done >= n:
            return
        time.sleep(0.2)
    raise AssertionError("webhook events were not processed in time")


def test_openapi_and_docs_are_served_next_to_the_chat(server):
    schema = httpx.get(f"{server.base}/api/openapi.json", timeout=10).json()
    assert "/webhooks/chatwoot" in schema["paths"] and "/api/v1/contacts" in schema["paths"]
    assert "swagger" in httpx.get(f"{server.base}/api/docs", timeout=10).text.lower()


def test_a_reply_and_a_booking_reach_the_contact_through_the_real_server(server):
    body = cw.dumps(cw.message_created(content="Yes, interested", channel="Channel::Whatsapp"))
    unsigned = httpx.post(f"{server.base}/webhooks/chatwoot", content=body, timeout=10)
    assert unsigned.status_code == 401
    signed = httpx.post(f"{server.base}/webhooks/chatwoot", content=body, headers=cw.signed_headers(SECRET, body),
                        timeout=10)
    assert signed.json()["status"] == "accepted"
    booking = cal.dumps(cal.booking())
    assert httpx.post(f"{server.base}/webhooks/calcom", content=booking, headers=cal.headers(SECRET, booking),
                      timeout=10).json()["status"] == "accepted"
    _wait_processed(2)
    with unit_of_work() as uow:
        message = uow.session.scalar(sa.select(ConversationMessage))
        booked = uow.session.scalar(sa.select(CalendarBooking))
        assert message.channel == "whatsapp" and booked.contact_id == message.contact_id
        key = create_api_key(uow.session, Actor("admin@example.com", Role.ADMIN), name="e2e", scopes="all").key
    got = httpx.get(f"{server.base}/api/v1/contacts/{message.contact_id}", headers={"X-Api-Key": key}, timeout=10)
    kinds = {entry["kind"] for entry in got.json()["timeline"]["entries"]}
    assert got.json()["contact"]["email"] == "ana@example.com" and {"conversation", "booking"} <= kinds
