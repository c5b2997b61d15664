"""The outbound events of a campaign's end, an approved enrichment field and an erased contact, raised by the real
tools in their own unit of work and POSTed to a local receiver over real HTTP: campaign.completed once per campaign
(not again when the completion check runs again, nor when the campaign runs again and completes again),
enrichment.approved once per field written (bulk approvals too), contact.deleted with the id and no personal data.
Every body is checked against its schema in the OpenAPI `webhooks` section."""

import json
from datetime import datetime, timedelta

import jsonschema
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from db.models import Campaign, EnrichmentJob, MarketingActivity, utcnow
from db.session import unit_of_work
from domain.roles import Role
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER, REVIEWER, configure, drain, people, running_worker
from tests.integration.companion import env_setter
from tests.integration.outbound_support import deliveries, record_sends, serving_receiver
from tools import outbound
from tools.api_keys import create_api_key
from tools.campaigns import doubt, drafting
from tools.campaigns import lifecycle as tc
from tools.contacts.erase import EraseError, erase_contact
from tools.enrichment.review import bulk_approve, review_enrichment
from tools.users import Actor
from webhooks.api_docs import openapi_document
from webhooks.app import create_app, routers
from workers import campaigns as wc
from workers import outbound as outbound_worker

ADMIN = Actor("admin@example.com", Role.ADMIN)
A = MarketingActivity


@pytest.fixture(scope="module")
def document():
    return openapi_document(routers())


@pytest.fixture
def receiver(db, monkeypatch):
    env = env_setter(monkeypatch)
    with serving_receiver(next(env)) as rec:
        yield rec


@pytest.fixture
def sent(monkeypatch):
    return record_sends(monkeypatch)


def subscribe(url, events):
    with unit_of_work() as uow:
        outbound.add_subscription(uow.session, ADMIN, url, events=events)


def posted(receiver, document, event: str) -> list[dict]:
    """Deliver every delivery of `event` over HTTP; the `data` of each body received, checked against its schema."""
    before = len(receiver.received)
    for row in deliveries():
        if row.event == event:
            assert outbound_worker.deliver(row.id) == "delivered"
    bodies = [json.loads(got["body"]) for got in receiver.received[before:]]
    schema = document["webhooks"][event]["post"]["requestBody"]["content"]["application/json"]["schema"]
    check = jsonschema.Draft202012Validator({**schema, "components": document["components"]},
                                            format_checker=jsonschema.FormatChecker())
    for body in bodies:
        assert body["event"] == event and not [e.message for e in check.iter_errors(body)]
    return [body["data"] for body in bodies]


def events_of(name: str) -> list:
    return [row for row in deliveries() if row.event == name]


# --- campaign.completed ---------------------------------------------------------------------------------------

def email_campaign() -> int:
    people(3)
    with unit_of_work() as uow:
        create_contact(uow.session, phone="+15125550177", first_name="Dee")  # no email: skipped at launch
        view = drafting.draft_campaign(uow.session, MARKETER, name="Winter", channel="email", filter=None,
                                       subject="Hi", body_text="Hello {first_name|}")
    return view.id


def left_in_doubt(campaign_id: int) -> int:
    """One queued message of the campaign as a send whose outcome was lost and is left for review."""
    with unit_of_work() as uow:
        row = uow.session.scalar(sa.select(A).where(A.campaign_id == campaign_id).order_by(A.id.desc()).limit(1))
        row.status, row.error_code, row.claimed_at, row.requested_at = "unknown", "review", utcnow(), utcnow()
        return row.id


