"""One message per address per campaign (issue 17 item 6): contacts that share a phone number (or an address the
campaign sends to) get one message between them; the others are excluded with their own reason, in the preview
and at launch."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from db.models import MarketingActivity
from domain.audience import DUPLICATE, one_per_address
from domain.send_rules import REASONS, Decision, Outcome
from tests.clock import daytime_zone
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc

NOW = datetime.now(UTC)


def test_the_first_contact_keeps_a_shared_address_the_others_are_excluded():
    decisions = {1: Decision(Outcome.EXCLUDE, "opted_out"), 2: Decision(Outcome.SEND), 3: Decision(Outcome.DEFER),
                 4: Decision(Outcome.SEND), 5: Decision(Outcome.SEND)}
    recipients = [(5, "A@x.com"), (4, "b@x.com"), (3, "a@x.com"), (2, "a@x.com "), (1, "a@x.com")]
    assert one_per_address("email", recipients, decisions) == {3: 2, 5: 2}
    assert [decisions[i].reason for i in range(1, 6)] == ["opted_out", None, DUPLICATE, None, DUPLICATE]
    assert DUPLICATE in REASONS


def test_contacts_sharing_a_phone_get_one_sms_between_them(session):
    zone = daytime_zone(NOW)
    first = create_contact(session, email="jane@acme.com", phone="+15125550100", timezone=zone, tags=["roofer"])
    second = create_contact(session, email="jane.doe@gmail.com", phone="+15125550100", timezone=zone,
                            tags=["roofer"])
    out = create_contact(session, email="old@acme.com", phone="+15125550111", timezone=zone, tags=["roofer"],
                         opted_out_sms=True)
    twin = create_contact(session, email="twin@acme.com", phone="+15125550111", timezone=zone, tags=["roofer"])
    other = create_contact(session, email="bob@roe.com", phone="+15125550122", timezone=zone, tags=["roofer"])
    session.commit()
    view = drafting.draft_campaign(session, MARKETER, name="Spring", channel="sms", filter=None, body_text="Hi {first_name}")
    preview = tc.preview_campaign(session, MARKETER, view.id)
    assert (preview.audience, preview.eligible) == (5, 3)
    assert preview.excluded == {"duplicate_address": 1, "opted_out": 1}
    launched = tc.launch_campaign(session, MARKETER, view.id, now=NOW)
    session.commit()
    assert launched.excluded == {"duplicate_address": 1, "opted_out": 1}
    messaged = sorted(session.scalars(sa.select(MarketingActivity.contact_id).where(
        MarketingActivity.campaign_id == view.id)))
    assert messaged == sorted([first.id, twin.id, other.id])
    assert second.id not in messaged and out.id not in messaged


def _launched(session, phones):
    zone = daytime_zone(NOW)
    people = [create_contact(session, email=f"p{i}@acme.com", phone=p, timezone=zone) for i, p in enumerate(phones)]
    session.commit()
    view = drafting.draft_campaign(session, MARKETER, name="Claim", channel="sms", filter=None, body_text="Hi {first_name}")
    tc.launch_campaign(session, MARKETER, view.id, now=NOW)
    session.commit()
    rows = {r.contact_id: r.id for r in session.scalars(sa.select(MarketingActivity).where(
        MarketingActivity.campaign_id == view.id))}
    return people, view.id, [rows[p.id] for p in people]


def test_an_address_that_meets_another_row_after_launch_is_cancelled_at_claim(session):
    from tools.campaigns.sending import begin_batch

    (a, b, c), campaign_id, (ra, rb, rc) = _launched(session, ["+15125550100", "+15125550111", "+15125550122"])
    b.phone = "+15125550100"  # edited after launch: now the same number as a
    session.commit()
    batch = begin_batch(session, campaign_id, [ra, rb], now=NOW)
    session.commit()
    assert [m.activity_id for m in batch.messages] == [ra]
    dup = session.get(MarketingActivity, rb)
    assert (dup.status, dup.error_code) == ("cancelled", "duplicate_address")
    session.execute(sa.update(MarketingActivity).where(MarketingActivity.id == ra).values(
        status="sent", to_address="+15125550100"))
    c.phone = "+15125550100"
    session.commit()
    assert begin_batch(session, campaign_id, [rc], now=NOW).messages == []
    session.commit()
    assert session.get(MarketingActivity, rc).error_code == "duplicate_address"
