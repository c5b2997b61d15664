"""The proof that a channel has one home (issue 19): a new channel, "pigeon", is one client (over HTTP, to a local
fake), one rule, one registry entry; a campaign on it is drafted, previewed and launched with the real tools and
sent by the real send job (claim, provider call, record), with the opt-out and the one-message-per-address rules
applying at launch and again at the claim, and no other file knows the word."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request

from db import jobs
from db.models import MarketingActivity
from db.session import unit_of_work
from domain import channels as rules
from integrations.transport import Codes
from tests.factories import create_contact
from tests.fakes.server import serve_app
from tests.integration.campaign_support import MARKETER
from tools import channels
from tools.campaigns import drafting, lifecycle
from tools.contacts.optouts import opt_out
from workers import campaigns as workers_campaigns

TEXT = "Hi there, coo.\nReply STOP to opt out."


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
            idempotency_key=lambda activity_id: f"pigeon-{activity_id}", price_micros=lambda address: 50))
        yield received


def test_a_campaign_on_a_new_channel_is_drafted_previewed_launched_and_sent(session, pigeon, monkeypatch):
    held: list[tuple[str, tuple]] = []
    monkeypatch.setattr(jobs, "send", lambda name, *args: held.append((name, args)))  # the send jobs, run below
    first = create_contact(session, email="ann@acme.com", phone="+15145550100")
    create_contact(session, email="ann.home@acme.com", phone="+15145550100")  # the same loft
    create_contact(session, email="bob@acme.com", phone="+15145550111")
    late = create_contact(session, email="cy@acme.com", phone="+15145550122")
    create_contact(session, email="dee@acme.com")  # no loft
    opt_out(session, "pigeon", "+1 514 555 0111", source="chat")  # no column: a suppression keyed by the address
    session.commit()
    excluded = {"duplicate_address": 1, "suppressed": 1, "no_address": 1}

    with unit_of_work() as uow:
        view = drafting.draft_campaign(uow.session, MARKETER, name="Coo", channel="pigeon", filter=None,
                                       body_text="Hi {first_name|there}, coo.")
    assert (view.channel, view.sms_segments, view.warnings, view.notice, view.tracking) == ("pigeon", None, [], None, {})
    with unit_of_work() as uow:
        preview = lifecycle.preview_campaign(uow.session, MARKETER, "Coo")
    assert (preview.audience, preview.eligible, preview.excluded, preview.estimated_cost_micros) == (5, 2, excluded, 100)
    assert [(s.to, s.subject, s.body, s.html) for s in preview.samples] == [
        ("+15145550100", "", TEXT, None), ("+15145550122", "", TEXT, None)]
    with unit_of_work() as uow:
        launched = lifecycle.launch_campaign(uow.session, MARKETER, "Coo")
    assert (launched.queued, launched.excluded, launched.estimated_cost_micros) == (2, excluded, 100)
    opt_out(session, "pigeon", "+15145550122", source="chat")  # after launch: found when the batch is claimed
    session.commit()

    assert [name for name, _ in held] == ["campaigns.send_batch"] * 2  # one message per job (the default)
    for _, args in held:
        workers_campaigns.run_batch(*args)

    session.expire_all()
    got = {a.contact_id: (a.id, a.status, a.error_code, a.provider, a.idempotency_key, a.cost_micros)
           for a in session.scalars(sa.select(MarketingActivity).where(MarketingActivity.campaign_id == view.id))}
    sent_id = got[first.id][0]
    assert pigeon == [{"to": "+15145550100", "text": TEXT, "key": f"pigeon-{sent_id}"}]
    assert got == {first.id: (sent_id, "sent", None, "pigeon", f"pigeon-{sent_id}", 50),
                   late.id: (got[late.id][0], "cancelled", "opted_out", None, None, 0)}