def test_a_campaign_that_ends_is_announced_once_with_its_counts(receiver, sent, document, monkeypatch):
    configure(monkeypatch)
    subscribe(receiver.url, ["campaign.completed"])
    campaign_id = email_campaign()
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, campaign_id)
    doubtful = left_in_doubt(campaign_id)
    with running_worker():
        drain()
    ended = utcnow()
    wc.run_tick(ended)
    wc.run_tick(ended + timedelta(minutes=1))  # the completion check runs again: nothing more
    with unit_of_work() as uow:
        campaign = uow.session.get(Campaign, campaign_id)
        launched, status, statuses = campaign.launched_at, campaign.status, sorted(
            uow.session.scalars(sa.select(A.status).where(A.campaign_id == campaign_id)))
    assert status == "completed" and statuses == ["delivered", "delivered", "unknown"]
    [data] = posted(receiver, document, "campaign.completed")
    assert data == {"campaign_id": campaign_id, "name": "Winter", "channel": "email",
                    "counts": {"targeted": 3, "sent": 2, "delivered": 2, "opened": 0, "clicked": 0, "failed": 0,
                               "in_doubt": 1, "skipped": 1},
                    "skipped_by_reason": {"no_address": 1}, "launched_at": launched.isoformat(),
                    "completed_at": ended.isoformat()}
    # resent anyway: the campaign runs again and completes again, and is not announced a second time
    with unit_of_work() as uow:
        assert doubt.resend_anyway(uow.session, MARKETER, campaign_id).count == 1
    with running_worker():
        drain()
    wc.run_tick()
    with unit_of_work() as uow:
        assert uow.session.get(Campaign, campaign_id).status == "completed"
        assert uow.session.get(A, doubtful).status == "delivered"
    assert len(events_of("campaign.completed")) == 1


def test_nobody_listening_still_counts_as_the_announcement(receiver, sent, monkeypatch):
    configure(monkeypatch)
    campaign_id = email_campaign()
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, campaign_id)
    with running_worker():
        drain()
    wc.run_tick()
    subscribe(receiver.url, ["campaign.completed"])  # subscribed after the end: that end is not sent late
    with unit_of_work() as uow:
        uow.session.get(Campaign, campaign_id).status = "running"  # e.g. a sequence heal or a resend
    wc.run_tick()
    assert events_of("campaign.completed") == []


def test_the_step_campaign_of_a_sequence_is_not_announced(receiver, sent):
    subscribe(receiver.url, ["campaign.completed"])
    with unit_of_work() as uow:
        for name, stats in (("Step 1", {"sequence_id": 1}), ("Plain", {})):
            uow.session.add(Campaign(name=name, channel="sms", body_text="hi", target_filter={}, status="running",
                                     stats=stats))
    wc.run_tick()
    with unit_of_work() as uow:
        assert set(uow.session.scalars(sa.select(Campaign.status))) == {"completed"}
    assert [row.payload["name"] for row in events_of("campaign.completed")] == ["Plain"]


# --- enrichment.approved --------------------------------------------------------------------------------------

def job_in_review(email: str, **fields: tuple[str, str]) -> tuple[int, int]:
    """A contact and an enrichment job waiting for review, suggesting field -> (value, source URL)."""
    with unit_of_work() as uow:
        contact = create_contact(uow.session, email=email, tags=[], attributes={})
        job = EnrichmentJob(contact_id=contact.id, status="in_review", decisions={}, suggestions=[
            {"field": name, "value": value, "source_url": url, "quote": value, "confidence": 0.9, "verified": True}
            for name, (value, url) in fields.items()])
        uow.session.add(job)
        uow.session.flush()
        return contact.id, job.id


def test_each_approved_field_is_sent_once_with_its_value_source_and_reviewer(receiver, sent, document):
    subscribe(receiver.url, ["enrichment.approved"])
    contact_id, job_id = job_in_review("ana@acme.test", company=("Acme", "https://acme.test/about"),
                                       website=("acme.test", "https://acme.test/"),
                                       job_title=("CTO", "https://acme.test/team"))
    before = utcnow()
    with unit_of_work() as uow:
        result = review_enrichment(uow.session, REVIEWER, job_id, approve=["company", "website"],
                                   edits={"industry": "Roofing"})
    assert sorted(result.applied) == ["company", "industry", "website"]
    got = posted(receiver, document, "enrichment.approved")
    at = {d.pop("approved_at") for d in got}
    assert len(at) == 1 and before <= datetime.fromisoformat(at.pop()) <= utcnow()
    common = {"contact_id": contact_id, "job_id": job_id, "reviewed_by": "reviewer@example.com"}
    assert sorted(got, key=lambda d: d["field"]) == [
        {**common, "field": "company", "value": "Acme", "source_url": "https://acme.test/about", "edited": False},
        {**common, "field": "industry", "value": "Roofing", "source_url": None, "edited": True},
        {**common, "field": "website", "value": "https://acme.test", "source_url": "https://acme.test/",
         "edited": False}]
    assert len(deliveries()) == 3  # job_title was not approved: not sent


