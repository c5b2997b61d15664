"""One answer per turn, said once, with correct plurals and reasons in words (issue 16 item 8)."""

from __future__ import annotations

from db.models import EnrichmentJob, utcnow
from tests.agent_support import chat
from tests.factories import create_contact


def test_enrichment_failures_say_why_per_contact_and_offer_a_retry(session):
    ann = create_contact(session, first_name="Ann", last_name="Lee", email="ann@acme.invalid", website="acme.invalid",
                         enrichment_status="failed")
    create_contact(session, first_name="Bo", email="bo@ok.com")
    session.add(EnrichmentJob(contact_id=ann.id, status="failed", error="the domain acme.invalid does not resolve",
                              suggestions=[], decisions={}, finished_at=utcnow()))
    session.commit()
    progress, retry = chat("enrichment status", "retry failed enrichment")
    assert progress.text.startswith("Enrichment: failed 1. Why they failed: Ann Lee")
    assert "the domain acme.invalid does not resolve" in progress.displays[0]["markdown"]
    assert {"label": "Retry the failed ones", "say": "retry failed enrichment"} in progress.displays[0]["next"]
    assert retry.approval["tool"] == "enrich_contacts" and retry.approval["summary"]["count"] == 1


def test_an_update_is_said_once_and_plurals_are_right(session):
    create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", city="Austin")
    session.commit()
    same, found, counted = chat("set jane@acme.com's city to Austin", "show contacts in Austin",
                                "how many contacts in Austin")
    assert same.text.startswith("Nothing changed on contact jane@acme.com") and "Updated" not in same.text
    assert found.text.startswith("Found 1 contact (showing 1-1)")
    assert counted.text == "1 contact matches."
