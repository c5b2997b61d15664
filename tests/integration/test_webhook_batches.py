"""A batch of stored webhook events travels as one queue message; a failing event is retried alone."""

import sqlalchemy as sa

from db.models import WebhookEvent
from db.session import unit_of_work
from tools.webhook_events import store_event
from workers import webhooks as actors


def test_a_batch_is_processed_event_by_event_and_a_failure_is_retried_alone(db, monkeypatch):
    seen = []

    def flaky(session, event):
        if event.payload["n"] == 2:
            raise ValueError("cannot parse")
        seen.append(event.payload["n"])

    monkeypatch.setitem(actors.PROCESSORS, "test", flaky)
    retried = []
    monkeypatch.setattr(actors.process, "send_with_options", lambda args, delay: retried.append(args[0]))
    with unit_of_work() as uow:
        ids = [store_event(uow.session, "test", f"e{n}", "x", {"n": n}) for n in (1, 2, 3)]
    actors.process_many.fn(ids)
    assert seen == [1, 3]
    assert retried == [ids[1]]
    with unit_of_work() as uow:
        statuses = dict(uow.session.execute(sa.select(WebhookEvent.id, WebhookEvent.status)).all())
    assert statuses == {ids[0]: "processed", ids[1]: "failed", ids[2]: "processed"}


def test_enqueue_sends_one_message_per_batch(monkeypatch):
    sent = []
    monkeypatch.setattr(actors.process, "send", lambda event_id: sent.append(("one", event_id)))
    monkeypatch.setattr(actors.process_many, "send", lambda ids: sent.append(("many", ids)))
    actors.enqueue([7])
    actors.enqueue([8, 9, 10])
    actors.enqueue([])
    assert sent == [("one", 7), ("many", [8, 9, 10])]
