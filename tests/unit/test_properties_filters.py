"""The filter language, property-based (hypothesis): any JSON (as data or as text) either parses or raises
FilterError (a ValueError) with a message; every filter that parses compiles to SQL for SQLite and PostgreSQL
and round-trips through its stored form. Running them on a database: tests/integration/test_properties_filters.py.
Pure: statements are compiled, not executed."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from db.filters import compile_filter
from db.models import Contact
from domain.filters import FIELDS, OPS, FilterError, parse, to_data

FAST = settings(max_examples=200, deadline=None)
ALL_OPS = sorted({op for ops in OPS.values() for op in ops} | {"since"})

JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
                        st.integers(min_value=2**62, max_value=2**80),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                        st.sampled_from(["", " ", "2026-03-01", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00",
                                         "30", "-1", "99999999999999999999", "a\x00b", "%_\\", "vip", "sms", "Austin"]))
JSON = st.recursive(JSON_SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=20)
FIELD_NAMES = st.one_of(st.sampled_from(sorted(FIELDS)), st.text(max_size=12),
                        st.text(string.ascii_letters + " .-_\x00", max_size=70).map(lambda k: "attributes." + k))
NEAR_CONDITION = st.fixed_dictionaries({"field": FIELD_NAMES, "op": st.one_of(st.sampled_from(ALL_OPS), JSON_SCALAR)},
                                       optional={"value": JSON})
NEAR = st.recursive(NEAR_CONDITION, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.builds(lambda items: {"all": items}, st.one_of(st.lists(inner, max_size=3), JSON_SCALAR)),
    st.builds(lambda items: {"any": items}, st.lists(inner, max_size=3)),
    st.builds(lambda item: {"not": item}, inner),
    st.builds(lambda item, extra: {"not": item, **extra}, inner, st.dictionaries(st.text(max_size=5), JSON_SCALAR,
                                                                                  max_size=1))),
    max_leaves=8)

# --- valid filters, by the kind of each field ----------------------------------------------------------------------
WORD = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(str.strip)
TEXT_VALUE = st.one_of(WORD, st.sampled_from(["Austin", "%", "_", "\\", "a%b_c", "O'Brien", "jane@acme.com",
                                              "+1 512 555 0100", "us", "Ünïcödé"]),
                       st.integers(min_value=0, max_value=10**6))
DAYS = st.integers(min_value=1, max_value=36_500)
WHEN = st.one_of(st.dates().map(str),
                 st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=-5))]),
                              min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(datetime.isoformat),
                 st.sampled_from(["2026-03-01", "2026-03-01T12:00:00Z", "2026-03-01T12:00:00+02:00"]))
ID = st.one_of(st.integers(min_value=0, max_value=2**31 - 1), st.integers(min_value=0, max_value=10**6).map(str))


def _values(kind, field, op):
    if op in ("present", "missing"):
        return st.sampled_from([None, True])
    if kind == "id":
        return st.lists(ID, min_size=1, max_size=5) if op in ("in", "not_in") else ID
    if kind == "bool":
        return st.booleans()
    if kind == "channel":
        one = st.sampled_from(["sms", "email", "any", "all"])
        return st.lists(one, min_size=1, max_size=4) if op == "in" else one
    if kind == "campaign":  # a name of digits is an id, so at most 2**31 - 1 (a larger one is refused)
        one = st.one_of(st.integers(min_value=0, max_value=2**31 - 1),
                        WORD.filter(lambda w: not (w.strip().isascii() and w.strip().isdigit())
                                    or int(w) <= 2**31 - 1))
        return st.lists(one, min_size=1, max_size=4) if op == "in" else one
    if kind in ("date", "event"):
        return DAYS if op in ("within_days", "older_than_days") else WHEN
    if field == "enrichment_status":
        one = st.sampled_from(["none", "pending", "in_review", "approved", "failed"])
    else:
        one = TEXT_VALUE
    return st.lists(one, min_size=1, max_size=5) if op in ("in", "not_in", "has_any", "has_all") else one


@st.composite
def condition(draw):
    field = draw(st.one_of(st.sampled_from(sorted(FIELDS)), st.sampled_from(
        ["attributes.plan", "attributes.shoe size", "attributes.a.b", "attributes.x-1", "attributes._"])))
    kind = "text" if field.startswith("attributes.") else FIELDS[field]
    op = draw(st.sampled_from(OPS[kind] + (("since",) if kind in ("date", "event") else ())))
    node = {"field": field, "op": op}
    value = draw(_values(kind, field, op))
    if value is not None:
        node["value"] = value
    return node


VALID = st.recursive(condition(), lambda inner: st.one_of(
    st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
    st.builds(lambda item: {"not": item}, inner),
    st.lists(inner, min_size=1, max_size=3)), max_leaves=10)


def _compiles(parsed):
    where = compile_filter(parsed, default_region="US")
    stmt = sa.select(Contact.id).where(where)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert "SELECT" in str(stmt.compile(dialect=dialect))


def _parse_or_filter_error(raw):
    try:
        return parse(raw), None
    except FilterError as exc:
        assert str(exc), "a FilterError must say what is wrong"
        return None, exc


@FAST
@given(JSON)
@example("[" * 100_000)  # deeper than Python's recursion limit as JSON text
@example({"field": "created_at", "op": "before", "value": "0001-01-01T00:00:00+01:00"})  # before year 1 in UTC
@example({"field": "replied", "op": "after", "value": "9999-12-31T23:59:59-05:00"})  # after year 9999 in UTC
@example({"field": "id", "op": "eq", "value": "99999999999999999999"})  # not an id
@example({"field": "id", "op": "in", "value": [2**31]})  # beyond an INTEGER column
@example({"field": "contacted_in_campaign", "op": "in", "value": [2**70]})
@example({"field": "city", "op": "eq", "value": "Aus\x00tin"})  # PostgreSQL refuses NUL in text
def test_any_json_data_parses_or_raises_filter_error(raw):
    parsed, _ = _parse_or_filter_error(raw)
    if parsed is not None:
        _compiles(parsed)


@FAST
@given(st.one_of(st.text(max_size=60), JSON.map(json.dumps)))
@example('{"field": "city", "op": "eq", "value": "Austin"')
@example("[" * 100_000)
@example("1e999999")
def test_any_json_text_parses_or_raises_filter_error(text):
    parsed, _ = _parse_or_filter_error(text)
    if parsed is not None:
        _compiles(parsed)


@FAST
@given(NEAR)
def test_filters_that_are_almost_right_parse_or_name_the_problem(raw):
    parsed, _ = _parse_or_filter_error(raw)
    if parsed is not None:
        _compiles(parsed)


@FAST
@given(VALID)
def test_valid_filters_parse_compile_and_round_trip_through_their_stored_form(raw):
    parsed = parse(raw)
    assert parsed is not None
    _compiles(parsed)
    stored = to_data(parsed)
    assert parse(stored) == parsed
    assert parse(json.dumps(stored)) == parsed
