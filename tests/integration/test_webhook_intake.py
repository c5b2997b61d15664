"""The shared webhook intake (webhooks/inbox.py over tools.webhook_events.store_many) that every provider's route
uses, Postmark and Sent.dm included: one transaction per batch, each event stored once, only new ones enqueued."""

import sqlalchemy as sa

from db.models import WebhookEvent
from db.session import unit_of_work
from webhooks import inbox
from workers import webhooks as actors


def stored() -> list[tuple[str, str, dict]]:
    with unit_of_work() as uow:
        rows = uow.session.execute(sa.select(WebhookEvent.provider, WebhookEvent.event_id, WebhookEvent.payload)
                                   .order_by(WebhookEvent.id)).all()
    return [tuple(r) for r in rows]


def test_a_batch_stores_each_event_once_and_enqueues_only_the_new_ones_in_one_message(db, monkeypatch):
    sent = []
    monkeypatch.setattr(actors.process, "send", lambda event_id: sent.append(("one", event_id)))
    monkeypatch.setattr(actors.process_many, "send", lambda ids: sent.append(("many", ids)))
    (first,) = inbox.store_batch([("postmark", "Delivery:abc", "Delivery", {"n": 1})])
    ids = inbox.store_batch([
        ("postmark", "Delivery:abc", "Delivery", {"n": 2}),  # stored by an earlier batch
        ("sentdm", "event:1", "message.delivered", {"n": 3}),
        ("sentdm", "event:1", "message.delivered", {"n": 4}),  # twice in this batch: the first one counts
        ("postmark", "event:1", "Open", {"n": 5}),  # the same event id of another provider is another event
    ])
    assert first is not None and ids[0] is None and ids[2] is None and None not in (ids[1], ids[3])
    assert sent == [("one", first), ("many", [ids[1], ids[3]])]
    assert stored() == [("postmark", "Delivery:abc", {"n": 1}), ("sentdm", "event:1", {"n": 3}),
                        ("postmark", "event:1", {"n": 5})]


def test_a_queue_down_after_the_commit_still_answers_stored(db, monkeypatch):
    def down(event_id):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(actors.process, "send", down)
    (event_id,) = inbox.store_batch([("sentdm", "event:9", "message.received", {"n": 9})])
    assert event_id is not None  # stored and left pending: webhooks.sweep enqueues it later
    with unit_of_work() as uow:
        assert uow.session.get(WebhookEvent, event_id).status == "pending"
