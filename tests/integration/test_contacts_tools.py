"""Contact tools: search with a page and a total, update by id/email/phone/name with history, bulk update,
tags, export (formula-safe), roles."""

import csv

import pytest
import sqlalchemy as sa

from db.models import ContactEvent
from domain.filters import FilterError
from domain.roles import PermissionDenied, Role
from tests.factories import create_contact
from tools.contacts.optouts import opt_out
from tools.contacts.records import (
    AmbiguousContact,
    ContactNotFound,
    add_tags,
    bulk_update,
    count_contacts,
    export_contacts,
    query_contacts,
    remove_tags,
    update_contact,
)
from tools.users import Actor

MARKETER = Actor("m@example.com", Role.MARKETER)
REVIEWER = Actor("r@example.com", Role.REVIEWER)


@pytest.fixture
def crowd(session):
    for i in range(30):
        create_contact(session, email=f"p{i:02d}@example.com", first_name=f"P{i:02d}", city="Austin" if i % 2 else "Dallas",
                       tags=["odd"] if i % 2 else [], attributes={})
    session.flush()


def test_query_returns_a_sorted_page_and_the_total(session, crowd):
    page = query_contacts(session, REVIEWER, {"field": "city", "op": "eq", "value": "austin"}, page=2, page_size=10,
                          sort="email")
    assert page.total == 15 and page.pages == 2
    assert [c.email for c in page.items] == [f"p{i:02d}@example.com" for i in range(21, 30, 2)]
    newest = query_contacts(session, REVIEWER, None, page_size=3, sort="-id")
    assert [c.email for c in newest.items] == ["p29@example.com", "p28@example.com", "p27@example.com"]
    assert count_contacts(session, REVIEWER, {"field": "tags", "op": "has", "value": "odd"}) == 15


def test_bad_queries_are_clear(session, crowd):
    with pytest.raises(FilterError, match="unknown field 'colour'"):
        query_contacts(session, REVIEWER, {"field": "colour", "op": "eq", "value": "red"})
    with pytest.raises(ValueError, match="cannot sort by 'password'"):
        query_contacts(session, REVIEWER, None, sort="password")
    with pytest.raises(ValueError, match="page_size is 1 to 500"):
        query_contacts(session, REVIEWER, None, page_size=10_000)


def test_update_by_email_records_before_and_after(session):
    jane = create_contact(session, email="jane@acme.com", first_name="Jane", tags=[], attributes={})
    result = update_contact(session, MARKETER, "JANE@acme.com", {"city": " Austin ", "website": "www.Acme.com/",
                                                                 "attributes.plan": "gold"})
    assert result.changed["city"] == (None, "Austin")
    assert result.contact.website == "https://www.acme.com" and result.contact.attributes == {"plan": "gold"}
    events = session.scalars(sa.select(ContactEvent).where(ContactEvent.contact_id == jane.id)
                             .order_by(ContactEvent.field)).all()
    assert [(e.kind, e.field, e.before, e.after, e.actor) for e in events] == [
        ("field_changed", "attributes", "{}", '{"plan": "gold"}', "m@example.com"),
        ("field_changed", "city", None, "Austin", "m@example.com"),
        ("field_changed", "domain", None, "acme.com", "m@example.com"),
        ("field_changed", "website", None, "https://www.acme.com", "m@example.com"),
    ]
    again = update_contact(session, MARKETER, str(jane.id), {"city": "Austin"})
    assert again.changed == {}


def test_update_by_phone_and_by_name_and_ambiguity(session):
    a = create_contact(session, email="a@x.com", phone="+15125550100", first_name="Sam", last_name="Lee", tags=[])
    create_contact(session, email="b@x.com", first_name="Sam", last_name="Park", tags=[])
    assert update_contact(session, MARKETER, "(512) 555-0100", {"company": "Acme"}).contact.id == a.id
    assert update_contact(session, MARKETER, "sam lee", {"job_title": "CTO"}).contact.id == a.id
    with pytest.raises(AmbiguousContact) as info:
        update_contact(session, MARKETER, "Sam", {"company": "X"})
    assert len(info.value.candidates) == 2 and "Say which one" in str(info.value)
    with pytest.raises(ContactNotFound):
        update_contact(session, MARKETER, "Nobody Here", {"company": "X"})


def test_update_refuses_bad_values_and_opt_out_fields(session):
    create_contact(session, email="a@x.com", tags=[])
    create_contact(session, email="b@x.com", tags=[])
    with pytest.raises(ValueError, match="invalid email"):
        update_contact(session, MARKETER, "a@x.com", {"email": "not-an-email"})
    with pytest.raises(ValueError, match=r"another contact \(#\d+\) already has the email b@x.com"):
        update_contact(session, MARKETER, "a@x.com", {"email": "B@x.com"})
    with pytest.raises(ValueError, match="use the opt-out"):
        update_contact(session, MARKETER, "a@x.com", {"opted_out_sms": False})
    with pytest.raises(ValueError, match="cannot change 'id'"):
        update_contact(session, MARKETER, "a@x.com", {"id": 5})
    with pytest.raises(PermissionDenied, match="contacts:write"):
        update_contact(session, REVIEWER, "a@x.com", {"city": "X"})


def test_a_suppressed_new_phone_keeps_the_contact_opted_out(session):
    create_contact(session, email="a@x.com", tags=[])
    opt_out(session, "sms", "+15125550199")
    result = update_contact(session, MARKETER, "a@x.com", {"phone": "512-555-0199"})
    assert result.contact.opted_out_sms and "suppressed" in result.notes[0]


def test_tags_add_remove_and_bulk_update(session, crowd):
    add_tags(session, MARKETER, "p00@example.com", "VIP, Texas")
    assert remove_tags(session, MARKETER, "p00@example.com", ["vip"]).contact.tags == ["texas"]
    changed = bulk_update(session, MARKETER, {"field": "city", "op": "eq", "value": "dallas"},
                          set={"region": "TX"}, add_tags=["texas"])
    assert changed == 15
    assert count_contacts(session, MARKETER, {"all": [{"field": "region", "op": "eq", "value": "tx"},
                                                      {"field": "tags", "op": "has", "value": "texas"}]}) == 15
    assert bulk_update(session, MARKETER, {"field": "city", "op": "eq", "value": "dallas"}, set={"region": "TX"}) == 0
    with pytest.raises(ValueError, match="cannot change 'email'"):
        bulk_update(session, MARKETER, None, set={"email": "same@x.com"})
    fields = session.scalars(sa.select(ContactEvent.field).where(ContactEvent.kind == "field_changed")).all()
    assert fields.count("region") == 15 and fields.count("tags") == 16  # p00 already had texas


def test_export_is_formula_safe_and_filtered(session, tmp_path):
    create_contact(session, email="a@x.com", first_name="=HYPERLINK(\"http://evil\")", phone="+15125550100",
                   tags=["a", "b"], attributes={"k": "v"})
    create_contact(session, email="b@x.com", first_name="Bob", tags=[], attributes={})
    path = tmp_path / "out.csv"
    assert export_contacts(session, REVIEWER, {"field": "tags", "op": "has", "value": "a"}, path) == 1
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["first_name"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["phone"] == "+15125550100" and rows[0]["tags"] == "a;b" and rows[0]["attributes"] == '{"k": "v"}'
