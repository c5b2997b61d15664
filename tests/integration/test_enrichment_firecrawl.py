"""Enrichment through Firecrawl (firecrawl-py over real HTTP against the local v2 fake): credits, cache, errors."""

from __future__ import annotations

import pytest

from integrations.errors import PermanentError, RetryableError
from integrations.firecrawl import FirecrawlClient
from settings import reset_settings
from tests.fakes.firecrawl import FakeFirecrawl
from tests.fakes.server import serve_app
from tests.fakes.site import pages
from tests.integration.enrichment_support import REVIEWER, add_contact, enrich, hold_messages, job, queue
from tools.enrichment.review import review_enrichment
from workers.enrichment import run_job

SITE = "https://acme.test"


@pytest.fixture
def firecrawl(monkeypatch):
    fake = FakeFirecrawl(pages={SITE + path: html for path, html in pages().items()})
    with serve_app(fake.app()) as base:
        monkeypatch.setenv("FIRECRAWL_API_KEY", "fc-test")
        monkeypatch.setenv("FIRECRAWL_API_URL", base)
        monkeypatch.setenv("MKT_FIRECRAWL_REQUESTS_PER_MINUTE", "100000")  # the fake's own limit is tested instead
        hold_messages(monkeypatch)
        reset_settings()
        yield fake, base
    monkeypatch.delenv("FIRECRAWL_API_KEY")
    reset_settings()


def test_enrichment_through_firecrawl_records_credits_and_a_re_run_spends_none(db, firecrawl):
    fake, _ = firecrawl
    cid = add_contact(SITE + "/")
    first = enrich(cid)
    assert first.status == "in_review"
    by_field = {s["field"]: s for s in first.suggestions}
    assert by_field["job_title"]["value"] == "Head of Marketing" and by_field["job_title"]["verified"]
    assert by_field["job_title"]["source_url"] == SITE + "/team"
    assert first.scrape_credits == fake.credits_used >= 4  # pages scraped + map calls
    assert first.cost_micros == first.scrape_credits * 5_300
    assert {e for e, _ in fake.requests} == {"scrape", "map"}
    assert all(body["origin"].startswith("python-sdk") for _, body in fake.requests)
    spent = fake.credits_used
    from db.session import unit_of_work

    with unit_of_work() as uow:
        review_enrichment(uow.session, REVIEWER, first.id, reject=True)
    second = enrich(cid)
    scrapes = [b["url"] for e, b in fake.requests if e == "scrape"]
    assert len(scrapes) == len(set(scrapes))  # no page scraped twice
    assert second.status == "in_review" and second.scrape_credits == fake.credits_used - spent
    assert fake.credits_used == spent and second.scrape_credits == 0  # pages and site maps came from the cache


def test_a_free_mail_contact_gets_a_person_level_search(db, firecrawl):
    fake, _ = firecrawl
    done = enrich(add_contact(None, email="jane.doe@gmail.com", company="Acme Roofing"))
    assert ("search", "scrape") == tuple(dict.fromkeys(e for e, _ in fake.requests))
    assert done.search_credits == 2 and done.status == "in_review"
    assert {s["field"] for s in done.suggestions} >= {"job_title", "linkedin"}


def test_429_honours_retry_after_and_leaves_the_job_pending(db, firecrawl):
    fake, _ = firecrawl
    fake.requests_per_minute = 0
    (job_id,) = queue([add_contact(SITE + "/")])
    with pytest.raises(RetryableError) as err:
        run_job(job_id)
    assert err.value.retry_after == 3 and err.value.status == 429
    assert job(job_id).status == "pending" and "Rate limit" in job(job_id).error


def test_client_errors_are_typed(firecrawl):
    fake, base = firecrawl
    throttled: list[int] = []
    client = FirecrawlClient(api_key="fc-test", api_url=base, timeout=5, max_retries=2,
                             throttle=lambda: throttled.append(1))
    fake.fail_next = [502]  # the SDK retries 502 itself
    assert client.scrape(SITE + "/about").status_code == 200
    for status, kind in ((500, RetryableError), (402, PermanentError), (403, PermanentError)):
        fake.fail_next = [status]
        with pytest.raises(kind):
            client.scrape(SITE + "/")
    with pytest.raises(PermanentError, match="Unauthorized"):
        FirecrawlClient(api_key="wrong", api_url=base, timeout=5).map(SITE)
    assert client.scrape(SITE + "/nowhere").status_code == 404
    assert [h.url for h in client.search("Jane Doe Head of Marketing")] == [SITE + "/team"]
    assert client.usage.search_credits == 2
    assert len(client.usage.calls) == 6
    assert len(throttled) == 7  # before every HTTP request: the SDK's own retry of the 502 included


def test_urls_from_data_are_guarded_before_firecrawl_is_asked(db, firecrawl):
    fake, _ = firecrawl
    for website in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/", "http://[::1]:3002/",
                    "http://localhost:8080/"):
        done = enrich(add_contact(website, email=f"{len(fake.requests)}-{website[-5:-1]}@acme.test"))
        assert done.status == "failed" and "refused" in done.error
    assert fake.requests == []


def test_the_sdks_own_retries_take_a_rate_limit_slot_each(firecrawl):
    fake, base = firecrawl
    asked: list[int] = []
    client = FirecrawlClient(api_key="fc-test", api_url=base, timeout=5, max_retries=3,
                             throttle=lambda: asked.append(fake.received))
    fake.fail_next = [502, 502]  # the SDK tries again by itself, twice
    before = fake.received
    assert client.scrape(SITE + "/about").status_code == 200
    assert fake.received - before == 3 and client.usage.calls == ["scrape"]
    assert asked == [before, before + 1, before + 2]  # one slot taken before each of the three requests


def test_a_429_holds_every_worker_back_on_the_shared_schedule(firecrawl):
    import uuid

    from workers.enrichment import FirecrawlPace

    fake, base = firecrawl
    pace = FirecrawlPace(per_minute=6000, max_wait=1.0, name=f"test-fc-{uuid.uuid4().hex}")
    client = FirecrawlClient(api_key="fc-test", api_url=base, timeout=5, throttle=pace)
    fake.requests_per_minute = 0  # answers 429, Retry-After: 3
    with pytest.raises(RetryableError) as err:
        client.scrape(SITE + "/")
    assert err.value.status == 429 and err.value.retry_after == 3
    assert pace.limiter.held_for() > 2
    fake.requests_per_minute = 1000
    seen = fake.received
    other = FirecrawlClient(api_key="fc-test", api_url=base, timeout=5, throttle=pace)  # another job, same worker
    with pytest.raises(RetryableError, match="per minute") as held:
        other.scrape(SITE + "/")
    assert fake.received == seen and 2 < held.value.retry_after <= 3  # not sent: the schedule is held
