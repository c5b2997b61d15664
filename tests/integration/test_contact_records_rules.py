"""The rules of tools/contacts/records.py stated with their answers (issue 24: mutation survivors): each tool checks
the actor's role and names what it refused; a contact is found by its email first, then by its phone read in the
account's region (the oldest of several wins); a new contact is created normalised, with its zone, the suppressions
on its addresses applied and a "created" history entry; searches sort newest first, break ties by id in the sort's
direction and page 25 at a time (1 to 500); bulk updates page through every match once and record who did it;
exports are UTF-8 whatever the machine's locale, in id order, with their progress and attributes as written here.
An edit never lifts an opt-out: the opt-out fields are refused, a suppressed new address opts the contact out.
Every expected value is written out in the test."""

from __future__ import annotations

import csv
import locale
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from db.models import Contact, ContactEvent
from domain.roles import PermissionDenied, Role
from tests.factories import create_contact
from tools.contacts.optouts import opt_out
from tools.contacts.records import (
    AmbiguousContact,
    add_tags,
    bulk_update,
    count_contacts,
    export_contacts,
    find_by_address,
    get_or_create,
    query_contacts,
    remove_tags,
    resolve_contact,
    update_contact,
)
from tools.users import Actor

MARKETER = Actor("m@example.com", Role.MARKETER)
REVIEWER = Actor("r@example.com", Role.REVIEWER)
STRANGER = Actor("s@example.com", "guest")  # a role the app does not know (a stale user row): refused everything
NOBODY = {"field": "email", "op": "eq", "value": "nobody@x.com"}


def history(session):
    session.flush()
    return [tuple(r) for r in session.execute(sa.select(
        ContactEvent.contact_id, ContactEvent.kind, ContactEvent.source, ContactEvent.actor, ContactEvent.field,
        ContactEvent.before, ContactEvent.after).order_by(ContactEvent.id))]


def emails(page):
    return [c.email for c in page.items]


# --- roles ----------------------------------------------------------------------------------------------------

def test_a_reviewer_cannot_write_and_each_tool_names_what_was_refused(session, tmp_path):
    jane = create_contact(session, email="jane@x.com", city="Austin", tags=["vip"], attributes={})

    def refused(call):
        with pytest.raises(PermissionDenied) as info:
            call()
        return str(info.value)

    need_write = "it needs the 'contacts:write' permission"
    assert refused(lambda: update_contact(session, REVIEWER, "jane@x.com", {"city": "Dallas"})) == (
        f"your role (reviewer) does not allow to update contacts: {need_write}")
    assert refused(lambda: add_tags(session, REVIEWER, "jane@x.com", "new")) == (
        f"your role (reviewer) does not allow to update contacts: {need_write}")
    assert refused(lambda: remove_tags(session, REVIEWER, "jane@x.com", "vip")) == (
        f"your role (reviewer) does not allow to update contacts: {need_write}")
    assert refused(lambda: bulk_update(session, REVIEWER, None, set={"city": "Dallas"})) == (
        f"your role (reviewer) does not allow to update contacts in bulk: {need_write}")
    session.refresh(jane)
    assert (jane.city, jane.tags) == ("Austin", ["vip"]) and history(session) == []

    need_read = "it needs the 'contacts:read' permission"
    assert refused(lambda: query_contacts(session, STRANGER, None)) == (
        f"your role (guest) does not allow to search contacts: {need_read}")
    assert refused(lambda: count_contacts(session, STRANGER, None)) == (
        f"your role (guest) does not allow to count contacts: {need_read}")
    path = tmp_path / "out.csv"
    assert refused(lambda: export_contacts(session, STRANGER, None, path)) == (
        f"your role (guest) does not allow to export contacts: {need_read}")
    assert not path.exists()

    assert emails(query_contacts(session, REVIEWER, None)) == ["jane@x.com"]
    assert count_contacts(session, REVIEWER, None) == 1
    assert export_contacts(session, REVIEWER, None, path) == 1


