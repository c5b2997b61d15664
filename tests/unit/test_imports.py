"""Import rules (pure): header mapping, row normalisation with per-field problems, merge policies, fast paths."""

import random

import pytest

from domain.contacts import normalise_email, normalise_phone, normalise_website, timezone_for_phone
from domain.fastnorm import fast_email, fast_phone, fast_website, normalise_country, timezone_for_place
from domain.imports import (
    apply_overrides,
    build_plan,
    merge,
    normalise_row,
    normalise_tags,
    parse_map_args,
    propose_mapping,
)


def test_headers_map_by_synonym_and_unknown_columns_go_to_attributes():
    mapping = propose_mapping(["E-mail Address", "Mobile", "First Name", "Last Name", "Organization", "URL",
                               "Zip", "State", "Tags", "Shoe Size", ""])
    assert mapping.columns == {
        "E-mail Address": "email", "Mobile": "phone", "First Name": "first_name", "Last Name": "last_name",
        "Organization": "company", "URL": "website", "Zip": "postal_code", "State": "region", "Tags": "tags",
        "Shoe Size": "attributes.shoe_size", "": "attributes.column_11"}
    assert mapping.warnings == []


def test_a_second_email_column_and_a_missing_address_are_warned_about():
    mapping = propose_mapping(["Email", "Work Email", "Name"])
    assert mapping.columns["Work Email"] == "attributes.work_email"
    assert "looks like email too" in mapping.warnings[0]
    assert "no email or phone column" in propose_mapping(["Name", "City"]).warnings[0]


def test_overrides_and_map_arguments():
    mapping = apply_overrides(propose_mapping(["Contact", "Digits", "Junk"]),
                              parse_map_args(["digits=phone", "Junk=ignore"]))
    assert mapping.columns == {"Contact": "name", "Digits": "phone", "Junk": "ignore"}
    assert mapping.warnings == []
    with pytest.raises(ValueError, match="no column 'Nope'"):
        apply_overrides(mapping, {"Nope": "email"})
    with pytest.raises(ValueError, match="unknown field 'shoe'"):
        parse_map_args(["Digits=shoe"])
    with pytest.raises(ValueError, match="COLUMN=FIELD"):
        parse_map_args(["Digits"])


def _row(headers, cells, region="US"):
    return normalise_row(cells, build_plan(propose_mapping(headers)), region)


def test_a_good_row_is_normalised():
    out = _row(["Email", "Phone", "Full Name", "Website", "Country", "Tags", "Notes"],
               [" Jane.Doe@ACME.com ", "(512) 555-0100 ext. 7", "Doe, Jane", "www.Acme.com/", "usa", "VIP; lead|vip",
                "met at fair"])
    assert out.rejected is None and out.issues == []
    assert out.contact == {"email": "jane.doe@acme.com", "phone": "+15125550100", "phone_ext": "7",
                           "first_name": "Jane", "last_name": "Doe", "website": "https://www.acme.com",
                           "domain": "acme.com", "country": "US", "tags": ["vip", "lead"],
                           "attributes": {"notes": "met at fair"}, "timezone": "America/Chicago"}


def test_the_country_column_is_the_default_region_of_the_phone():
    out = _row(["Phone", "Country", "Email"], ["0151 12345678", "Deutschland", ""])
    assert out.contact["phone"] == "+4915112345678" and out.contact["timezone"] == "Europe/Berlin"


def test_one_bad_address_is_reported_and_the_row_kept():
    out = _row(["Email", "Phone"], ["not-an-email", "512-555-0100"])
    assert out.rejected is None and out.contact["phone"] == "+15125550100"
    assert out.issues[0].column == "Email" and "invalid email" in out.issues[0].reason


def test_a_row_with_no_usable_address_is_rejected_with_both_reasons():
    out = _row(["Email", "Phone", "Name"], ["bob@", "12", "Bob"])
    assert out.rejected.startswith("no usable address: invalid email 'bob@'") and "invalid phone '12'" in out.rejected
    assert _row(["Email", "Name"], ["", "Bob"]).rejected == "no usable address: no email and no phone"


def test_bad_optional_fields_are_dropped_with_a_reason():
    out = _row(["Email", "Country", "Time Zone", "Website", "City"],
               ["a@b.co", "Atlantis", "Mars/Base", "not a site", "x" * 300])
    assert out.rejected is None
    reasons = {i.column: i.reason for i in out.issues}
    assert "unknown country" in reasons["Country"] and "unknown time zone" in reasons["Time Zone"]
    assert "invalid website" in reasons["Website"] and "value too long (300 characters" in reasons["City"]


def test_cells_neutralised_by_our_export_read_back():
    assert _row(["Phone"], ["'+15125550100"]).contact["phone"] == "+15125550100"


