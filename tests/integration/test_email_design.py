"""Email templates (three starters, saved ones, put into a draft) and the brand (admins set it; every email then
carries it)."""

from __future__ import annotations

import pytest

from db import campaigns as q
from db.models import Contact
from db.session import unit_of_work
from domain.email_templates import STARTERS
from domain.roles import PermissionDenied, Role
from tests.integration.campaign_support import MARKETER, configure, people
from tests.unit.test_email_render import tags
from tools.campaigns import drafting
from tools.campaigns import email_design as ed
from tools.campaigns import lifecycle as tc
from tools.campaigns.messages import render_message
from tools.users import Actor

ADMIN = Actor("admin@example.com", Role.ADMIN)


@pytest.fixture(autouse=True)
def fresh_settings():
    """The brand applied to this process's settings by a test does not outlive it."""
    yield
    from settings import reset_settings

    reset_settings()


def draft(name="Spring", channel="email"):
    with unit_of_work() as uow:
        return drafting.draft_campaign(uow.session, MARKETER, name=name, channel=channel, filter=None, subject="Hi",
                                       body_text="Hello {first_name|there}")


def test_starters_render_cleanly_and_go_into_a_draft(db, monkeypatch):
    configure(monkeypatch)
    people(1)
    view = draft()
    with unit_of_work() as uow:
        listed = ed.list_templates(uow.session, MARKETER)
    assert [t.name for t in listed] == ["announcement", "offer", "newsletter"]
    for name in STARTERS:
        with unit_of_work() as uow:
            chosen, warnings = ed.use_template(uow.session, MARKETER, name, "spring")
        assert chosen.name == name and warnings == []
        with unit_of_work() as uow:
            campaign = tc._get(uow.session, view.id)
            assert (campaign.subject, campaign.body_text) == (STARTERS[name].subject, STARTERS[name].body)
            contact = uow.session.get(Contact, q.audience_ids(uow.session, None)[0])
            out = render_message(campaign, contact, activity_id=None)
        assert "Ana" in out.html and any(a.get("class") == "button" for t, a in tags(out.html) if t == "a")


def test_save_a_campaign_as_a_template_and_use_it_elsewhere(db, monkeypatch):
    configure(monkeypatch)
    draft()
    other = draft("Autumn")
    with unit_of_work() as uow:
        ed.save_template(uow.session, MARKETER, "Spring", "Promo")
    with unit_of_work() as uow, pytest.raises(ed.DesignError, match="exists already"):
        ed.save_template(uow.session, MARKETER, "Spring", "promo")
    with unit_of_work() as uow, pytest.raises(ed.DesignError, match="exists already"):
        ed.save_template(uow.session, MARKETER, "Spring", "Offer")  # a starter's name
    with unit_of_work() as uow:
        chosen, _ = ed.use_template(uow.session, MARKETER, "promo template", other.id)
        assert chosen.kind == "saved" and tc._get(uow.session, other.id).body_text == "Hello {first_name|there}"
        assert [t.name for t in ed.list_templates(uow.session, MARKETER)][-1] == "Promo"
    with unit_of_work() as uow, pytest.raises(ed.DesignError, match="no email template named 'gala'.*offer"):
        ed.use_template(uow.session, MARKETER, "gala", other.id)


def test_templates_only_for_email_drafts(db, monkeypatch):
    configure(monkeypatch)
    people(1)
    sms = draft("Texts", "sms")
    with unit_of_work() as uow, pytest.raises(ed.DesignError, match="sms campaign"):
        ed.use_template(uow.session, MARKETER, "offer", sms.id)
    view = draft()
    with unit_of_work() as uow:
        tc.launch_campaign(uow.session, MARKETER, view.id)
    with unit_of_work() as uow, pytest.raises(ed.DesignError, match="only a draft"):
        ed.use_template(uow.session, MARKETER, "offer", view.id)


def test_the_brand_is_set_by_admins_and_every_email_carries_it(db, monkeypatch):
    configure(monkeypatch)
    people(1)
    view = draft()
    with unit_of_work() as uow, pytest.raises(PermissionDenied):
        ed.set_brand(uow.session, MARKETER, accent_color="#e11d48")
    for bad in ({"accent_color": "red"}, {"logo_url": "http://acme.example/logo.png"}, {"logo_url": "/logo.png"}, {}):
        with unit_of_work() as uow, pytest.raises(ed.DesignError):
            ed.set_brand(uow.session, ADMIN, **bad)
    with unit_of_work() as uow:
        brand = ed.set_brand(uow.session, ADMIN, name="Acme Roofing", logo_url="https://acme.example/logo.png",
                             accent_color="#e11d48")
    assert (brand.name, brand.logo_url, brand.accent_color) == ("Acme Roofing", "https://acme.example/logo.png",
                                                                "#e11d48")
    with unit_of_work() as uow:
        tc.preview_campaign(uow.session, MARKETER, view.id)  # applies the stored brand, as every send path does
        campaign = tc._get(uow.session, view.id)
        contact = uow.session.get(Contact, q.audience_ids(uow.session, None)[0])
        html = render_message(campaign, contact, activity_id=None).html
    logo = [a for t, a in tags(html) if t == "img"]
    assert logo and logo[0]["src"] == "https://acme.example/logo.png" and logo[0]["alt"] == "Acme Roofing"
    assert "#e11d48" in html
    monkeypatch.setenv("MKT_BRAND_ACCENT_COLOR", "#111111")
    configure(monkeypatch)
    with unit_of_work() as uow:
        brand = ed.set_brand(uow.session, ADMIN, accent_color="#222222")
    assert brand.accent_color == "#111111" and "MKT_BRAND_ACCENT_COLOR" in brand.notes[0]