def test_an_edit_then_approve_sends_the_edited_value_and_a_rejection_sends_nothing(receiver, sent, document):
    subscribe(receiver.url, ["enrichment.approved"])
    _, edited_job = job_in_review("bo@acme.test", job_title=("VP Sales", "https://acme.test/team"))
    _, rejected_job = job_in_review("cy@acme.test", company=("Acme", "https://acme.test/about"))
    with unit_of_work() as uow:
        review_enrichment(uow.session, REVIEWER, edited_job, edits={"job_title": "VP of Sales"})
        review_enrichment(uow.session, REVIEWER, rejected_job, reject=True)
    [data] = posted(receiver, document, "enrichment.approved")
    assert (data["field"], data["value"], data["source_url"], data["edited"], data["job_id"]) == (
        "job_title", "VP of Sales", "https://acme.test/team", True, edited_job)


def test_a_bulk_approval_sends_one_event_per_field_written(receiver, sent, document):
    subscribe(receiver.url, ["enrichment.approved"])
    first, first_job = job_in_review("di@acme.test", company=("Acme", "https://acme.test/"),
                                     city=("Austin", "https://acme.test/contact"))
    second, second_job = job_in_review("ed@beta.test", company=("Beta", "https://beta.test/"))
    with unit_of_work() as uow:
        assert bulk_approve(uow.session, REVIEWER, 0.5) == 2
    got = posted(receiver, document, "enrichment.approved")
    assert sorted((d["contact_id"], d["job_id"], d["field"], d["value"]) for d in got) == sorted([
        (first, first_job, "company", "Acme"), (first, first_job, "city", "Austin"),
        (second, second_job, "company", "Beta")])


# --- contact.deleted ------------------------------------------------------------------------------------------

def test_an_erased_contact_is_sent_as_contact_deleted_with_no_personal_data(receiver, sent, document):
    with unit_of_work() as uow:
        key = create_api_key(uow.session, ADMIN, name="n8n", scopes="hooks:write").key
    with TestClient(create_app()) as client:
        made = client.post("/api/v1/hooks", json={"target_url": receiver.url, "events": ["contact.deleted"]},
                           headers={"X-Api-Key": key})
    assert made.status_code == 201 and made.json()["events"] == ["contact.deleted"]
    with unit_of_work() as uow:
        jane = create_contact(uow.session, email="jane@acme.com", phone="+15125550100", first_name="Jane",
                              last_name="Doe", company="Acme Roofing", tags=[], attributes={})
    before = utcnow()
    with unit_of_work() as uow:
        erase_contact(uow.session, MARKETER, "jane doe")
    [row] = deliveries()
    [data] = posted(receiver, document, "contact.deleted")
    assert set(data) == {"contact_id", "deleted_at"} and data["contact_id"] == jane.id
    assert before <= datetime.fromisoformat(data["deleted_at"]) <= utcnow()
    raw = receiver.received[-1]["body"].decode() + json.dumps(row.payload)
    for personal in ("jane", "Jane", "Doe", "acme.com", "5125550100", "Acme"):
        assert personal not in raw


def test_an_erase_refused_sends_nothing(receiver, sent):
    subscribe(receiver.url, ["contact.deleted"])
    [contact_id] = people(1)
    with unit_of_work() as uow:
        campaign = Campaign(name="Busy", channel="sms", body_text="hi", target_filter={}, status="running")
        uow.session.add(campaign)
        uow.session.flush()
        uow.session.add(A(campaign_id=campaign.id, contact_id=contact_id, channel="sms", status="sending"))
    with pytest.raises(EraseError), unit_of_work() as uow:
        erase_contact(uow.session, MARKETER, contact_id)
    assert deliveries() == []
