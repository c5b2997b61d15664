"""Enrichment offline (built-in fetcher + rules) against the test site on loopback: queue, run, review, apply."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from db.models import Contact, ContactEvent, EnrichmentJob
from db.session import unit_of_work
from domain.roles import PermissionDenied
from integrations.errors import RetryableError
from tests.fakes.server import serve_app
from tests.fakes.site import site_app
from tests.integration.enrichment_support import (
    MARKETER,
    REVIEWER,
    add_contact,
    enrich,
    hold_messages,
    job,
    queue,
    site_fetcher,
)
from tools.enrichment.review import (
    EnrichmentError,
    bulk_approve,
    bulk_approve_preview,
    next_review_item,
    request_enrichment,
    review_enrichment,
)
from workers.enrichment import run_job


@pytest.fixture(scope="module")
def site():
    app = site_app(injection=True)
    with serve_app(app) as base:
        yield f"http://acme.test:{base.rsplit(':', 1)[1]}", app


@pytest.fixture(scope="module")
def clean_site():
    with serve_app(site_app(injection=False)) as base:
        yield f"http://acme.test:{base.rsplit(':', 1)[1]}"


@pytest.fixture(autouse=True)
def no_dispatch(monkeypatch):
    hold_messages(monkeypatch)


def test_a_contact_is_enriched_and_review_applies_exactly_the_approved_fields(db, site):
    base, _ = site
    cid = add_contact(base + "/")
    done = enrich(cid, site_fetcher())
    assert done.status == "in_review" and done.scrape_credits == 0 and done.cost_micros == 0
    with unit_of_work() as uow:
        item = next_review_item(uow.session, REVIEWER)
    fields = {f.field: f for f in item.fields}
    title = fields["job_title"]
    assert (title.current, title.suggested, title.source_url) == (None, "Head of Marketing", base + "/team")
    assert title.verified and title.confidence >= 0.9 and title.quote == "Head of Marketing"
    assert fields["company"].suggested == "Acme Roofing" and "website" not in fields
    with unit_of_work() as uow:
        result = review_enrichment(uow.session, REVIEWER, item.job_id, approve=["job_title", "company"],
                                   edits={"city": "Austin, Texas"})
    assert result.status == "partly_approved" and result.applied == ["company", "job_title", "city"]
    with unit_of_work() as uow:
        contact = uow.session.get(Contact, cid)
        events = list(uow.session.scalars(sa.select(ContactEvent).where(ContactEvent.kind == "enriched")))
        assert (contact.job_title, contact.company, contact.city) == ("Head of Marketing", "Acme Roofing", "Austin, Texas")
        assert contact.region is None and contact.attributes == {} and contact.enrichment_status == "enriched"
    by_field = {e.field: e for e in events}
    assert set(by_field) == {"company", "job_title", "city"}
    assert by_field["job_title"].source == "enrichment" and by_field["job_title"].actor == REVIEWER.email
    assert by_field["job_title"].data["source_url"] == base + "/team"
    assert by_field["job_title"].data["quote"] == "Head of Marketing"
    assert "edited by the reviewer" in by_field["city"].data["note"]
    assert job(item.job_id).decisions["fields"]["industry"] == "not approved"


def test_a_re_run_reads_the_cache_and_fetches_nothing(db, site):
    base, app = site
    cid = add_contact(base + "/")
    first = enrich(cid, site_fetcher())
    hits = len(app.state.hits)
    with unit_of_work() as uow:
        review_enrichment(uow.session, REVIEWER, first.id, reject=True)
    second = enrich(cid, site_fetcher())
    assert len(app.state.hits) == hits
    assert second.status == "in_review" and second.decisions["pages"] == first.decisions["pages"]
    assert [s["value"] for s in second.suggestions] == [s["value"] for s in first.suggestions]


def test_the_injection_page_changes_nothing(db, site, clean_site):
    base, _ = site
    tricked = enrich(add_contact(base + "/"), site_fetcher())
    plain = enrich(add_contact(clean_site + "/", email="jane2@acme.test"), site_fetcher())
    values = lambda j: {s["field"]: s["value"] for s in j.suggestions}  # noqa: E731
    assert values(tricked) == values(plain)
    assert all("Chief" not in v and "evil" not in v for v in values(tricked).values())
    assert any("instructions aimed at a model" in d for d in tricked.decisions["dropped"])
    assert tricked.status == "in_review"
    with unit_of_work() as uow:
        assert uow.session.get(Contact, tricked.contact_id).job_title is None


def test_reject_changes_nothing_and_a_decided_job_cannot_be_decided_again(db, site):
    base, _ = site
    cid = add_contact(base + "/")
    done = enrich(cid, site_fetcher())
    with unit_of_work() as uow:
        assert review_enrichment(uow.session, REVIEWER, done.id, reject=True).status == "rejected"
    with unit_of_work() as uow:
        contact = uow.session.get(Contact, cid)
        assert contact.company is None and contact.enrichment_status == "rejected"
        assert not uow.session.scalars(sa.select(ContactEvent).where(ContactEvent.kind == "enriched")).all()
    with unit_of_work() as uow, pytest.raises(EnrichmentError, match="rejected, not waiting"):
        review_enrichment(uow.session, REVIEWER, done.id, approve="all")


def test_unknown_fields_are_refused_before_anything_is_written(db, site):
    base, _ = site
    done = enrich(add_contact(base + "/"), site_fetcher())
    with unit_of_work() as uow, pytest.raises(EnrichmentError, match="no such field: shoe_size"):
        review_enrichment(uow.session, REVIEWER, done.id, approve=["company", "shoe_size"])
    assert job(done.id).status == "in_review"


def test_bulk_approval_counts_first_then_applies_only_confident_unconflicted_verified_fields(db, site):
    base, _ = site
    jane = enrich(add_contact(base + "/"), site_fetcher())
    john = enrich(add_contact(base + "/", email="john@acme.test", first="John", last="Smith"), site_fetcher())
    with unit_of_work() as uow:
        assert bulk_approve_preview(uow.session, REVIEWER, 0.8) == 2
        assert bulk_approve(uow.session, REVIEWER, 0.8) == 2
    with unit_of_work() as uow:
        jane_c = uow.session.get(Contact, jane.contact_id)
        john_c = uow.session.get(Contact, john.contact_id)
        assert jane_c.job_title == "Head of Marketing" and jane_c.company == "Acme Roofing"
        assert john_c.job_title is None  # "Owner" came from text at 0.6
        assert jane_c.city is None and "company_description" not in jane_c.attributes  # 0.6 / a conflict
    assert job(jane.id).status == "partly_approved"
    with unit_of_work() as uow, pytest.raises(EnrichmentError, match="between 0 and 1"):
        bulk_approve_preview(uow.session, REVIEWER, 80)


def test_roles_are_checked(db, site):
    base, _ = site
    cid = add_contact(base + "/")
    with unit_of_work() as uow, pytest.raises(PermissionDenied):
        request_enrichment(uow.session, REVIEWER, contact_ids=[cid])
    with unit_of_work() as uow:
        assert next_review_item(uow.session, REVIEWER) is None


def test_recent_enrichment_is_not_repeated_unless_asked_and_open_jobs_are_not_duplicated(db, site):
    base, _ = site
    cid = add_contact(base + "/")
    assert len(queue([cid])) == 1
    assert queue([cid]) == queue([cid], force=True)  # still pending: no second job
    done = enrich_existing(cid)
    with unit_of_work() as uow:
        review_enrichment(uow.session, REVIEWER, done.id, reject=True)
        assert request_enrichment(uow.session, MARKETER, contact_ids=[cid]) == 0
        assert request_enrichment(uow.session, MARKETER, contact_ids=[cid], force=True) == 1
    with unit_of_work() as uow, pytest.raises(EnrichmentError, match="say which contacts"):
        request_enrichment(uow.session, MARKETER)


def enrich_existing(cid: int) -> EnrichmentJob:
    with unit_of_work() as uow:
        job_id = uow.session.scalar(sa.select(EnrichmentJob.id).where(EnrichmentJob.contact_id == cid))
    run_job(job_id, fetcher=site_fetcher())
    return job(job_id)


def test_jobs_are_dispatched_only_after_commit(db, site, monkeypatch):
    base, _ = site
    sent = hold_messages(monkeypatch)
    cid = add_contact(base + "/")
    with pytest.raises(RuntimeError), unit_of_work() as uow:
        request_enrichment(uow.session, MARKETER, contact_ids=[cid])
        raise RuntimeError("rolled back")
    assert sent == []
    with unit_of_work() as uow:
        request_enrichment(uow.session, MARKETER, contact_ids=[cid])
    assert len(sent) == 1 and sent[0][0] == "enrichment.run" and job(sent[0][1]).status == "pending"


def test_a_missing_site_fails_with_a_reason_a_reviewer_can_read(db, site):
    base, _ = site
    done = enrich(add_contact(base + "/status/404"), site_fetcher())
    assert done.status == "failed" and "404" in done.error
    with unit_of_work() as uow:
        assert uow.session.get(Contact, done.contact_id).enrichment_status == "failed"


def test_a_free_mail_contact_offline_says_why_nothing_was_found(db):
    done = enrich(add_contact(None, email="jane.doe@gmail.com"))
    assert done.status == "failed"
    assert "gmail.com is a free-mail domain" in done.error and "no web search offline" in done.error


def test_a_busy_site_is_retried_then_failed(db, site, monkeypatch):
    base, _ = site
    cid = add_contact(base + "/status/503")
    (job_id,) = queue([cid])
    with pytest.raises(RetryableError):
        run_job(job_id, fetcher=site_fetcher())
    assert job(job_id).status == "pending" and "503" in job(job_id).error
    with unit_of_work() as uow:
        uow.session.get(EnrichmentJob, job_id).attempts = 10
    assert run_job(job_id, fetcher=site_fetcher()) == "failed"
    assert job(job_id).error.startswith("gave up after retries")
    assert run_job(job_id, fetcher=site_fetcher()).endswith("already failed")


def test_contacts_waiting_in_a_scheduled_campaign_are_reviewed_first(db, site):
    from db.models import Campaign, MarketingActivity

    base, _ = site
    plain = add_contact(base + "/")
    waiting = add_contact(base + "/", email="john@acme.test", first="John", last="Smith")
    with unit_of_work() as uow:
        campaign = Campaign(name="Spring roofs", channel="email", status="scheduled")
        uow.session.add(campaign)
        uow.session.flush()
        uow.session.add(MarketingActivity(campaign_id=campaign.id, contact_id=waiting, channel="email"))
    jobs = queue([plain, waiting])
    priorities = {job(j).contact_id: job(j).priority for j in jobs}
    assert priorities == {plain: 0, waiting: 100}
    for job_id in jobs:
        run_job(job_id, fetcher=site_fetcher())
    with unit_of_work() as uow:
        item = next_review_item(uow.session, REVIEWER)
        assert item.contact_id == waiting and item.waiting == 2
        later = next_review_item(uow.session, REVIEWER, skip=[item.job_id])
        assert later.contact_id == plain
    summary = item.for_model()
    assert f"job #{item.job_id}" in summary and "job_title" in summary
    assert "Owner" not in summary and "acme" not in summary.lower()  # no text from the web reaches the model


def test_a_reviewer_may_name_fields_the_way_people_say_them(db, site):
    base, _ = site
    done = enrich(add_contact(base + "/"), site_fetcher())
    with unit_of_work() as uow:
        result = review_enrichment(uow.session, REVIEWER, done.id, approve=["Title"], edits={"zip": "78702"})
    assert result.applied == ["job_title", "postal_code"]
    with unit_of_work() as uow:
        contact = uow.session.get(Contact, done.contact_id)
        assert (contact.job_title, contact.postal_code) == ("Head of Marketing", "78702")


def test_enrich_contacts_by_filter_skips_samples_and_bad_filters_say_why(db, site):
    from domain.filters import FilterError

    base, _ = site
    roofer = add_contact(base + "/", tags=["roofer"])
    add_contact(base + "/", email="other@acme.test", tags=["plumber"])
    add_contact(base + "/", email="sample@acme.test", tags=["roofer"], is_sample=True)
    with unit_of_work() as uow:
        n = request_enrichment(uow.session, MARKETER, filter={"field": "tags", "op": "has", "value": "roofer"})
    assert n == 1
    with unit_of_work() as uow:
        assert uow.session.scalars(sa.select(EnrichmentJob.contact_id)).all() == [roofer]
    with unit_of_work() as uow, pytest.raises(FilterError):
        request_enrichment(uow.session, MARKETER, filter={"field": "shoe_size", "op": "eq", "value": 9})


def test_an_approved_phone_that_opted_out_before_stays_opted_out(db):
    from db.models import Suppression
    from tests.factories import create_contact

    with unit_of_work() as uow:
        contact = create_contact(uow.session, email="jane@acme.test", tags=[], attributes={})
        uow.session.add(Suppression(channel="sms", address="+15125550111", reason="opt_out", source="sms_keyword"))
        uow.session.add(EnrichmentJob(contact_id=contact.id, status="in_review", decisions={}, suggestions=[{
            "field": "phone", "value": "+1 512 555 0111", "source_url": "https://acme.test/team",
            "quote": "512-555-0111", "confidence": 0.8, "verified": True}]))
    with unit_of_work() as uow:
        job_id = uow.session.scalar(sa.select(EnrichmentJob.id))
        assert review_enrichment(uow.session, REVIEWER, job_id, approve="all").applied == ["phone"]
    with unit_of_work() as uow:
        contact = uow.session.get(Contact, contact.id)
        assert contact.phone == "+15125550111" and contact.opted_out_sms and not contact.opted_out_email