# --- finding and creating by address --------------------------------------------------------------------------

def test_an_address_finds_by_email_first_then_by_phone(session):
    ann = create_contact(session, email="ann@x.com", phone="+15125550101", tags=[], attributes={})
    bob = create_contact(session, phone="+15125550102", tags=[], attributes={})
    assert find_by_address(session, email=" ANN@X.com ") is ann
    assert find_by_address(session, email="ann@x.com", phone="(512) 555-0102") is ann
    assert find_by_address(session, email="ghost@x.com", phone="(512) 555-0102") is bob
    assert find_by_address(session, phone="512.555.0101") is ann
    assert find_by_address(session, email="ghost@x.com") is None
    assert find_by_address(session, phone="(512) 555-0199") is None
    assert find_by_address(session, email="not an email", phone="12") is None
    assert find_by_address(session) is None


def test_the_oldest_contact_with_a_phone_wins_even_after_an_edit(session):
    create_contact(session, email="other@x.com", phone="+15125550100", tags=[], attributes={})
    first = create_contact(session, email="first@x.com", phone="+15125550103", tags=[], attributes={})
    create_contact(session, email="second@x.com", phone="+15125550103", tags=[], attributes={})
    update_contact(session, MARKETER, "first@x.com", {"city": "Austin"})  # its row is rewritten (PostgreSQL)
    session.flush()
    assert find_by_address(session, phone="(512) 555-0103") is first


def test_a_national_phone_is_found_in_the_accounts_region(session, italian_account):
    luca = create_contact(session, email="luca@x.it", phone="+393123456789", tags=[], attributes={})
    create_contact(session, email="chicago@x.com", phone="+13123456789", tags=[], attributes={})
    assert find_by_address(session, phone="312 345 6789") is luca
    assert get_or_create(session, phone="312 345 6789") == (luca, False)


def _row(contact):
    return (contact.email, contact.phone, contact.first_name, contact.last_name, contact.source, contact.timezone,
            contact.tags, contact.attributes, contact.opted_out_email, contact.opted_out_sms)


def test_a_new_contact_is_created_normalised_with_its_zone_and_history(session):
    ann, created = get_or_create(session, email=" Ann@X.com ", phone="(512) 555-0100", first_name="Ann",
                                 last_name="Lee")
    assert created is True
    session.expire_all()
    assert _row(session.get(Contact, ann.id)) == (
        "ann@x.com", "+15125550100", "Ann", "Lee", "manual", "America/Chicago", [], {}, False, False)
    bob, created = get_or_create(session, email="bob@x.com", source="api", actor="m@example.com")
    assert created is True
    session.expire_all()
    assert _row(session.get(Contact, bob.id)) == (
        "bob@x.com", None, None, None, "api", None, [], {}, False, False)
    assert history(session) == [(ann.id, "created", "manual", None, None, None, None),
                                (bob.id, "created", "api", "m@example.com", None, None, None)]


def test_a_known_address_returns_the_contact_without_creating_one(session):
    ann = create_contact(session, email="ann@x.com", phone="+15125550101", tags=[], attributes={})
    bob = create_contact(session, phone="+15125550102", tags=[], attributes={})
    assert get_or_create(session, email="ANN@x.com", phone="(512) 555-0102", first_name="Other") == (ann, False)
    assert get_or_create(session, phone="(512) 555-0102") == (bob, False)
    assert get_or_create(session, email="ghost@x.com", phone="512-555-0101") == (ann, False)
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 2 and history(session) == []
    assert ann.first_name is None


