"""Outbound events: rows first, enqueued after commit, signed POSTs to a local receiver over real HTTP,
retries with backoff and a delivery log, SSRF guard."""

import hashlib
import hmac
import json

import pytest

from db.session import unit_of_work
from domain.roles import PermissionDenied, Role
from tests.fakes import chatwoot as cw
from tests.integration.companion import drain, env_setter
from tests.integration.outbound_support import deliveries, record_sends, serving_receiver
from tools import outbound
from tools.users import Actor
from tools.webhook_events import store_event
from workers import outbound as outbound_worker

ADMIN = Actor("admin@example.com", Role.ADMIN)


@pytest.fixture
def env(monkeypatch):
    yield from env_setter(monkeypatch)


@pytest.fixture
def receiver(db, env):
    with serving_receiver(env) as rec:
        yield rec


@pytest.fixture
def sent(monkeypatch):
    return record_sends(monkeypatch)


def subscribe(url, events=None):
    with unit_of_work() as uow:
        return outbound.add_subscription(uow.session, ADMIN, url, events=events)


def test_nothing_is_written_when_nobody_listens(db):
    with unit_of_work() as uow:
        assert outbound.emit(uow.session, "contact.created", {"id": 1}) == []
    assert deliveries() == []


def test_rows_are_written_per_matching_subscription_and_enqueued_only_after_commit(receiver, sent):
    subscribe(receiver.url)
    subscribe(receiver.url, events=["booking.created"])
    with unit_of_work() as uow:
        ids = outbound.emit(uow.session, "contact.created", {"id": 1})
        assert len(ids) == 1 and sent == []
    assert sent == [(ids[0], None)]


def test_a_rollback_drops_rows_and_enqueues_nothing(receiver, sent):
    subscribe(receiver.url)
    with pytest.raises(RuntimeError), unit_of_work() as uow:
        outbound.emit(uow.session, "contact.created", {"id": 1})
        raise RuntimeError("boom")
    assert deliveries() == [] and sent == []


def test_a_delivery_is_signed_and_logged(receiver, sent):
    _, secret = subscribe(receiver.url)
    with unit_of_work() as uow:
        [delivery_id] = outbound.emit(uow.session, "reply.received", {"contact": {"id": 7}, "body": "hi"})
    assert outbound_worker.deliver(delivery_id) == "delivered"
    [got] = receiver.received
    ts, body = got["headers"]["x-mkt-timestamp"], got["body"]
    expected = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert got["headers"]["x-mkt-signature"] == expected
    assert got["headers"]["x-mkt-event"] == "reply.received"
    created = json.loads(body)["created_at"]
    assert json.loads(body) == {"id": delivery_id, "event": "reply.received", "type": "reply.received",
                                "created_at": created, "timestamp": created, "data": {"contact": {"id": 7}, "body": "hi"}}
    assert got["headers"]["webhook-id"] == f"msg_{delivery_id}" and got["headers"]["webhook-timestamp"] == ts
    assert secret.startswith("whsec_") and got["headers"]["webhook-signature"] == outbound.sign_standard(
        secret, f"msg_{delivery_id}", ts, body)
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("delivered", 1, 200, None)
    assert outbound_worker.deliver(delivery_id) == "skipped"  # a second run posts nothing
    assert len(receiver.received) == 1


def test_failures_are_retried_with_growing_backoff_then_given_up(receiver, sent):
    subscribe(receiver.url)
    receiver.statuses = [500, 404, 503]
    with unit_of_work() as uow:
        [delivery_id] = outbound.emit(uow.session, "contact.updated", {"id": 1})
    sent.clear()
    assert outbound_worker.deliver(delivery_id) == "retry"
    assert outbound_worker.deliver(delivery_id) == "retry"
    assert outbound_worker.deliver(delivery_id) == "failed"
    assert sent == [(delivery_id, 10_000), (delivery_id, 20_000)]
    [row] = deliveries()
    assert (row.status, row.attempts, row.last_status_code) == ("failed", 3, 503)
    assert "HTTP 503" in row.last_error


def test_an_unreachable_receiver_is_a_logged_failure_not_a_crash(receiver, sent):
    subscribe("http://127.0.0.1:9/nothing-listens")
    with unit_of_work() as uow:
        [delivery_id] = outbound.emit(uow.session, "contact.updated", {"id": 1})
    assert outbound_worker.deliver(delivery_id) == "retry"
    [row] = deliveries()
    assert row.status == "pending" and row.last_status_code is None and "ConnectError" in row.last_error


