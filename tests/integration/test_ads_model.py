"""draft_ads with a language model: the real ChatOpenAI client against the OpenAI-compatible fake over HTTP.
A model answer that breaks the limits is repaired at word boundaries or regenerated with the reasons; a failing
model falls back to the offline templates and says so."""

import json

import pytest

from domain.ads import validate_variant
from domain.roles import Role
from settings import reset_settings
from tests.factories import create_contact
from tests.fakes.openai import FakeOpenAI, Reply
from tests.fakes.server import serve_app
from tools.ads.drafts import draft_ads
from tools.users import Actor

MARKETER = Actor("marketer@example.com", Role.MARKETER)
ROOFERS = {"field": "attributes.industry", "op": "eq", "value": "roofing"}
GOOD = {"headlines": ["Roof Reports in 24 Hours", "Built for Texas Roofers", "Drone Inspections Made Easy"],
        "descriptions": ["Send homeowners a photo report the same day. Try it free for 14 days.",
                         "Made for roofing crews in Texas."], "path1": "roofing", "path2": "texas"}


@pytest.fixture
def model_server(monkeypatch):
    """Start the fake with a list of replies (served in order, the last one repeating); configure the app for it."""
    started = []

    def start(*replies):
        queue = list(replies)
        fake = FakeOpenAI(lambda body: queue.pop(0) if len(queue) > 1 else queue[0])
        ctx = serve_app(fake.app())
        base = ctx.__enter__()
        started.append(ctx)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("OPENAI_BASE_URL", f"{base}/v1")
        monkeypatch.setenv("OPENAI_MODEL", "gpt-test")
        reset_settings()
        return fake

    yield start
    for ctx in started:
        ctx.__exit__(None, None, None)
    monkeypatch.undo()
    reset_settings()


def answer(*variants):
    return Reply(tool_calls=[{"name": "ad_variants", "args": {"variants": list(variants)}}])


def seed(session):
    for i in range(3):
        create_contact(session, email=f"r{i}@roof.example", city="Austin", region="TX",
                       attributes={"industry": "roofing"}, tags=["roofing"])
    session.flush()


def test_a_model_answer_that_fits_is_used_as_is(session, model_server):
    seed(session)
    fake = model_server(answer(GOOD))
    draft = draft_ads(session, MARKETER, platform="google", filter=ROOFERS, brief="Same-day drone roof reports")
    assert draft.generator == "model gpt-test" and not draft.offline
    assert draft.variants[0].fields["headlines"] == GOOD["headlines"] and draft.variants[0].problems == []
    assert draft.audience == 3 and len(fake.requests) == 1
    request = fake.requests[0]
    assert request["tools"][0]["function"]["name"] == "ad_variants"
    system, user = request["messages"][0]["content"], request["messages"][1]["content"]
    assert "headlines: 3-15 items, each at most 30 characters" in system
    assert "Same-day drone roof reports" in user and "Same-day drone roof reports" not in system
    assert json.loads(user.removeprefix("DATA:\n"))["segment"]["contacts"] == 3


def test_a_model_answer_that_breaks_limits_is_repaired_without_cutting_words(session, model_server):
    seed(session)
    long = {**GOOD, "headlines": ["Same-Day Drone Roof Reports For Texas Crews!", *GOOD["headlines"][1:]],
            "descriptions": [GOOD["descriptions"][0] + " No credit card needed, cancel any time you like.",
                             GOOD["descriptions"][1]], "path1": "roof reports"}
    fake = model_server(answer(long))
    draft = draft_ads(session, MARKETER, platform="google", filter=ROOFERS, brief="Same-day drone roof reports")
    fields = draft.variants[0].fields
    assert validate_variant("google", fields) == []
    assert fields["headlines"][0] == "Same-Day Drone Roof Reports"
    assert fields["descriptions"][0] == GOOD["descriptions"][0]
    assert fields["path1"] == "roof-reports"
    assert draft.variants[0].lengths["headlines"][0] == 27
    assert any("variant 1 repaired: headlines 1" in n for n in draft.notes)
    assert len(fake.requests) == 1


def test_an_unrepairable_answer_is_regenerated_with_the_reasons(session, model_server):
    seed(session)
    broken = {"headlines": ["Supercalifragilisticexpialidocious-roofs", "Only Two Headlines"],
              "descriptions": ["One.", "Two."]}
    fake = model_server(answer(broken), answer(GOOD))
    draft = draft_ads(session, MARKETER, platform="google", filter=ROOFERS, brief="Drone roof reports")
    assert len(fake.requests) == 2
    feedback = fake.requests[1]["messages"][-1]["content"]
    assert "headlines 1: is 40 characters; the platform allows at most 30" in feedback
    assert "headlines: needs at least 3, has 2" in feedback
    assert draft.variants[0].fields["headlines"] == GOOD["headlines"]
    assert draft.generator == "model gpt-test"


def test_linkedin_copy_naming_linkedin_is_repaired_and_missing_variants_come_from_templates(session, model_server):
    seed(session)
    named = {"intro": "Roofers on LinkedIn love our same-day drone reports.", "headline": "Drone roof reports",
             "description": "Made for roofing crews."}
    fake = model_server(answer(named))
    draft = draft_ads(session, MARKETER, platform="linkedin", filter=ROOFERS, brief="Drone roof reports", count=2)
    assert draft.variants[0].fields["intro"] == "Roofers love our same-day drone reports."
    assert len(draft.variants) == 2 and all(v.problems == [] for v in draft.variants)
    assert len(fake.requests) == 2  # one variant of two was written: asked again, then topped up
    assert any("came from the offline templates" in n for n in draft.notes)


def test_a_failing_model_falls_back_to_templates_and_says_so(session, model_server):
    seed(session)
    model_server(Reply(status=500))
    draft = draft_ads(session, MARKETER, platform="facebook", filter=ROOFERS, brief="Drone roof reports", count=2)
    assert draft.offline and draft.generator == "offline templates"
    assert any("the language model failed" in n for n in draft.notes)
    assert len(draft.variants) == 2 and all(v.problems == [] for v in draft.variants)


def test_no_transaction_is_held_while_the_model_thinks(db, model_server):
    from db.session import session_factory

    make = session_factory(db)
    with make() as s:
        seed(s)
        s.commit()
    with make() as s:
        seen = []
        fake = model_server(answer(GOOD))
        fake.responder = lambda body: seen.append(s.in_transaction()) or answer(GOOD)
        draft = draft_ads(s, MARKETER, platform="google", filter=ROOFERS, brief="Drone roof reports")
        s.commit()
    assert seen == [False] and draft.audience == 3 and draft.generator == "model gpt-test"