def test_a_contact_needs_a_valid_email_or_phone(session):
    for email, phone in ((None, None), ("not an email", None), (None, "12"), ("", "")):
        with pytest.raises(ValueError) as info:
            get_or_create(session, email=email, phone=phone)
        assert str(info.value) == "a contact needs a valid email or phone"
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_new_contact_with_suppressed_addresses_starts_opted_out_on_those_channels_only(session):
    for phone in ("+15125550100", "+15125550101"):
        opt_out(session, "sms", phone)
    for email in ("gone@x.com", "left@x.com"):
        opt_out(session, "email", email)
    both, _ = get_or_create(session, email="GONE@x.com", phone="(512) 555-0100")
    sms_only, _ = get_or_create(session, email="fine@x.com", phone="512-555-0101")
    email_only, _ = get_or_create(session, email="left@x.com", phone="+15125550104")
    neither, _ = get_or_create(session, email="ok@x.com", phone="+15125550105")
    session.flush()
    session.expire_all()
    assert [(c.opted_out_email, c.opted_out_sms) for c in (both, sms_only, email_only, neither)] == [
        (True, True), (False, True), (True, False), (False, False)]


def test_an_edit_never_lifts_an_opt_out(session, monkeypatch):
    from tools.contacts import changes

    monkeypatch.setattr(changes, "utcnow", lambda: datetime(2026, 6, 1, 12, tzinfo=UTC))
    jane = create_contact(session, email="jane@x.com", phone="+15125550100", tags=[], attributes={})
    opt_out(session, "sms", "+15125550100")
    opt_out(session, "email", "gone@x.com")
    session.refresh(jane)
    assert (jane.opted_out_sms, jane.opted_out_email) == (True, False)
    moved = update_contact(session, MARKETER, "jane@x.com", {"phone": "512-555-0101", "first_name": "Jane"})
    assert moved.notes == [] and (moved.contact.phone, moved.contact.opted_out_sms) == ("+15125550101", True)
    gone = update_contact(session, MARKETER, "jane@x.com", {"email": "GONE@x.com"})
    assert gone.notes == ["gone@x.com is suppressed: the contact stays opted out of email"]
    assert (jane.opted_out_email, jane.opted_out_email_at, jane.opted_out_email_reason) == (
        True, datetime(2026, 6, 1, 12, tzinfo=UTC), "suppressed address")
    for field in ("opted_out_sms", "opted_out_email", "opted_out", "email_status"):
        with pytest.raises(ValueError) as one:
            update_contact(session, MARKETER, "gone@x.com", {field: False})
        with pytest.raises(ValueError) as many:
            bulk_update(session, MARKETER, None, set={field: False})
        for info in (one, many):
            assert str(info.value) == (f"{field} is not edited directly: use the opt-out / opt-in tool "
                                       "(it keeps suppressions)")
    session.refresh(jane)
    assert (jane.opted_out_sms, jane.opted_out_email, jane.email_status) == (True, True, "ok")


# --- search ---------------------------------------------------------------------------------------------------

def _dated(session):
    for name, day, city in (("a", 1, "Austin"), ("b", 3, "Dallas"), ("c", 2, "Austin"), ("d", 3, "Dallas")):
        create_contact(session, email=f"{name}@x.com", city=city, created_at=datetime(2026, 3, day, 12, tzinfo=UTC),
                       tags=[], attributes={})
    session.flush()


def test_searches_sort_newest_first_by_default_and_break_ties_by_id_the_same_way(session):
    _dated(session)
    newest = ["d@x.com", "b@x.com", "c@x.com", "a@x.com"]
    assert emails(query_contacts(session, REVIEWER, None)) == newest
    assert emails(query_contacts(session, REVIEWER, None, sort="")) == newest
    assert emails(query_contacts(session, REVIEWER, None, sort=None)) == newest
    assert emails(query_contacts(session, REVIEWER, None, sort=" created_at ")) == list(reversed(newest))
    assert emails(query_contacts(session, REVIEWER, None, sort="city")) == ["a@x.com", "c@x.com", "b@x.com", "d@x.com"]
    assert emails(query_contacts(session, REVIEWER, None, sort="+city")) == ["a@x.com", "c@x.com", "b@x.com", "d@x.com"]
    assert emails(query_contacts(session, REVIEWER, None, sort="-city")) == ["d@x.com", "b@x.com", "c@x.com", "a@x.com"]


