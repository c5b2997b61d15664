"""Filter-language rules pinned where the mutation run (docs/testing.md) found them unpinned: the limits (exactly
MAX_LIST values, ids up to 2**31 - 1), NUL characters, list items checked like single values, and what
describe_fields tells the agent."""

from datetime import UTC, date, datetime

import pytest

from domain.filters import (
    MAX_DAYS,
    MAX_ID,
    MAX_LIST,
    Condition,
    FilterError,
    describe_fields,
    digits,
    parse,
    parse_when,
)


def test_attributes_take_the_text_operators():
    assert describe_fields()["attributes.<key>"] == ["eq", "neq", "in", "not_in", "contains", "starts_with",
                                                     "present", "missing"]


def test_a_list_of_exactly_max_list_values_is_allowed_one_more_is_not():
    assert MAX_LIST == 5000
    assert len(parse({"field": "city", "op": "in", "value": ["x"] * 5000}).value) == 5000
    with pytest.raises(FilterError, match=r"^field 'city' op 'in': at most 5000 values$"):
        parse({"field": "city", "op": "in", "value": ["x"] * 5001})


def test_a_nul_character_is_refused_in_a_value_and_in_a_list_item():
    with pytest.raises(FilterError, match="^field 'city' op 'eq': the value contains a NUL character$"):
        parse({"field": "city", "op": "eq", "value": "Aus\x00tin"})
    with pytest.raises(FilterError, match="^field 'tags' op 'has_any': the value contains a NUL character$"):
        parse({"field": "tags", "op": "has_any", "value": ["ok", "a\x00"]})


def test_list_items_are_checked_like_single_values_of_their_field():
    with pytest.raises(FilterError, match="enrichment status is one of none, pending"):
        parse({"field": "enrichment_status", "op": "in", "value": ["approved", "bogus"]})
    assert parse({"field": "enrichment_status", "op": "in", "value": ["approved"]}) == Condition(
        "enrichment_status", "in", ("approved",))


def test_ids_go_up_to_the_largest_integer_column_value():
    assert MAX_ID == 2**31 - 1
    assert parse({"field": "id", "op": "eq", "value": 2**31 - 1}).value == 2**31 - 1
    with pytest.raises(FilterError, match="takes a contact id"):
        parse({"field": "id", "op": "eq", "value": 2**31})


CAMPAIGN = "contacted_in_campaign"


def test_a_campaign_is_an_id_or_a_name():
    assert parse({"field": CAMPAIGN, "op": "eq", "value": 12}).value == 12  # an id stays a number
    assert parse({"field": CAMPAIGN, "op": "eq", "value": " Spring sale "}).value == "Spring sale"
    assert parse({"field": CAMPAIGN, "op": "eq", "value": 2**31 - 1}).value == 2**31 - 1
    assert parse({"field": CAMPAIGN, "op": "eq", "value": "2147483647"}).value == "2147483647"
    for bad in (True, 1.5, "  ", None):
        with pytest.raises(FilterError, match=r"^field 'contacted_in_campaign' op 'eq' takes a campaign id or name"):
            parse({"field": CAMPAIGN, "op": "eq", "value": bad})
    for bad in (-1, 2**31, "2147483648"):
        with pytest.raises(FilterError, match=r"^field 'contacted_in_campaign' op 'eq': .* is not a campaign id$"):
            parse({"field": CAMPAIGN, "op": "eq", "value": bad})


def test_a_text_value_is_a_non_empty_text_or_number_of_at_most_500_characters():
    assert parse({"field": "city", "op": "eq", "value": 42}).value == "42"
    assert len(parse({"field": "city", "op": "eq", "value": "x" * 500}).value) == 500
    with pytest.raises(FilterError, match="^field 'city' op 'eq': the value is longer than 500 characters$"):
        parse({"field": "city", "op": "eq", "value": "x" * 501})
    for bad in (True, "  ", [1]):
        with pytest.raises(FilterError, match="^field 'city' op 'eq' takes a non-empty text value"):
            parse({"field": "city", "op": "eq", "value": bad})


