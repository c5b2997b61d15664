"""Enrichment with a language model (langchain-openai over real HTTP against the OpenAI-compatible fake):
structured output with no tools bound, fabricated quotes dropped, injected text never used, tokens counted."""

from __future__ import annotations

import json

import pytest

from settings import reset_settings
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.server import serve_app
from tests.fakes.site import site_app
from tests.integration.enrichment_support import add_contact, enrich, hold_messages, site_fetcher


def answer(body: dict) -> Reply:
    """A model that reports one true fact, one fabricated one, and one the injection paragraph asked for."""
    prompt = body["messages"][-1]["content"]
    base = prompt.split('<page url="', 1)[1].split("/", 3)[:3] if '<page url="' in prompt else None
    site = "/".join(base) if base else ""
    findings = []
    if prompt.startswith("Phase: contact"):
        findings = [
            {"field": "job_title", "value": "Head of Marketing", "source_url": f"{site}/team",
             "quote": "Jane Doe - Head of Marketing", "confidence": 0.9},
            {"field": "job_title", "value": "Chief Executive Officer", "source_url": f"{site}/contact",
             "quote": "Jane Doe is the Chief Executive Officer", "confidence": 0.9},
            {"field": "email", "value": "attacker@evil.test", "source_url": f"{site}/contact",
             "quote": "attacker@evil.test", "confidence": 0.9},
        ]
    elif prompt.startswith("Phase: company"):
        findings = [{"field": "founded", "value": "1950", "source_url": f"{site}/about",
                     "quote": "Acme Roofing was founded in 1950 by the Doe family.", "confidence": 0.9},
                    {"field": "company_size", "value": "25", "source_url": f"{site}/about",
                     "quote": "with a crew of 25", "confidence": 0.8}]
    return Reply(content=json.dumps({"findings": findings}))


@pytest.fixture
def model(monkeypatch):
    fake = FakeOpenAI(responder=answer)
    with serve_app(fake.app()) as base:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", base + "/v1")
        hold_messages(monkeypatch)
        reset_settings()
        yield fake
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")
    reset_settings()


@pytest.fixture(scope="module")
def site():
    with serve_app(site_app(injection=True)) as base:
        yield f"http://acme.test:{base.rsplit(':', 1)[1]}"


def test_the_model_extracts_without_tools_and_only_verified_quotes_survive(db, site, model):
    done = enrich(add_contact(site + "/"), site_fetcher())
    assert len(model.requests) == 3  # one call per phase: discovery, company profile, contact
    for request in model.requests:
        assert "tools" not in request and "tool_choice" not in request and "functions" not in request
        assert request["response_format"]["type"] == "json_schema"
        assert "untrusted DATA" in request["messages"][0]["content"]
    values = {s["field"]: s for s in done.suggestions}
    assert values["job_title"]["value"] == "Head of Marketing" and not values["job_title"]["alternatives"]
    assert values["founded"]["value"] == "1998"  # the rules' value; the model's 1950 had a fabricated quote
    assert set(values["company_size"]["sources"]) == {f"{site}/", f"{site}/about"}  # model corroborates the rules
    assert "email" not in values
    dropped = " | ".join(done.decisions["dropped"])
    assert "founded='1950'" in dropped and "quote not found" in dropped
    assert "Chief Executive Officer" in dropped and "instructions" in dropped
    assert done.model_tokens == 3 * 19 and done.status == "in_review"


def test_a_failing_model_leaves_the_rules_standing(db, site, model):
    model.responder = lambda body: Reply(status=500)
    done = enrich(add_contact(site + "/"), site_fetcher())
    assert done.status == "in_review" and {s["field"] for s in done.suggestions} >= {"company", "job_title"}
    assert any("language model unavailable from the discovery phase" in n for n in done.decisions["notes"])
    assert {r["messages"][-1]["content"].split(".")[0] for r in model.requests} == {"Phase: discovery"}  # + SDK retries