@pytest.mark.parametrize("sort", ["Xemail", "password", "-", "email desc"])
def test_only_the_listed_fields_sort(session, sort):
    with pytest.raises(ValueError) as info:
        query_contacts(session, REVIEWER, None, sort=sort)
    name = sort.lstrip("-+")
    assert str(info.value) == (f"cannot sort by {name!r}: use one of id, created_at, updated_at, email, first_name, "
                               "last_name, company, city, country (prefix - for descending)")


def test_pages_hold_25_by_default_and_1_to_500_when_asked(session):
    for i in range(26):
        create_contact(session, email=f"p{i:02d}@x.com", tags=[], attributes={})
    session.flush()
    first = query_contacts(session, REVIEWER, None, sort="email")
    assert (len(first.items), first.total, first.page, first.page_size, first.pages) == (25, 26, 1, 25, 2)
    second = query_contacts(session, REVIEWER, None, page=2, sort="email")
    assert (emails(second), second.total, second.page, second.pages) == (["p25@x.com"], 26, 2, 2)
    one = query_contacts(session, REVIEWER, None, page=3, page_size=1, sort="email")
    assert (emails(one), one.page, one.page_size, one.pages) == (["p02@x.com"], 3, 1, 26)
    most = query_contacts(session, REVIEWER, None, page_size=500)
    assert (len(most.items), most.pages) == (26, 1)
    for page, size in ((0, 25), (1, 0), (1, 501)):
        with pytest.raises(ValueError) as info:
            query_contacts(session, REVIEWER, None, page=page, page_size=size)
        assert str(info.value) == "page starts at 1 and page_size is 1 to 500"


def test_no_match_is_zero_contacts_on_one_page(session):
    create_contact(session, email="a@x.com", tags=[], attributes={})
    page = query_contacts(session, REVIEWER, NOBODY)
    assert (page.items, page.total, page.page, page.pages) == ([], 0, 1, 1)
    assert count_contacts(session, REVIEWER, NOBODY) == 0
    assert count_contacts(session, REVIEWER, None) == 1


def test_several_matches_name_each_candidate(session):
    sam = create_contact(session, email="sam1@x.com", first_name="Sam", last_name="Lee", tags=[], attributes={})
    park = create_contact(session, phone="+15125550100", first_name="Sam", last_name="Park", tags=[], attributes={})
    with pytest.raises(AmbiguousContact) as info:
        resolve_contact(session, "sam")
    assert info.value.ref == "sam" and [c.id for c in info.value.candidates] == [sam.id, park.id]
    assert str(info.value) == (f"2 contacts match 'sam': #{sam.id} Sam Lee <sam1@x.com>; "
                               f"#{park.id} Sam Park <+15125550100>. Say which one (by id or email).")


# --- bulk updates ---------------------------------------------------------------------------------------------

def test_a_bulk_update_records_who_changed_what_from_the_chat(session):
    a = create_contact(session, email="a@x.com", city="Dallas", tags=[], attributes={})
    create_contact(session, email="b@x.com", city="Austin", tags=[], attributes={})
    c = create_contact(session, email="c@x.com", city="Dallas", region="TX", tags=["tx"], attributes={})
    dallas = {"field": "city", "op": "eq", "value": "dallas"}
    assert bulk_update(session, MARKETER, dallas, set={"region": "TX"}, add_tags="tx") == 1  # c had both already
    assert history(session) == [(a.id, "field_changed", "chat", "m@example.com", "region", None, "TX"),
                                (a.id, "field_changed", "chat", "m@example.com", "tags", "", "tx")]
    assert bulk_update(session, MARKETER, dallas, remove_tags=["TX"], source="api") == 2
    assert history(session)[2:] == [(a.id, "field_changed", "api", "m@example.com", "tags", "tx", ""),
                                    (c.id, "field_changed", "api", "m@example.com", "tags", "tx", "")]
    for empty in ({}, {"set": {}, "add_tags": [], "remove_tags": ""}):
        with pytest.raises(ValueError) as info:
            bulk_update(session, MARKETER, dallas, **empty)
        assert str(info.value) == "nothing to change: give set, add_tags or remove_tags"


