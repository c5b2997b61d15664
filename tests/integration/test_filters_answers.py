"""Filters on the contact's own columns state their answer (issue 24): for each field kind, a fixed set of cases run
on rows built to sit on the edges (a name with only a first or only a last part, accents, an address or phone stored
before normalisation, a date exactly on a bound, a single tag), and every case also negated. The rows the compiled
SQL returns must be exactly those the plain-Python reference picks (`evaluate` in
tests/integration/test_properties_filter_answers.py, written without SQL), on SQLite and on PostgreSQL.
A negated case catches a leaf that turns NULL for some row: `not` must mean exactly "the rest".
Other tables (campaigns, replies, bookings, sends): tests/integration/test_filters_answers_activity.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from db.filters import compile_filter
from db.models import Contact
from domain.filters import parse
from tests.factories import create_contact
from tests.integration.test_properties_filter_answers import NOW, evaluate

DAY = timedelta(days=1)
ON_THE_BOUND = NOW - 30 * DAY  # created exactly 30 days before NOW


def seed(session) -> dict[str, int]:
    """Seven people, each on an edge some rule must get right; returns their ids by nickname. Two have no name
    (an empty first name and no last, an empty last name and no first)."""
    people = {
        "jane": create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com",
                               phone="+15125550100", country="US", tags=["vip", "lead"], company="Acme Inc",
                               attributes={"note": "a_b"}, created_at=ON_THE_BOUND,
                               updated_at=NOW - DAY),
        "ana": create_contact(session, first_name="Ana", email="postmaster", tags=[], company="acme",  # a legacy
                              attributes={"note": "ab"}, website="https://ana.example",  # address; no last name
                              created_at=ON_THE_BOUND - timedelta(seconds=1), updated_at=NOW - 30 * DAY),
        "obrien": create_contact(session, last_name="O'Brien", phone="555", tags=["ünïcödé"], is_sample=True,
                                 company="50%Off_Co", attributes={"note": "café"},
                                 country="GB", created_at=ON_THE_BOUND + timedelta(seconds=1), updated_at=NOW),
        "luis": create_contact(session, first_name="Luis Miguel", last_name="García", email="luis@garcia.example",
                               company="50 Off", website="https://garcia.example",
                               tags=["Lead"], created_at=NOW - 400 * DAY, updated_at=NOW - 400 * DAY),
        "blank": create_contact(session, first_name="", tags=["solo"], created_at=NOW,
                                updated_at=NOW),
        "nobody": create_contact(session, last_name="", email="x@nobody.example", tags=["cafe owner"],
                                 created_at=NOW - 3 * DAY, updated_at=NOW - 3 * DAY),
        "max": create_contact(session, first_name="Max", last_name="Brien", phone="+4915112345678", country="DE",
                              attributes={"note": "été"}, tags=["lead", "café owner"],  # stored as typed, before tags were folded
                              created_at=NOW - 2 * DAY, updated_at=NOW - 2 * DAY),
    }
    session.commit()
    return {name: contact.id for name, contact in people.items()}


def id_cases(ids: dict[str, int]) -> list[dict[str, Any]]:
    return [{"field": "id", "op": "eq", "value": ids["jane"]},
            {"field": "id", "op": "neq", "value": ids["ana"]},
            {"field": "id", "op": "in", "value": [ids["jane"], ids["obrien"]]},
            {"field": "id", "op": "not_in", "value": [ids["jane"], ids["obrien"]]}]


TEXT = [
    {"field": "is_sample", "op": "eq", "value": True},
    {"field": "is_sample", "op": "eq", "value": False},
    # emails: compared as normalised (brackets, mailto:, case), a stored legacy value as typed (lower-case)
    {"field": "email", "op": "eq", "value": "<Jane@ACME.com>"},
    {"field": "email", "op": "eq", "value": "mailto:JANE@acme.com"},
    {"field": "email", "op": "eq", "value": " POSTMASTER "},
    {"field": "email", "op": "in", "value": ["PostMaster", "<luis@garcia.example>"]},
    {"field": "email", "op": "neq", "value": "<jane@acme.com>"},
    # phones: in E.164 for the account's region (US here), a stored legacy value as typed
    {"field": "phone", "op": "eq", "value": "(512) 555-0100"},
    {"field": "phone", "op": "eq", "value": " 555 "},
    {"field": "phone", "op": "in", "value": ["555", "+49 1511 2345678"]},
    {"field": "country", "op": "eq", "value": "de"},
    {"field": "country", "op": "in", "value": ["us", " gb "]},
    {"field": "country", "op": "contains", "value": "b"},
    {"field": "country", "op": "starts_with", "value": "g"},
    # free text: case-insensitive; "%" and "_" are characters, not wildcards; non-ASCII letters too
    {"field": "website", "op": "contains", "value": "GARCIA"},
    {"field": "website", "op": "starts_with", "value": "HTTPS://A"},
    {"field": "attributes.note", "op": "contains", "value": "_"},
    {"field": "attributes.note", "op": "starts_with", "value": "a_"},
    {"field": "attributes.note", "op": "contains", "value": "é"},
    {"field": "attributes.note", "op": "starts_with", "value": "é"},
    {"field": "attributes.note", "op": "neq", "value": "AB"},
    # names, places, companies, titles: accents ignored too (a stored folded copy, or folded on the fly)
    {"field": "company", "op": "eq", "value": "ACME"},
    {"field": "company", "op": "contains", "value": "inc"},
    {"field": "company", "op": "contains", "value": "_"},
    {"field": "company", "op": "starts_with", "value": "50%"},
    {"field": "company", "op": "starts_with", "value": "_"},
    {"field": "first_name", "op": "eq", "value": "luis miguel"},
    {"field": "first_name", "op": "eq", "value": "an"},
    {"field": "first_name", "op": "contains", "value": "AN"},
    {"field": "first_name", "op": "starts_with", "value": "lu"},
    {"field": "last_name", "op": "in", "value": ["doe", "garcia"]},
    {"field": "last_name", "op": "neq", "value": "garcía"},
]

NAMES = [
    {"field": "name", "op": "present"},
    {"field": "name", "op": "missing"},
    # eq: the whole name, or the first or the last part alone (accents and case ignored)
    {"field": "name", "op": "eq", "value": "jane"},
    {"field": "name", "op": "eq", "value": "DOE"},
    {"field": "name", "op": "eq", "value": "jane  doe"},
    {"field": "name", "op": "eq", "value": "o'brien"},
    {"field": "name", "op": "eq", "value": "Ana"},
    {"field": "name", "op": "eq", "value": "luis miguel garcia"},
    {"field": "name", "op": "eq", "value": "GARCÍA"},
    {"field": "name", "op": "eq", "value": "jan"},  # a beginning is not the name
    {"field": "name", "op": "eq", "value": "luis"},
    {"field": "name", "op": "eq", "value": "xxxx"},
    {"field": "name", "op": "eq", "value": "zzz"},
    # contains: anywhere in the whole name, across the space too
    {"field": "name", "op": "contains", "value": "brien"},
    {"field": "name", "op": "contains", "value": "an"},
    {"field": "name", "op": "contains", "value": "is mig"},
    {"field": "name", "op": "contains", "value": "e d"},
    {"field": "name", "op": "contains", "value": "x o'brien"},  # the missing first name is nothing, not a word
    {"field": "name", "op": "contains", "value": "na x"},  # nor the missing last name
    {"field": "name", "op": "contains", "value": "ARCí"},
    # starts_with: the first part, the last part or the whole name
    {"field": "name", "op": "starts_with", "value": "jane d"},
    {"field": "name", "op": "starts_with", "value": "do"},
    {"field": "name", "op": "starts_with", "value": "gar"},
    {"field": "name", "op": "starts_with", "value": "miguel"},
    {"field": "name", "op": "starts_with", "value": "o'b"},
    {"field": "name", "op": "starts_with", "value": "an"},
    {"field": "name", "op": "starts_with", "value": "xx"},
    {"field": "name", "op": "starts_with", "value": "max b"},
]

DATES = [
    {"field": "created_at", "op": "present"},
    {"field": "created_at", "op": "missing"},
    {"field": "created_at", "op": "within_days", "value": 30},  # from the bound on, the bound included
    {"field": "created_at", "op": "older_than_days", "value": 30},  # strictly before the bound
    {"field": "created_at", "op": "before", "value": ON_THE_BOUND.isoformat()},
    {"field": "created_at", "op": "after", "value": ON_THE_BOUND.isoformat()},
    {"field": "created_at", "op": "since", "value": ON_THE_BOUND.isoformat()},
    {"field": "created_at", "op": "before", "value": "2026-05-02"},
    {"field": "updated_at", "op": "within_days", "value": 1},
    {"field": "updated_at", "op": "older_than_days", "value": 2},
    {"field": "updated_at", "op": "before", "value": NOW.isoformat()},
]

TAGS = [
    {"field": "tags", "op": "present"},
    {"field": "tags", "op": "missing"},  # [] is no tag
    {"field": "tags", "op": "has", "value": "LEAD"},  # "Lead" stored before tags were folded counts too
    {"field": "tags", "op": "has", "value": "Ünïcödé"},
    {"field": "tags", "op": "has", "value": "sol"},  # a tag is whole, not a prefix
    {"field": "tags", "op": "has", "value": "Café  Owner"},  # several words: folded, or as typed (older rows)
    {"field": "tags", "op": "has", "value": "cafe owner"},
    {"field": "tags", "op": "has_any", "value": ["vip", "solo"]},
    {"field": "tags", "op": "has_all", "value": ["vip", "lead"]},
    {"field": "tags", "op": "has_all", "value": ["lead", "nope"]},
]


ALIKE = [  # cases that pick nobody (or everybody) on purpose
    {"field": "company", "op": "starts_with", "value": "_"}, {"field": "first_name", "op": "eq", "value": "an"},
    {"field": "name", "op": "eq", "value": "jan"}, {"field": "name", "op": "eq", "value": "luis"},
    {"field": "name", "op": "eq", "value": "xxxx"}, {"field": "name", "op": "eq", "value": "zzz"},
    {"field": "name", "op": "contains", "value": "x o'brien"}, {"field": "name", "op": "contains", "value": "na x"},
    {"field": "name", "op": "starts_with", "value": "miguel"}, {"field": "name", "op": "starts_with", "value": "xx"},
    {"field": "created_at", "op": "present"}, {"field": "created_at", "op": "missing"},
    {"field": "tags", "op": "has", "value": "sol"}, {"field": "tags", "op": "has_all", "value": ["lead", "nope"]},
]


def wrong_answers(session, cases: list[dict[str, Any]], *, region: str = "US") -> list[tuple[Any, list, list]]:
    """Each case and its negation: (filter, SQL's ids, the reference's ids) wherever the two differ."""
    rows = [dict(r._mapping) for r in session.execute(sa.select(*Contact.__table__.c))]
    wrong = []
    for raw in [*cases, *({"not": case} for case in cases)]:
        parsed = parse(raw)
        expected = {r["id"] for r in rows if evaluate(parsed, r)}
        chosen = set(session.scalars(sa.select(Contact.id).where(compile_filter(parsed, now=NOW,
                                                                                default_region=region))))
        if chosen != expected:
            wrong.append((raw, sorted(chosen), sorted(expected)))
    return wrong


def test_ids_booleans_and_normalised_text_select_what_the_reference_picks(session):
    ids = seed(session)
    assert wrong_answers(session, id_cases(ids) + TEXT) == []


def test_names_first_last_and_whole_with_accents_select_what_the_reference_picks(session):
    seed(session)
    assert wrong_answers(session, NAMES) == []


def test_dates_on_their_bounds_select_what_the_reference_picks(session):
    seed(session)
    assert wrong_answers(session, DATES) == []


def test_tags_select_what_the_reference_picks(session):
    seed(session)
    assert wrong_answers(session, TAGS) == []


def test_a_phone_is_read_in_the_accounts_region(session):
    """A national number means the account's region's: 0151 12345678 is German for a German account only."""
    ids = seed(session)
    german = {"field": "phone", "op": "eq", "value": "0151 12345678"}
    for region, expected in (("DE", {ids["max"]}), ("US", set())):
        chosen = set(session.scalars(sa.select(Contact.id).where(
            compile_filter(parse(german), now=NOW, default_region=region))))
        assert chosen == expected, region


def test_the_cases_tell_the_people_apart(session):
    """Guards the tests above against cases that pick everybody or nobody: most split the seven people."""
    ids = seed(session)
    rows = [dict(r._mapping) for r in session.execute(sa.select(*Contact.__table__.c))]
    cases = id_cases(ids) + TEXT + NAMES + DATES + TAGS
    splitting = [raw for raw in cases if 0 < sum(evaluate(parse(raw), r) for r in rows) < len(rows)]
    assert [raw for raw in cases if raw not in splitting] == ALIKE
