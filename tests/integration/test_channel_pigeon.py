"""The proof that a channel has one home (issue 19): a new channel, "pigeon", is one client (over HTTP, to a local
fake), one rule, one registry entry; a campaign on it goes through the real send path (claim, provider call,
record) with the opt-out and the one-message-per-address rules applying, and no other file knows the word."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request

from db.models import Campaign, MarketingActivity
from db.session import unit_of_work
from domain import channels as rules
from integrations.transport import Codes
from tests.factories import create_contact
from tests.fakes.server import serve_app
from tools import channels
from tools.campaigns import sending
from tools.contacts.optouts import opt_out
from workers import campaigns as workers_campaigns


class PigeonClient:
    """The one client: POST /lofts/send {to, text} with an Idempotency-Key; answers {"id": ...}."""

    provider, sandbox = "pigeon", False

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def send(self, to: str, text: str, key: str) -> str:
        response = httpx.post(f"{self.base_url}/lofts/send", json={"to": to, "text": text},
                              headers={"Idempotency-Key": key}, timeout=5)
        response.raise_for_status()
        return response.json()["id"]


def fake_loft(received: list[dict]) -> FastAPI:
    app = FastAPI()

    @app.get("/__health")
    def health() -> dict:
        return {}

    @app.post("/lofts/send")
    async def send(request: Request) -> dict:
        received.append(await request.json() | {"key": request.headers.get("Idempotency-Key")})
        return {"id": f"bird-{len(received)}"}

    return app


@pytest.fixture
def pigeon(monkeypatch):
    received: list[dict] = []
    with serve_app(fake_loft(received)) as base:
        client = PigeonClient(base)
        # the channel: one rule (address on the phone, opt-outs in the suppressions table only) and one entry
        monkeypatch.setitem(rules.RULES, "pigeon", rules.ChannelRule(
            "pigeon", "phone", rules.RULES["sms"].normalise, rules.RULES["sms"].valid, "loft"))
        monkeypatch.setitem(channels.REGISTRY, "pigeon", channels.Channel(
            "pigeon", lambda: client, lambda: 0.0, Codes(), send_one=lambda t, m, key: t.send(m.to, m.text, key),
            idempotency_key=lambda activity_id: f"pigeon-{activity_id}"))
        yield received


def test_a_campaign_on_a_new_channel_goes_through_the_real_send_path(session, pigeon):
    first = create_contact(session, email="ann@acme.com", phone="+15145550100")
    twin = create_contact(session, email="ann.home@acme.com", phone="+15145550100")  # the same loft
    out = create_contact(session, email="bob@acme.com", phone="+15145550111")
    campaign = Campaign(name="Coo", channel="pigeon", status="running", body_text="Hi {first_name|there}, coo.")
    session.add(campaign)
    session.flush()
    opt_out(session, "pigeon", "+1 514 555 0111", source="chat")  # no column: a suppression keyed by the address
    ids = []
    for contact in (first, twin, out):
        activity = MarketingActivity(campaign_id=campaign.id, contact_id=contact.id, channel="pigeon",
                                     type="campaign", status="queued")
        session.add(activity)
        session.flush()
        ids.append(activity.id)
    session.commit()

    with unit_of_work() as uow:
        batch = sending.begin_batch(uow.session, campaign.id, ids)
    results, _ = workers_campaigns.send_and_record(batch)

    assert [r.kind for r in results] == ["sent"]
    assert pigeon == [{"to": "+15145550100", "text": "Hi there, coo. Reply STOP to opt out.",
                       "key": f"pigeon-{ids[0]}"}]
    session.expire_all()
    got = {a.contact_id: (a.status, a.error_code, a.provider, a.idempotency_key) for a in session.scalars(
        sa.select(MarketingActivity).where(MarketingActivity.campaign_id == campaign.id))}
    assert got == {first.id: ("sent", None, "pigeon", f"pigeon-{ids[0]}"),
                   twin.id: ("cancelled", "duplicate_address", None, None),
                   out.id: ("cancelled", "opted_out", None, None)}