def test_days_are_between_1_and_max_days():
    assert parse({"field": "created_at", "op": "within_days", "value": MAX_DAYS}).value == 36_500
    assert parse({"field": "replied", "op": "older_than_days", "value": "1"}).value == 1
    for bad in (0, MAX_DAYS + 1):
        with pytest.raises(FilterError, match="^field 'created_at' op 'within_days': days must be between 1 and 36500$"):
            parse({"field": "created_at", "op": "within_days", "value": bad})


def test_when_reads_dates_datetimes_and_iso_text_as_utc():
    assert parse_when(date(2026, 1, 31)) == datetime(2026, 1, 31, tzinfo=UTC)
    assert parse_when(datetime(2026, 1, 31, 10, tzinfo=UTC)) == datetime(2026, 1, 31, 10, tzinfo=UTC)
    assert parse_when(datetime(2026, 1, 31, 10)) == datetime(2026, 1, 31, 10, tzinfo=UTC)  # naive: UTC
    assert parse_when("2026-03-01T12:00:00Z") == datetime(2026, 3, 1, 12, tzinfo=UTC)
    with pytest.raises(FilterError, match="^date takes an ISO date like 2026-01-31, got 'soon'$"):
        parse_when("soon")
    with pytest.raises(FilterError, match="^date takes an ISO date like 2026-01-31, got 5$"):
        parse_when(5)
    with pytest.raises(FilterError, match=r"^date: '0001-01-01T00:00:00\+01:00' is outside the years 1 to 9999 in UTC$"):
        parse_when("0001-01-01T00:00:00+01:00")


def test_size_and_depth_limits_are_exact():
    city = {"field": "city", "op": "eq", "value": "Austin"}
    assert len(parse({"all": [city] * 199}).items) == 199  # 200 nodes with the "all"
    with pytest.raises(FilterError, match="^the filter is too large: at most 200 conditions$"):
        parse({"all": [city] * 200})
    deep, deeper = city, {"all": [city]}
    for _ in range(12):
        deep, deeper = {"not": deep}, {"any": [deeper]}
    assert parse(deep) is not None  # the condition at depth 12
    with pytest.raises(FilterError, match="^the filter is nested too deeply: at most 12 levels$"):
        parse(deeper)


def test_conditions_name_a_field_and_an_operator_it_takes():
    with pytest.raises(FilterError, match=r"^a condition needs a 'field'; fields: booked, city, company, contacted, "):
        parse({"field": 5, "op": "eq", "value": "x"})
    with pytest.raises(FilterError, match=r"^unknown field 'nope'; fields: booked, city, company, contacted, "):
        parse({"field": "nope", "op": "eq", "value": "x"})
    with pytest.raises(FilterError, match=r"^field 'city' does not take op 'has'; it takes: eq, neq, in, not_in, "):
        parse({"field": "city", "op": "has", "value": "x"})
    assert parse({"field": "attributes.a.b", "op": "eq", "value": "x"}).field == "attributes.a.b"
    for bad in ("attributes.a.%", "attributes.%.a"):  # the key is everything after the first dot
        with pytest.raises(FilterError, match="an attribute key is 1-64 letters"):
            parse({"field": bad, "op": "eq", "value": "x"})
    assert parse({"field": CAMPAIGN, "op": "eq", "value": 0}).value == 0


@pytest.mark.parametrize("field", ["id", "contacted_in_campaign"])
def test_digits_that_are_not_ascii_are_no_id(field):
    """'²' is a digit to str.isdigit but no number to int(): it was a bare ValueError ("invalid literal for int()")
    instead of the filter's own error; for a campaign it is a name."""
    if field == "id":
        with pytest.raises(FilterError, match="takes a contact id"):
            parse({"field": field, "op": "eq", "value": "²"})
    else:
        assert parse({"field": field, "op": "eq", "value": "²"}).value == "²"
    assert digits("12") and not digits("²") and not digits("١٢") and not digits("")
