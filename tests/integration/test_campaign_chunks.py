"""A preview and a launch take the audience in chunks (tools/campaigns/audience.py, so memory does not grow with
the audience): with chunks of 2 contacts they give exactly what one chunk gives, including one message per address
when the two contacts sharing a phone fall in different chunks, and a relaunch-safe outbox."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from db.models import MarketingActivity
from tests.clock import daytime_zone
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER
from tools.campaigns import audience as campaign_audience
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc

NOW = datetime.now(UTC)
PHONES = ["+15125550100", "+15125550111", "+15125550122", "+15125550100", "+15125550133", "+15125550111",
          "+15125550144"]


def _audience(session):
    zone = daytime_zone(NOW)
    people = [create_contact(session, email=f"p{i}@acme.com", phone=p, timezone=zone, first_name=f"P{i}",
                             tags=["roofer"], opted_out_sms=i == 1) for i, p in enumerate(PHONES)]
    create_contact(session, email="x@acme.com", phone="+15125550155", timezone=zone, tags=["other"])
    session.commit()
    return people


def _run(session, name):
    view = drafting.draft_campaign(session, MARKETER, name=name, channel="sms",
                                   filter={"field": "tags", "op": "has", "value": "roofer"}, body_text="Hi {first_name}")
    preview = tc.preview_campaign(session, MARKETER, view.id)
    launched = tc.launch_campaign(session, MARKETER, view.id, now=NOW)
    session.commit()
    messaged = sorted(session.scalars(sa.select(MarketingActivity.contact_id).where(
        MarketingActivity.campaign_id == view.id)))
    return preview, launched, messaged


def test_chunks_of_two_give_what_one_chunk_gives(session, monkeypatch):
    people = _audience(session)
    whole_preview, whole_launch, whole = _run(session, "Whole")
    monkeypatch.setattr(campaign_audience, "CHUNK", 2)
    preview, launched, messaged = _run(session, "Chunked")
    assert (preview.audience, preview.eligible, preview.excluded) == (7, 5, {"duplicate_address": 1, "opted_out": 1})
    assert preview.excluded == whole_preview.excluded and preview.eligible == whole_preview.eligible
    assert preview.estimated_cost_micros == whole_preview.estimated_cost_micros > 0
    assert [s.contact_id for s in preview.samples] == [s.contact_id for s in whole_preview.samples]
    assert (launched.queued, launched.excluded) == (whole_launch.queued, whole_launch.excluded)
    # p3 shares p0's phone (other chunk), p5 shares p1's (p1 opted out, so p5 keeps it)
    assert messaged == whole == sorted(p.id for i, p in enumerate(people) if i in (0, 2, 4, 5, 6))
