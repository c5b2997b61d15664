"""An email campaign written in Markdown goes out to the Postmark fake as designed HTML plus its text twin, both
from one source, with the one-click unsubscribe headers."""

from __future__ import annotations

import base64
import json
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from db.models import MarketingActivity
from db.session import unit_of_work
from domain import campaigns as tpl
from domain.email_render import template_source
from tests.fakes.postmark import FakePostmark
from tests.integration.campaign_support import MARKETER, POSTAL, drain, fakes, people, running_worker
from tests.unit.test_email_render import tags
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc

BODY = """## Spring is here, {first_name|friend}

Our **roof check** is free until May.

[Book a call](https://cal.example/acme){.button}"""


def launch(**kw):
    with unit_of_work() as uow:
        view = drafting.draft_campaign(uow.session, MARKETER, name="Spring HTML", channel="email", filter=None,
                                       subject="{first_name|Hello}, a free roof check", body_text=BODY, **kw)
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, view.id)
    drain()
    return view


def test_markdown_email_goes_out_as_html_and_text_twin(db, monkeypatch):
    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake), running_worker():
        ids = people(4)
        view = launch()
    assert len(fake.delivered) == 4
    with unit_of_work() as uow:
        names = dict(uow.session.execute(sa.text("SELECT id, first_name FROM contacts")).all())
        acts = {a.id: a.contact_id for a in uow.session.scalars(
            sa.select(MarketingActivity).where(MarketingActivity.campaign_id == view.id))}
    for sent in fake.delivered:
        contact = acts[int(sent["Metadata"]["activity_id"])]
        name = names[contact] or "friend"
        found = tags(sent["HtmlBody"])
        assert "script" not in [t for t, _ in found]
        assert all(a.get("style") for t, a in found if t in ("h2", "p", "a"))
        links = [a["href"] for t, a in found if t == "a"]
        assert all(re.match(r"^https?://", h) for h in links)
        unsubscribe = next(h for h in links if "/unsubscribe/" in h)
        assert f"Spring is here, {name}" in sent["HtmlBody"] and "<strong" in sent["HtmlBody"]
        assert any(a.get("class") == "button" and a["href"] == "https://cal.example/acme" for t, a in found if t == "a")
        assert POSTAL in sent["HtmlBody"]
        text = tpl.render(template_source(BODY), {"first_name": names[contact]})
        assert sent["TextBody"] == text + tpl.text_footer(POSTAL, unsubscribe)
        assert sent["Subject"] == f"{names[contact] or 'Hello'}, a free roof check"
        assert {h["Name"]: h["Value"] for h in sent["Headers"]} == {
            "List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        assert sent["TrackOpens"] is True and sent["TrackLinks"] == "HtmlAndText"  # MKT_EMAIL_TRACKING_DEFAULT
    assert sorted(acts.values()) == sorted(ids)


def test_tracking_is_chosen_per_campaign(db, monkeypatch):
    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake, MKT_EMAIL_TRACKING_DEFAULT="false", MKT_SEND_CAP_24H="5"), \
            running_worker():
        people(1)
        launch()  # the account's default: off
        with unit_of_work() as uow:
            view = drafting.draft_campaign(uow.session, MARKETER, name="Tracked", channel="email", filter=None,
                                           subject="Hi", body_text="Hello", track_opens=False, track_links=True)
            assert view.tracking == {"track_opens": False, "track_links": True}
        with unit_of_work() as uow:
            tc.launch_campaign(uow.session, MARKETER, view.id)
        drain()
    first, second = fake.delivered
    assert (first["TrackOpens"], first["TrackLinks"]) == (False, "None")
    assert (second["TrackOpens"], second["TrackLinks"]) == (False, "HtmlAndText")


AUTH = {"Authorization": "Basic " + base64.b64encode(b"pm:pm-pass").decode()}


def test_clicks_are_counted_per_link_and_person(db, monkeypatch):
    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake), running_worker():
        people(3)
        view = launch()
        from webhooks.app import create_app

        client = TestClient(create_app())
        clicks = [(0, "https://cal.example/acme", "2026-05-19T16:00:00Z"),
                  (0, "https://cal.example/acme", "2026-05-19T15:00:00Z"),  # same person again, earlier: one
                  (1, "https://cal.example/acme", "2026-05-19T16:05:00Z"),
                  (1, "https://acme.example/pricing", "2026-05-19T16:06:00Z")]
        for n, (who, url, at) in enumerate(clicks):
            sent = fake.delivered[who]
            event = {"RecordType": "Click", "ClickLocation": "HTML", "OriginalLink": url, "ReceivedAt": at,
                     "MessageID": sent["MessageID"], "Recipient": sent["To"], "Metadata": sent["Metadata"],
                     "n": n}
            assert client.post("/webhooks/postmark", content=json.dumps(event), headers=AUTH).status_code == 200
        assert client.post("/webhooks/postmark", content=json.dumps(event), headers=AUTH).json() == {
            "status": "duplicate"}
        drain()
    with unit_of_work() as uow:
        progress = tc.campaign_status(uow.session, MARKETER, view.id)
    assert progress.link_clicks == {"https://cal.example/acme": 2, "https://acme.example/pricing": 1}
    from agent.tools.records import campaign_markdown
    from tools.campaigns.views import campaign_card

    with unit_of_work() as uow:
        card = campaign_card(uow.session, MARKETER, view.id)
    assert card.link_clicks == progress.link_clicks
    assert "People who clicked each link:**\n- https://cal.example/acme: 2\n- https://acme.example/pricing: 1" \
        in campaign_markdown(card)
    assert progress.counts.get("clicked") == 2


def test_preview_shows_the_email_and_send_me_a_test_sends_it_to_me(db, monkeypatch):
    fake = FakePostmark()
    with fakes(monkeypatch, postmark=fake), running_worker():
        people(2)
        with unit_of_work() as uow:
            view = drafting.draft_campaign(uow.session, MARKETER, name="Preview", channel="email", filter=None,
                                           subject="Hi {first_name|there}", body_text=BODY + "\n\n![](https://acme.example/a.png)")
            assert any("alt text" in w for w in view.warnings)
        with unit_of_work() as uow:
            preview = tc.preview_campaign(uow.session, MARKETER, view.id)
        sample = preview.samples[0]
        assert sample.html.startswith("<!DOCTYPE html>") and "Spring is here, Ana" in sample.html
        assert sample.body.startswith("## Spring is here, Ana") and "<" not in sample.body.split("--")[0]
        assert any("alt text" in w for w in preview.warnings)
        with unit_of_work() as uow:
            result = tc.send_test(uow.session, MARKETER, view.id)
        drain()
    assert result.to == MARKETER.email and result.html == sample.html
    [sent] = fake.delivered
    assert sent["To"] == MARKETER.email and sent["Subject"] == "Hi Ana"
    assert "Spring is here, Ana" in sent["HtmlBody"] and sent["TextBody"].startswith("## Spring is here, Ana")