def test_a_removed_subscription_stops_its_pending_deliveries(receiver, sent):
    sub, _ = subscribe(receiver.url)
    with unit_of_work() as uow:
        [delivery_id] = outbound.emit(uow.session, "contact.updated", {"id": 1})
        outbound.remove_subscription(uow.session, ADMIN, sub.id)
    assert outbound_worker.deliver(delivery_id) == "skipped"
    assert deliveries()[0].status == "failed" and receiver.received == []


def test_the_sweeper_re_enqueues_due_pending_deliveries(receiver, sent):
    subscribe(receiver.url)
    with unit_of_work() as uow:
        ids = outbound.emit(uow.session, "contact.updated", {"id": 1})
    sent.clear()
    assert outbound_worker.sweep() == 1 and sent == [(ids[0], None)]


@pytest.mark.parametrize("url", ["http://127.0.0.1:5678/webhook/x", "http://10.0.0.5/x", "http://localhost/x",
                                 "file:///etc/passwd", "ftp://example.com/x", "https://user:pw@example.com/x"])
def test_private_or_odd_urls_are_refused(db, env, url):
    env(MKT_OUTBOUND_ALLOW_LOOPBACK="false")
    with pytest.raises(outbound.OutboundError):
        subscribe(url)


def test_only_admins_manage_subscriptions_and_events_must_be_known(receiver):
    with unit_of_work() as uow, pytest.raises(PermissionDenied):
        outbound.add_subscription(uow.session, Actor("m@example.com", Role.MARKETER), receiver.url)
    with pytest.raises(outbound.OutboundError, match="unknown events"):
        subscribe(receiver.url, events=["contact.exploded"])
    with unit_of_work() as uow, pytest.raises(ValueError):
        outbound.emit(uow.session, "contact.exploded", {})


def test_a_chatwoot_reply_reaches_n8n_as_reply_received(receiver, sent):
    subscribe(receiver.url)
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", "m1", "message_created", cw.message_created(content="Interested!"))
    drain()
    events = {d.event: d for d in deliveries()}
    assert set(events) == {"contact.created", "reply.received"}
    assert outbound_worker.deliver(events["reply.received"].id) == "delivered"
    data = json.loads(receiver.received[0]["body"])["data"]
    assert data["body"] == "Interested!" and data["channel"] == "sms" and data["contact"]["email"] == "ana@example.com"


def test_the_sweeper_is_a_periodic_job():
    from workers.scheduler import PERIODIC

    assert PERIODIC["outbound.sweep"] == (outbound_worker.sweep, 60)


def test_emit_many_writes_one_delivery_per_payload_and_subscription(receiver, sent):
    subscribe(receiver.url)
    subscribe(receiver.url, events=["contact.created"])
    subscribe(receiver.url, events=["booking.created"])
    with unit_of_work() as uow:
        ids = outbound.emit_many(uow.session, "contact.created", [{"id": i} for i in range(3)])
        assert outbound.emit_many(uow.session, "contact.created", []) == []
    assert len(ids) == 6 and sorted(i for i, _ in sent) == sorted(ids)


def test_the_cli_adds_lists_and_removes_subscriptions(receiver, capsys):
    from cli.main import main as mkt

    assert mkt(["outbound", "add", receiver.url, "--events", "reply.received"]) == 0
    out = capsys.readouterr().out
    assert "Signing secret (shown once): " in out
    assert mkt(["outbound", "list"]) == 0
    listed = capsys.readouterr().out
    assert receiver.url in listed and "reply.received" in listed and "active" in listed
    sub_id = listed.split("\t")[0]
    assert mkt(["outbound", "remove", sub_id]) == 0
    assert mkt(["outbound", "list"]) == 0 and "inactive" in capsys.readouterr().out
    assert mkt(["outbound", "add", "ftp://example.com/x"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err


def test_fields_filled_from_chatwoot_go_out_as_contact_updated(receiver, sent, session):
    from tests.factories import create_contact

    create_contact(session, email="ana@example.com")
    session.commit()
    subscribe(receiver.url, events=["contact.updated"])
    with unit_of_work() as uow:
        store_event(uow.session, "chatwoot", "c1", "contact_updated", cw.contact_event("contact_updated", cw.contact()))
    drain()
    [row] = deliveries()
    assert row.event == "contact.updated" and row.payload["changed"] == ["phone", "first_name"]
    assert row.payload["phone"] == "+14155550123"
