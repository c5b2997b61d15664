import sqlalchemy as sa

from db.models import WebhookEvent
from db.session import unit_of_work
from tools.webhook_events import process_event, store_event
from workers.webhooks import PROCESSORS


def test_an_event_is_stored_once_per_provider_event_id(db):
    with unit_of_work() as uow:
        first = store_event(uow.session, "postmark", "abc", "Delivery", {"n": 1})
        again = store_event(uow.session, "postmark", "abc", "Delivery", {"n": 2})
        other = store_event(uow.session, "sentdm", "abc", "message.delivered", {})
    assert first and other and again is None
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 2


def test_processing_runs_once_and_replays_change_nothing(db):
    calls = []
    processors = {"test": lambda session, event: calls.append(event.payload["n"])}
    with unit_of_work() as uow:
        event_id = store_event(uow.session, "test", "e1", "x", {"n": 7})
    for _ in range(3):
        with unit_of_work() as uow:
            assert process_event(uow.session, event_id, processors) == "processed"
    assert calls == [7]


def test_an_unknown_provider_is_marked_failed_with_the_reason(db):
    with unit_of_work() as uow:
        event_id = store_event(uow.session, "nobody", "e1", "x", {})
        assert process_event(uow.session, event_id, PROCESSORS) == "failed"
        assert "no processor" in uow.session.get(WebhookEvent, event_id).error
