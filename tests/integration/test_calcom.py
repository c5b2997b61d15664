"""Cal.com: signatures (valid, invalid, missing, no-secret-provided, stale), bookings through their life,
reschedules on the same row, duplicates and reverse order, contact and campaign linking."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from db.models import CalendarBooking, Campaign, Contact, MarketingActivity, WebhookEvent, utcnow
from db.session import unit_of_work
from tests.factories import create_contact
from tests.fakes import calcom as cal
from tests.integration.companion import app_client, count, drain, env_setter

SECRET = "cal-secret"
T0 = datetime.now(UTC) - timedelta(hours=1)


@pytest.fixture
def env(monkeypatch):
    yield from env_setter(monkeypatch)


@pytest.fixture
def client(db, env):
    env(MKT_CALCOM_WEBHOOK_SECRET=SECRET)
    yield from app_client()


def send(client, data, secret=SECRET):
    body = cal.dumps(data)
    return client.post("/webhooks/calcom", content=body, headers=cal.headers(secret, body))


def bookings():
    with unit_of_work() as uow:
        return list(uow.session.scalars(sa.select(CalendarBooking).order_by(CalendarBooking.id)))


def test_a_signed_booking_creates_the_booking_and_its_contact(client):
    response = send(client, cal.booking(created_at=T0))
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert drain() == ["processed"]
    [row] = bookings()
    assert (row.calcom_uid, row.status, row.attendee_email) == ("bFJeNb2uX8ANpT3JL5EfXw", "accepted", "ana@example.com")
    assert row.start_at == datetime(2026, 5, 21, 14, 0, tzinfo=UTC)
    with unit_of_work() as uow:
        person = uow.session.get(Contact, row.contact_id)
        assert (person.source, person.first_name, person.last_name) == ("calcom", "Ana", "Lima")


def test_invalid_missing_and_unsigned_deliveries_are_refused(client):
    body = cal.dumps(cal.booking())
    wrong = client.post("/webhooks/calcom", content=body, headers=cal.headers("other", body))
    missing = client.post("/webhooks/calcom", content=body, headers={"Content-Type": "application/json"})
    unsigned = client.post("/webhooks/calcom", content=body, headers=cal.headers(None, body))
    assert [r.status_code for r in (wrong, missing, unsigned)] == [401, 401, 401]
    assert "no-secret" not in wrong.json()["detail"] and "secret" in unsigned.json()["detail"]
    assert count(WebhookEvent) == 0


def test_a_stale_event_is_refused_as_a_replay(client):
    response = send(client, cal.booking(created_at=datetime.now(UTC) - timedelta(days=3)))
    assert response.status_code == 401 and "stale" in response.json()["detail"]
    assert count(WebhookEvent) == 0


def test_ping_answers_without_storing_and_an_unconfigured_secret_refuses(client, env):
    assert send(client, cal.envelope("PING", {})).json()["status"] == "pong"
    assert count(WebhookEvent) == 0
    env(MKT_CALCOM_WEBHOOK_SECRET="")
    assert send(client, cal.booking()).status_code == 503


def test_bad_json_and_missing_uid_get_clear_4xx(client):
    body = b"not json"
    assert client.post("/webhooks/calcom", content=body, headers=cal.headers(SECRET, body)).status_code == 400
    assert send(client, cal.envelope("BOOKING_CREATED", {"title": "x"})).status_code == 422
    assert send(client, {"payload": {}}).status_code == 422


def test_the_same_delivery_twice_changes_nothing(client):
    data = cal.booking(created_at=T0)
    assert send(client, data).json()["status"] == "accepted"
    assert send(client, data).json()["status"] == "duplicate"
    drain()
    assert len(bookings()) == 1 and count(Contact) == 1


def test_a_reschedule_moves_the_same_booking_to_the_new_uid_and_time(client):
    send(client, cal.booking(uid="old", created_at=T0))
    new_start = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
    send(client, cal.rescheduled(old_uid="old", new_uid="new", start=new_start, created_at=T0 + timedelta(minutes=5)))
    send(client, cal.cancelled(uid="new", created_at=T0 + timedelta(minutes=10), start=new_start))
    drain()
    [row] = bookings()
    assert (row.calcom_uid, row.start_at, row.status) == ("new", new_start, "cancelled")
    assert row.data["uids"] == ["old", "new"]


def test_reverse_order_ends_in_the_same_state(client):
    new_start = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)
    send(client, cal.cancelled(uid="new", created_at=T0 + timedelta(minutes=10), start=new_start))
    send(client, cal.rescheduled(old_uid="old", new_uid="new", start=new_start, created_at=T0 + timedelta(minutes=5)))
    send(client, cal.booking(uid="old", created_at=T0))
    drain()
    [row] = bookings()
    assert (row.calcom_uid, row.status, row.start_at) == ("new", "cancelled", new_start)
    assert set(row.data["uids"]) == {"old", "new"}


@pytest.mark.parametrize(("data", "status"), [
    (cal.booking("BOOKING_REQUESTED", created_at=T0), "requested"),
    (cal.booking("BOOKING_REJECTED", created_at=T0), "rejected"),
    (cal.meeting_ended(created_at=T0), "ended"),
    (cal.no_show(created_at=T0), "no_show"),
])
def test_each_trigger_sets_its_status(client, data, status):
    send(client, data)
    drain()
    assert [b.status for b in bookings()] == [status]


def test_the_meeting_ends_then_the_guest_is_marked_no_show(client):
    send(client, cal.booking(created_at=T0))
    send(client, cal.meeting_ended(created_at=T0 + timedelta(minutes=40)))
    send(client, cal.no_show(created_at=T0 + timedelta(minutes=45)))
    send(client, cal.no_show(no_show_flag=False, created_at=T0 + timedelta(minutes=44)))
    drain()
    assert [b.status for b in bookings()] == ["no_show"]


def test_a_booking_finds_an_existing_contact_by_email(client, session):
    known = create_contact(session, email="ana@example.com", first_name="Ana")
    session.commit()
    send(client, cal.booking(email="ANA@example.com", created_at=T0))
    drain()
    assert bookings()[0].contact_id == known.id and count(Contact) == 1


def _touched(session, name, days_ago, rules=None):
    person = session.scalar(sa.select(Contact).where(Contact.email == "ana@example.com")) or create_contact(
        session, email="ana@example.com")
    campaign = Campaign(name=name, channel="email", status="running", send_rules=rules or {})
    session.add(campaign)
    session.flush()
    session.add(MarketingActivity(campaign_id=campaign.id, contact_id=person.id, channel="email", status="delivered",
                                  sent_at=utcnow() - timedelta(days=days_ago)))
    session.commit()
    return campaign, person


def test_metadata_utm_campaign_wins_over_last_touch(client, session):
    named, _ = _touched(session, "Spring webinar", 20)
    _touched(session, "Recent", 1)
    send(client, cal.booking(created_at=T0, metadata={"utm_campaign": "Spring webinar"}))
    drain()
    assert bookings()[0].campaign_id == named.id


def test_without_metadata_the_last_touch_in_the_window_earns_the_booking(client, session):
    recent, person = _touched(session, "Recent", 1, rules={"stop_on_booking": True})
    session.add(MarketingActivity(campaign_id=recent.id, contact_id=person.id, channel="sms", status="deferred"))
    session.commit()
    send(client, cal.booking(created_at=T0))
    drain()
    assert bookings()[0].campaign_id == recent.id
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(MarketingActivity.status).where(
            MarketingActivity.channel == "sms")) == "cancelled"
