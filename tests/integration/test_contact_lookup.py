"""resolve_contact: a contact named the way people type it (name with or without accents, email, any phone
format, #id), "which one?" when several match, a reason when none does; tools.contacts.records.resolve_contact agrees."""

import pytest

from domain.folding import fold
from tests.factories import create_contact
from tools.contacts.lookup import resolve_contact
from tools.contacts.records import AmbiguousContact, ContactNotFound
from tools.contacts.records import resolve_contact as strict


@pytest.fixture
def people(session):
    out = {
        "jose": create_contact(session, email="jose@x.com", phone="+15125550100", first_name="José",
                               last_name="Martínez", tags=[]),
        "luis": create_contact(session, email="luis@x.com", first_name="Luis", last_name="García", tags=[]),
        "sam1": create_contact(session, email="sam1@x.com", first_name="Sam", last_name="Lee", tags=[]),
        "sam2": create_contact(session, email="sam2@x.com", first_name="Sam", last_name="Park", tags=[]),
    }
    session.flush()
    return out


def test_fold_is_case_and_accent_blind():
    assert fold("José MARTÍNEZ") == "jose martinez" and fold("Montréal") == "montreal" and fold(None) == ""


@pytest.mark.parametrize("ref", ["jose martinez", "José Martínez", "JOSE MARTINEZ", "  jose   martínez ",
                                 "martinez", "jose@X.com", "(512) 555-0100", "512 555 0100", "+1 512-555-0100"])
def test_one_contact_by_name_email_or_phone(session, people, ref):
    match = resolve_contact(session, ref)
    assert match.contact is not None and match.contact.id == people["jose"].id and match.error is None


def test_by_id_with_or_without_hash(session, people):
    assert resolve_contact(session, f"#{people['luis'].id}").contact.id == people["luis"].id
    assert resolve_contact(session, str(people["luis"].id)).contact.id == people["luis"].id
    assert resolve_contact(session, "#999999").error == "there is no contact #999999"


def test_several_match_gives_candidates_not_a_guess(session, people):
    match = resolve_contact(session, "sam")
    assert match.contact is None and match.ambiguous
    assert sorted(c.id for c in match.candidates) == sorted([people["sam1"].id, people["sam2"].id])
    with pytest.raises(AmbiguousContact):
        strict(session, "Sam")


def test_a_near_name_is_offered_never_taken(session, people):
    match = resolve_contact(session, "luis gar")
    assert match.contact is None and [c.id for c in match.candidates] == [people["luis"].id]
    assert "did you mean" in match.error


def test_none_says_why(session, people):
    assert resolve_contact(session, "Nobody Here").error == "no contact matches 'Nobody Here'"
    assert "no contact has the email" in resolve_contact(session, "ghost@x.com").error
    assert "not a valid email" in resolve_contact(session, "a@").error
    assert resolve_contact(session, "").error.startswith("say which contact")
    with pytest.raises(ContactNotFound):
        strict(session, "Nobody Here")
    assert strict(session, "luis garcia").id == people["luis"].id


def test_the_opt_out_tool_takes_a_contact_name(session, people):
    from agent.tools.contacts import OptArgs, _opt
    from tools.users import Actor

    actor = Actor("m@example.com", "marketer")
    out = _opt("out")(session, actor, OptArgs(channel="sms", address="Jose Martinez"))
    assert "Opted out +15125550100 on sms: 1 contact marked" in out.text
    session.refresh(people["jose"])
    assert people["jose"].opted_out_sms is True
    with pytest.raises(LookupError, match="has no phone number"):
        _opt("out")(session, actor, OptArgs(channel="sms", address="luis garcia"))
    with pytest.raises(LookupError, match="several contacts match 'sam'"):
        _opt("out")(session, actor, OptArgs(channel="email", address="sam"))


@pytest.mark.parametrize(("flt", "expected"), [
    ({"field": "city", "op": "eq", "value": "Montreal"}, {"ana", "bo"}),
    ({"field": "city", "op": "eq", "value": "MONTRÉAL"}, {"ana", "bo"}),
    ({"field": "city", "op": "in", "value": ["montreal", "Quebec"]}, {"ana", "bo", "cy"}),
    ({"field": "city", "op": "neq", "value": "montreal"}, {"cy", "di"}),
    ({"field": "region", "op": "eq", "value": "quebec"}, {"ana", "bo", "cy"}),
    ({"field": "company", "op": "contains", "value": "cafe"}, {"ana"}),
    ({"field": "name", "op": "eq", "value": "jose martinez"}, {"ana"}),
    ({"field": "name", "op": "contains", "value": "MARTIN"}, {"ana"}),
    ({"field": "name", "op": "starts_with", "value": "zoe"}, {"bo"}),
    ({"field": "first_name", "op": "eq", "value": "Zoe"}, {"bo"}),
    ({"field": "city", "op": "starts_with", "value": "mont"}, {"ana", "bo"}),
    ({"field": "city", "op": "eq", "value": "Mont.eal"}, set()),  # no regex leaks from a value
])
def test_filters_ignore_accents_and_case_on_names_cities_regions_companies(session, flt, expected):
    from tools.contacts.records import query_contacts
    from tools.users import Actor

    for key, first, last, city, region, company in (
            ("ana", "José", "Martínez", "Montréal", "Québec", "Café Soleil"),
            ("bo", "Zoé", "Roy", "montreal", "QUEBEC", None),
            ("cy", "Al", "Ng", "Québec", "Québec", "Acme"),
            ("di", "Di", "Li", "Austin", "TX", "Acme")):
        create_contact(session, email=f"{key}@x.com", first_name=first, last_name=last, city=city, region=region,
                       company=company, tags=[])
    page = query_contacts(session, Actor("m@example.com", "marketer"), flt, page_size=50)
    assert {c.email.split("@")[0] for c in page.items} == expected


def test_tags_are_stored_folded_and_match_however_they_are_typed(session):
    from domain.imports import normalise_tags
    from tools.contacts.records import bulk_update, query_contacts, update_contact
    from tools.users import Actor

    actor = Actor("m@example.com", "marketer")
    assert normalise_tags("Café, CRÈME brûlée;vip") == ["cafe", "creme brulee", "vip"]
    new = create_contact(session, email="new@x.com", tags=[])
    old = create_contact(session, email="old@x.com", tags=["crème"])  # stored before tags were folded
    update_contact(session, actor, "new@x.com", {"add_tags": ["Café"]})
    assert new.tags == ["cafe"]

    def who(value):
        return {c.email for c in query_contacts(session, actor, {"field": "tags", "op": "has", "value": value}).items}
    assert who("café") == who("CAFE") == {"new@x.com"}
    assert who("crème") == {"old@x.com"}
    bulk_update(session, actor, {"field": "email", "op": "eq", "value": "old@x.com"}, remove_tags=["creme"])
    assert old.tags == []
