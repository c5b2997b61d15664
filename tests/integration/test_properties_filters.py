"""The filter language on the real database, property-based (hypothesis): any JSON either raises FilterError or
runs; valid filters run, `not` selects exactly the other contacts (every leaf is true or false, never NULL),
`all` is the intersection and `any` the union. The contacts are seeded once per test and only read."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from db.filters import compile_filter
from db.models import Contact
from domain.filters import FilterError, parse
from tests.factories import create_contact
from tests.unit.test_properties_filters import JSON, NEAR, VALID

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def seed(session):
    create_contact(session, first_name="Jane", last_name="Doe", email="jane@acme.com", phone="+15125550100",
                   city="Austin", country="US", tags=["vip", "lead"], attributes={"plan": "pro", "shoe size": 42})
    create_contact(session, first_name="Ana", email="ana@x.io", city="austin", tags=[], attributes={},
                   opted_out_sms=True, enrichment_status="approved")
    create_contact(session, last_name="O'Brien", phone="+442071838750", company="50% Off_Co\\", tags=["Ünïcödé"],
                   attributes={"plan": None, "a.b": "x"}, opted_out_email=True, is_sample=True)
    create_contact(session, email="nobody@example.org", tags=["lead"], attributes={"x-1": ["a", 1]})
    session.commit()


def ids(session, parsed):
    stmt = sa.select(Contact.id).where(compile_filter(parsed, default_region="US"))
    return set(session.scalars(stmt))


@SLOW
@given(VALID)
def test_valid_filters_run_and_not_all_any_mean_what_they_say(session, raw):
    if not session.scalar(sa.select(sa.func.count()).select_from(Contact)):
        seed(session)
    everyone = ids(session, None)
    parsed = parse(raw)
    chosen = ids(session, parsed)
    assert chosen <= everyone
    assert ids(session, parse({"not": raw})) == everyone - chosen
    other = parse({"field": "tags", "op": "has", "value": "lead"})
    assert ids(session, parse({"all": [raw, {"field": "tags", "op": "has", "value": "lead"}]})) == chosen & ids(
        session, other)
    assert ids(session, parse({"any": [raw, {"field": "tags", "op": "has", "value": "lead"}]})) == chosen | ids(
        session, other)


@SLOW
@given(st.one_of(JSON, NEAR))
@example({"field": "id", "op": "eq", "value": "99999999999999999999"})  # beyond any id
@example({"field": "id", "op": "neq", "value": 2**31})  # beyond an INTEGER column on PostgreSQL
@example({"field": "contacted_in_campaign", "op": "in", "value": [2**31, "x"]})
@example({"field": "contacted_in_campaign", "op": "eq", "value": "99999999999999999999"})
@example({"field": "city", "op": "eq", "value": "Aus\x00tin"})  # PostgreSQL refuses NUL in text
@example({"field": "tags", "op": "has_any", "value": ["a\x00"]})
@example({"field": "company", "op": "contains", "value": "50%"})
def test_any_json_filter_runs_or_raises_filter_error(session, raw):
    if not session.scalar(sa.select(sa.func.count()).select_from(Contact)):
        seed(session)
    try:
        parsed = parse(raw)
    except FilterError:
        return
    ids(session, parsed)
