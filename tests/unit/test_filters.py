"""The filter language: parsing, validation messages, round trip. Pure: no database."""

from datetime import UTC, datetime

import pytest

from domain.filters import All, AnyOf, Condition, FilterError, Not, describe_fields, parse, to_data


def test_a_condition_and_combinations_parse_to_typed_nodes():
    node = parse({"all": [{"field": "city", "op": "eq", "value": "Austin"},
                          {"any": [{"field": "tags", "op": "has", "value": "vip"},
                                   {"not": {"field": "opted_out", "op": "eq", "value": "sms"}}]}]})
    assert isinstance(node, All)
    assert node.items[0] == Condition("city", "eq", "Austin")
    assert isinstance(node.items[1], AnyOf)
    assert isinstance(node.items[1].items[1], Not)


def test_json_text_a_top_level_list_and_empty_filters():
    assert parse('{"field": "email", "op": "present"}') == Condition("email", "present", None)
    assert parse([{"field": "id", "op": "eq", "value": "7"}]) == All((Condition("id", "eq", 7),))
    assert parse(None) is None and parse({}) is None and parse("  ") is None


def test_dates_become_utc_and_since_means_after():
    node = parse({"field": "replied", "op": "since", "value": "2026-03-01"})
    assert node == Condition("replied", "after", datetime(2026, 3, 1, tzinfo=UTC))
    node = parse({"field": "created_at", "op": "before", "value": "2026-03-01T12:00:00+02:00"})
    assert node.value == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    assert parse({"field": "contacted", "op": "within_days", "value": 7}).value == 7


def test_round_trip_through_to_data():
    raw = {"all": [{"field": "tags", "op": "has_any", "value": ["a", "b"]},
                   {"not": {"field": "replied", "op": "present"}},
                   {"field": "created_at", "op": "after", "value": "2026-01-01T00:00:00+00:00"}]}
    assert parse(to_data(parse(raw))) == parse(raw)


@pytest.mark.parametrize(("raw", "message"), [
    ({"field": "shoe_size", "op": "eq", "value": 42}, "unknown field 'shoe_size'"),
    ({"field": "city", "op": "has", "value": "x"}, "field 'city' does not take op 'has'; it takes: eq"),
    ({"field": "created_at", "op": "before", "value": "last tuesday"}, "field 'created_at' op 'before' takes an ISO"),
    ({"field": "replied", "op": "within_days", "value": -3}, "takes a whole number of days"),
    ({"field": "replied", "op": "within_days", "value": 100000}, "between 1 and"),
    ({"field": "opted_out", "op": "eq", "value": "fax"}, "takes one of sms, email, any, all"),
    ({"field": "opted_out_sms", "op": "eq", "value": "yes"}, "takes true or false"),
    ({"field": "enrichment_status", "op": "eq", "value": "great"}, "enrichment status is one of"),
    ({"field": "city", "op": "in", "value": []}, "non-empty list"),
    ({"field": "city", "op": "eq", "value": ""}, "non-empty text"),
    ({"field": "city", "op": "present", "value": "x"}, "takes no value"),
    ({"field": "id", "op": "eq", "value": "1; DROP TABLE contacts"}, "contact id"),
    ({"field": "attributes.a;b", "op": "eq", "value": "x"}, "attribute key"),
    ({"all": []}, "non-empty list"),
    ({"all": [{"field": "city", "op": "present"}], "field": "x"}, "must be alone"),
    ({"field": "city", "op": "eq", "value": "x", "sql": "1=1"}, "unknown keys ['sql']"),
    ("{not json", "not valid JSON"),
    (42, "must be an object"),
])
def test_bad_filters_say_which_field_and_op(raw, message):
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse(raw)


def test_size_and_depth_are_bounded():
    deep = {"field": "city", "op": "present"}
    for _ in range(20):
        deep = {"not": deep}
    with pytest.raises(FilterError, match="nested too deeply"):
        parse(deep)
    with pytest.raises(FilterError, match="too large"):
        parse({"any": [{"field": "city", "op": "present"}] * 300})


def test_every_field_is_described_with_its_ops():
    fields = describe_fields()
    assert fields["tags"] == ["has", "has_any", "has_all", "present", "missing"]
    assert "attributes.<key>" in fields and "replied" in fields