def test_time_zone_from_a_us_state_or_a_single_zone_country():
    assert timezone_for_place(None, "Colorado") == "America/Denver"
    assert timezone_for_place("US", "wa") == "America/Los_Angeles"
    assert timezone_for_place("FR", None) == "Europe/Paris"
    assert timezone_for_place("US", None) is None and timezone_for_place("CA", "ON") is None
    assert timezone_for_place("GB", None) is None  # +44 is shared with Jersey, Guernsey, Isle of Man
    assert normalise_country("U.S.A.") == "US" and normalise_country("gb") == "GB" and normalise_country("xx") is None


def test_tags_are_cleaned():
    assert normalise_tags(" VIP ,lead;; Big  Fish|vip ") == ["vip", "lead", "big fish"]


EXISTING = {"id": 1, "email": "a@x.com", "phone": None, "first_name": "Ann", "company": "Old", "tags": ["a"],
            "attributes": {"k": "old"}}
INCOMING = {"email": "a@x.com", "phone": "+15125550100", "first_name": "Anna", "company": "New", "tags": ["b"],
            "attributes": {"k": "new", "j": "1"}}


def test_merge_fill_only_fills_blanks_and_adds_tags():
    assert merge(EXISTING, INCOMING, "fill") == {"phone": "+15125550100", "tags": ["a", "b"],
                                                "attributes": {"k": "old", "j": "1"}}


def test_merge_overwrite_replaces_but_never_the_email():
    changes = merge(EXISTING, {**INCOMING, "email": "other@x.com"}, "overwrite")
    assert changes == {"phone": "+15125550100", "first_name": "Anna", "company": "New", "tags": ["a", "b"],
                       "attributes": {"k": "new", "j": "1"}}


def test_merge_skip_changes_nothing_and_unknown_policy_is_refused():
    assert merge(EXISTING, INCOMING, "skip") == {}
    with pytest.raises(ValueError, match="unknown policy 'merge'"):
        merge(EXISTING, INCOMING, "merge")


def test_fast_email_gives_the_same_answers_as_the_full_validator():
    rng = random.Random(7)
    cases = ["Jane@Acme.com", " a.b+c@x.co ", "<a@b.io>", "mailto:A@B.io", "a..b@x.com", ".a@x.com", "a@x",
             "a@localhost", "a@-x.com", "a@x-.com", "josé@exämple.com", "\"q\"@x.com", "a@b@c.com", "a@x.invalid",
             "a@123.com", "a@x.123", "x" * 65 + "@x.com", "a@" + "b" * 64 + ".com", "user@sub.domain.travel", ""]
    alphabet = "abcAB.-_+@1é "
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(3, 14))) for _ in range(3000)]
    cases += ["a@x.local", "a@mail.test", "a@b.arpa", "a@ab--cd.com", "a@xn--bcher-kva.com", "a@xn--x.com",
              "a@x.c0m", "a@" + "b" * 63 + ".com", "a@" + ".".join(["abcdefghi"] * 26) + ".com"]
    cases += ["a@" + "".join(rng.choice("ab-.1x") for _ in range(rng.randint(3, 12))) + rng.choice(["", ".com", ".c1"])
              for _ in range(3000)]
    for case in cases:
        want = normalise_email(case)
        assert fast_email(case) == (want.value, want.error), case


def test_fast_phone_gives_the_same_answers_as_normalise_and_timezone():
    rng = random.Random(3)
    cases = ["(512) 555-0100", "+44 20 7946 0958", "0151 12345678", "512-555-0100 x42", "12", "abc", "+61 2 9374 4000",
             "0049 30 1234567", "+7 495 123-45-67", "+55 11 91234-5678"]
    cases += ["+" + str(rng.randint(1, 999)) + "".join(str(rng.randint(0, 9)) for _ in range(rng.randint(5, 12)))
              for _ in range(1500)]
    for case in cases:
        for region in ("US", "DE"):
            want = normalise_phone(case, region)
            assert fast_phone(case, region) == (want.value, want.extra, timezone_for_phone(want.value), want.error)


def test_fast_website_gives_the_same_answers_as_normalise_website():
    rng = random.Random(9)
    cases = ["www.Acme.com", "https://acme.com/", "http://acme.com/About/", "acme.com.", "a.com./x", "acme", "-.com",
             "HTTPS://acme.com", "ftp://acme.com", "acme.com:8080", "user@acme.com", "acme.com?q=1", "[oops", " x.io ",
             "https:/acme.com", "a." * 130 + "com", "acme.com/" + "p" * 490, "https://", "www.", "//acme.com", ""]
    alphabet = "abC.-/:w1%@ ?#_"
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 16))) for _ in range(4000)]
    cases += [rng.choice(["", "http://", "https://", "www."]) + "".join(rng.choice("ab.-/") for _ in range(8))
              for _ in range(2000)]
    for case in cases:
        want, domain = normalise_website(case)
        assert fast_website(case) == (want.value, domain, want.error), case