def test_a_bulk_update_past_one_batch_changes_every_contact_once(session):
    session.execute(sa.insert(Contact), [{"email": f"p{i:03d}@x.com", "tags": [], "attributes": {}}
                                         for i in range(502)])
    session.flush()
    update_contact(session, MARKETER, "p000@x.com", {"city": "Austin"})  # the first row is rewritten (PostgreSQL)
    session.flush()
    assert bulk_update(session, MARKETER, None, add_tags=["all"]) == 502
    tagged = session.scalars(sa.select(ContactEvent.contact_id).where(ContactEvent.field == "tags")).all()
    assert len(tagged) == 502 and len(set(tagged)) == 502
    assert count_contacts(session, MARKETER, {"field": "tags", "op": "has", "value": "all"}) == 502


# --- export ---------------------------------------------------------------------------------------------------

HEADER = ("id,email,phone,phone_ext,first_name,last_name,company,job_title,website,domain,city,region,postal_code,"
          "country,timezone,tags,enrichment_status,opted_out_sms,opted_out_email,email_status,source,created_at,"
          "attributes")


def test_an_export_is_utf8_in_id_order_with_attributes_as_written(session, tmp_path):
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    jose = create_contact(session, email="jose@x.com", first_name="José", tags=["café", "vip"],
                          attributes={"ville": "Montréal"}, created_at=when)
    bo = create_contact(session, email="bo@x.com", tags=[], attributes={}, created_at=when)
    update_contact(session, MARKETER, "jose@x.com", {"city": "Québec"})  # its row is rewritten (PostgreSQL)
    session.flush()
    path = tmp_path / "out.csv"
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")  # a machine whose default encoding is ASCII
    try:
        assert export_contacts(session, REVIEWER, None, path) == 2
    finally:
        locale.setlocale(locale.LC_CTYPE, before)
    assert path.read_bytes().decode("utf-8").split("\r\n") == [
        HEADER,
        f"{jose.id},jose@x.com,,,José,,,,,,Québec,,,,,café;vip,none,False,False,ok,manual,2026-03-01T12:00:00+00:00,"
        '"{""ville"": ""Montréal""}"',
        f"{bo.id},bo@x.com,,,,,,,,,,,,,,,none,False,False,ok,manual,2026-03-01T12:00:00+00:00,",
        "",
    ]


def test_an_export_reports_its_progress_against_the_total(session, tmp_path):
    for name in ("a", "b", "c"):
        create_contact(session, email=f"{name}@x.com", city="Dallas" if name != "b" else "Austin", tags=[],
                       attributes={})
    session.flush()
    calls = []
    dallas = {"field": "city", "op": "eq", "value": "dallas"}
    assert export_contacts(session, REVIEWER, dallas, tmp_path / "d.csv", progress=lambda *a: calls.append(a)) == 2
    assert calls == [(1, 2), (2, 2)]
    assert export_contacts(session, REVIEWER, None, tmp_path / "all.csv") == 3
    rows = list(csv.DictReader((tmp_path / "all.csv").open(encoding="utf-8")))
    assert [r["email"] for r in rows] == ["a@x.com", "b@x.com", "c@x.com"]
    calls.clear()
    assert export_contacts(session, REVIEWER, NOBODY, tmp_path / "none.csv", progress=lambda *a: calls.append(a)) == 0
    assert calls == [] and (tmp_path / "none.csv").read_bytes() == HEADER.encode() + b"\r\n"
