"""The phone fast path pinned where the mutation run (docs/testing.md) found it unpinned: the guard holds on the
Python and phonenumbers we run (so the fast path is on), and capturing groups, which no phonenumbers pattern uses
(Python's parser flattens `(?:...)`), are read like any other part of a pattern. Then what the fast path predicts on its edges, which countries keep a
prefix table, and what a prefix learns (the time zone table's keys; never an invalid answer a sibling region could
find valid) and answers without the full way."""

import pytest
from phonenumbers import PhoneNumberType

from domain import phone_fast
from domain.phone_fast import (
    Automaton,
    CountryPrefixes,
    cached_answer,
    country_prefixes,
    fast_path_fits,
    national_number,
)


def test_the_fast_path_is_on_here():
    assert fast_path_fits() is True
    assert national_number("(512) 456-1234", "US") == (1, "5124561234")


@pytest.mark.parametrize(("prefix", "decided"), [
    ("12", False),   # "1254" only
    ("125", False),  # "1254" only, not "1250"
    ("1254", True), ("345", True), ("3457", True), ("9", True), ("35", True), ("", False),
])
def test_a_capturing_group_is_read_like_the_rest(prefix, decided):
    automaton = Automaton(r"(12|34)(5)4|(345)\d")
    assert automaton.decided_by(prefix, 4) is decided


# --- the second pass (verdict onwards): what the fast path predicts, which countries cache, what a prefix learns ---

@pytest.fixture
def no_prefixes():
    """No country's prefix table built yet: what cached_answer learns below is its own."""
    saved = dict(phone_fast._COUNTRIES)
    phone_fast._COUNTRIES.clear()
    yield
    phone_fast._COUNTRIES.clear()
    phone_fast._COUNTRIES.update(saved)


@pytest.mark.parametrize(("text", "predicted"), [
    ("+800 1234 5678", (800, "12345678")),  # a non-geographic code (its region is "001")
    ("+1 23", (1, "23")), ("+1 2", None),  # 2 national digits at least
    ("+49 " + "2" * 17, (49, "2" * 17)), ("+49 " + "2" * 18, None),  # 17 at most
    ("+280 1234567", None),  # no country code: 2, 28 and 280 are none
    ("011 44 20 7946 0958", None),  # the US international prefix: not a national number
])
def test_what_the_fast_path_predicts(text, predicted):
    assert national_number(text, "US") == predicted


def test_a_character_class_other_than_digits_is_not_read():
    for pattern in (r"[\s]\d", r"\D", r"[^\w]"):
        with pytest.raises(ValueError, match=r"^unsupported character class element CATEGORY$"):
            Automaton(pattern)


def test_which_countries_keep_a_prefix_table(no_prefixes):
    assert country_prefixes(7) is None  # Russia's main region has a leading-digits rule
    assert country_prefixes(358) is None
    us, de, re_ = country_prefixes(1), country_prefixes(49), country_prefixes(262)
    assert (us.single_region, de.single_region, re_.single_region) == (False, True, False)  # RE shares with YT
    assert country_prefixes(1) is us  # built once
    assert country_prefixes(800).metadata.country_code == 800  # a non-geographic code keeps one too
    assert {"", "2", "20", "208", "2082", "20820"} <= us.zone_inner and "208201" not in us.zone_inner


def test_a_prefix_reaches_the_time_zone_table():
    # Idaho's 208 is split between zones by exchange: 208-201 is Denver's, 208-215 Los Angeles'
    prefixes = CountryPrefixes("US", 1)
    prefixes.learn("2082015550", (1, ("America/Denver",)))
    assert prefixes.known == {(10, "208201"): (1, ("America/Denver",))}


NY = (PhoneNumberType.FIXED_LINE_OR_MOBILE, ("America/New_York",))


def _full(answer):
    calls = []

    def full():
        calls.append(1)
        return answer

    return full, calls


def test_a_learnt_prefix_answers_without_the_full_way(no_prefixes):
    full, calls = _full((NY, True))
    assert cached_answer(1, "2125550123", full) == NY and calls == [1]
    assert phone_fast._COUNTRIES[1].known == {(10, "2125"): NY}
    again, calls = _full((None, True))
    assert cached_answer(1, "2125559999", again) == NY and calls == []  # from the prefix
    refused, calls = _full(None)  # the parse was not the predicted one
    assert cached_answer(1, "3125550123", refused) is None and calls == [1]
    assert cached_answer(7, "4951234567", refused) is None and calls == [1]  # no table: not even asked


def test_what_is_learnt_and_what_is_not(no_prefixes):
    unknown = (PhoneNumberType.UNKNOWN, ())
    full, _ = _full((unknown, True))
    assert cached_answer(1, "5121550100", full) == unknown
    assert phone_fast._COUNTRIES[1].known == {}  # invalid in the US may be valid elsewhere in +1
    assert cached_answer(49, "2222222222", full) == unknown
    assert list(phone_fast._COUNTRIES[49].known.values()) == [unknown]  # Germany is one region
    canada = (PhoneNumberType.FIXED_LINE_OR_MOBILE, ("America/Toronto",))
    full, _ = _full((canada, False))  # not decided by the main region (the US)
    assert cached_answer(1, "4165550100", full) == canada
    assert phone_fast._COUNTRIES[1].known == {}


def test_a_number_learnt_whole_or_nearly_is_found_again():
    prefixes = CountryPrefixes("US", 1)
    prefixes.known[(10, "2125550123")] = NY  # no shorter prefix decided it
    prefixes.known[(10, "312555012")] = NY
    assert prefixes.lookup("2125550123") == NY and prefixes.lookup("2125550124") is None
    assert prefixes.lookup("3125550129") == NY and prefixes.lookup("312555012") is None  # another length
