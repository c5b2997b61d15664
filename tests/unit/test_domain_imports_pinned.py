"""Import rules pinned where the mutation run (docs/testing.md) found them unpinned: repeated headers and the
warnings' whole text, overrides that name a column exactly, the ragged-row and too-long messages, cells our own
export neutralised, consent columns, the zone from the place, names from a full name, tags and merges.
Every answer is written out literally."""

import pytest

from domain.imports import (
    Issue,
    Mapping,
    RowOutcome,
    apply_overrides,
    build_plan,
    check_target,
    merge,
    normalise_records,
    normalise_row,
    normalise_tags,
    parse_map_args,
    propose_mapping,
)

NO_ADDRESS = "no email or phone column found: map one (e.g. --map 'Col=email'), or every row is rejected"
NONE_MAPPED = "no email or phone column is mapped: every row would be rejected"


def row(columns: dict[str, str], cells: list[str], region: str = "US") -> RowOutcome:
    return normalise_row(cells, build_plan(Mapping(columns)), region)


# --- headers and overrides -----------------------------------------------------------------------------------------

def test_a_repeated_header_takes_its_position_and_the_next_free_number():
    mapping = propose_mapping(["Email", "Email (3)", "Email"])
    assert mapping.columns == {"Email": "email", "Email (3)": "attributes.email_3", "Email (4)": "attributes.email"}
    assert mapping.warnings == [
        "column 'Email (4)' looks like email too; the first one is used, this one is kept in attributes"]
    assert propose_mapping(["Phone", "Phone"]).columns == {"Phone": "phone", "Phone (2)": "attributes.phone"}


def test_the_missing_address_warnings_are_written_out():
    assert propose_mapping(["Name", "City"]).warnings == [NO_ADDRESS]
    mapping = apply_overrides(propose_mapping(["Email", "Work Email"]), {"Email": "ignore"})
    assert mapping.columns == {"Email": "ignore", "Work Email": "attributes.work_email"}
    assert mapping.warnings == [  # the other warnings are kept, the new one added
        "column 'Work Email' looks like email too; the first one is used, this one is kept in attributes",
        NONE_MAPPED]
    fixed = apply_overrides(propose_mapping(["Name", "Digits"]), {"Digits": "phone"})
    assert fixed.warnings == []


def test_an_override_names_a_column_exactly_before_by_its_key():
    mapping = propose_mapping(["E-mail", "Email"])  # the same key, "email"
    assert apply_overrides(mapping, {"E-mail": "ignore", "Email": "email"}).columns == {
        "E-mail": "ignore", "Email": "email"}
    assert apply_overrides(mapping, {"e mail": "phone"}).columns["Email"] == "phone"  # by key: the last one
    with pytest.raises(ValueError) as error:
        apply_overrides(mapping, {"Nope": "email"})
    assert str(error.value) == "--map: no column 'Nope' in the file; columns: E-mail, Email"


def test_targets_accepted_and_refused():
    assert check_target(" attributes.Plan Tier-2.x ") == "attributes.Plan Tier-2.x"
    assert check_target("consent.sms") == "consent.sms"
    for bad in ("attributes.!plan", "attributes.", "attributes." + "a" * 65, "shoe"):
        with pytest.raises(ValueError) as error:
            check_target(bad)
        assert str(error.value) == (
            f"unknown field {bad!r}: use one of email, phone, phone_ext, first_name, last_name, name, company, "
            "job_title, website, city, region, postal_code, country, timezone, tags, ignore, attributes.<key>, "
            "or a consent column: consent.email, consent.sms, consent.all, optout.email, optout.sms, optout.all")


def test_a_map_argument_splits_at_the_first_equals_sign():
    assert parse_map_args([" Cell =phone"]) == {"Cell": "phone"}
    with pytest.raises(ValueError) as error:
        parse_map_args(["A=B=email"])  # the field is "B=email": no header containing "=" can be named
    assert str(error.value).startswith("unknown field 'B=email': ")


def test_ignored_columns_leave_the_plan_and_country_and_region_come_first():
    mapping = Mapping({"Junk": "ignore", "Email": "email", "Zip": "postal_code", "State": "region",
                       "Land": "country", "City": "city"})
    assert build_plan(mapping) == [(4, "Land", "country"), (3, "State", "region"), (1, "Email", "email"),
                                   (2, "Zip", "postal_code"), (5, "City", "city")]


# --- one row -------------------------------------------------------------------------------------------------------

def test_a_national_number_is_read_in_the_us_by_default():
    out = normalise_row(["(512) 555-0100"], [(0, "Phone", "phone")])
    assert out == RowOutcome({"phone": "+15125550100", "timezone": "America/Chicago"}, [])


def test_cells_past_the_end_of_a_short_row_are_skipped_not_the_end():
    # the plan reads the country (cell 2) first; the row has one cell
    out = row({"Email": "email", "Name": "name", "Country": "country"}, ["a@b.com"])
    assert out == RowOutcome({"email": "a@b.com"}, [])


def test_an_empty_cell_is_skipped_not_the_end():
    out = row({"First": "first_name", "Email": "email"}, ["  ", "a@b.com"])
    assert out == RowOutcome({"email": "a@b.com"}, [])


def test_nul_characters_are_removed_from_a_cell():
    out = row({"First": "first_name", "Email": "email"}, ["Jo\x00hn", "jo\x00hn@b.com"])
    assert out == RowOutcome({"first_name": "John", "email": "john@b.com"}, [])


def test_a_cell_neutralised_by_our_export_is_read_back():
    columns = {"Email": "email", **{f"A{i}": f"attributes.a{i}" for i in range(7)}}
    out = row(columns, ["a@b.com", "'=1+2", "'+", "'-5", "'@x", "'twas", "'Xmas", "'"])
    assert out == RowOutcome({"email": "a@b.com", "attributes": {
        "a0": "=1+2", "a1": "+", "a2": "-5", "a3": "@x", "a4": "'twas", "a5": "'Xmas", "a6": "'"}}, [])


def test_a_value_at_its_limit_is_kept_and_a_longer_one_dropped_saying_why():
    at_limit, long = "1" * 20, "2" * 150
    out = row({"Zip": "postal_code", "Email": "email", "Code": "postal_code"}, [long, "a@b.com", at_limit])
    assert out == RowOutcome({"email": "a@b.com", "postal_code": at_limit}, [
        Issue("Zip", "value too long (150 characters, at most 20); dropped", "2" * 100)])


def test_a_bad_value_is_reported_with_its_first_200_characters():
    bad = "x" * 250 + "@"
    out = row({"Email": "email", "Phone": "phone"}, [bad, "12"])
    email_error = f"invalid email {bad!r}: There must be something after the @-sign."
    phone_error = "invalid phone '12': not a valid number"
    assert out == RowOutcome({}, [Issue("Email", email_error, "x" * 200), Issue("Phone", phone_error, "12")],
                             f"no usable address: {email_error}; {phone_error}")


def test_a_zone_given_wins_over_the_phones_and_the_places():
    out = row({"Phone": "phone", "TZ": "timezone", "Country": "country", "State": "region"},
              ["+1 512 555 0100", "asia/TOKYO", "us", "tx"])
    assert out.contact["timezone"] == "Asia/Tokyo"
    assert out.issues == []


def test_the_zone_comes_from_the_country_and_the_us_state():
    columns = {"Email": "email", "Country": "country", "State": "region"}
    assert row(columns, ["a@b.com", "US", "Texas"]).contact == {
        "email": "a@b.com", "country": "US", "region": "Texas", "timezone": "America/Chicago"}
    assert row(columns, ["a@b.com", "France", "TX"]).contact == {  # TX is no French region
        "email": "a@b.com", "country": "FR", "region": "TX", "timezone": "Europe/Paris"}
    assert row(columns, ["a@b.com", "", "TX"]).contact["timezone"] == "America/Chicago"
    assert "timezone" not in row(columns, ["a@b.com", "US", ""]).contact


def test_an_unknown_zone_is_reported_and_a_known_one_kept_in_its_own_case():
    out = row({"Email": "email", "TZ": "timezone"}, ["a@b.com", "Mars/Base"])
    assert out == RowOutcome({"email": "a@b.com"}, [
        Issue("TZ", "unknown time zone 'Mars/Base': use an IANA name like America/Chicago", "Mars/Base")])
    assert row({"Email": "email", "TZ": "timezone"}, ["a@b.com", "europe/paris"]).contact == {
        "email": "a@b.com", "timezone": "Europe/Paris"}


def test_names_are_cleaned_and_the_extension_keeps_its_digits():
    out = row({"Email": "email", "First": "first_name", "Company": "company", "Ext": "phone_ext"},
              ["a@b.com", "  Mary   Ann ", " Acme   Inc ", "ext. 4-2"])
    assert out.contact == {"email": "a@b.com", "first_name": "Mary Ann", "company": "Acme Inc", "phone_ext": "42"}
    assert row({"Email": "email", "Ext": "phone_ext"}, ["a@b.com", "none"]).contact == {
        "email": "a@b.com", "phone_ext": None}


def test_a_full_name_fills_only_the_halves_not_given():
    columns = {"Email": "email", "Name": "name", "First": "first_name", "Last": "last_name"}
    assert row(columns, ["a@b.com", "Jane Doe", "Janet", ""]).contact == {
        "email": "a@b.com", "first_name": "Janet", "last_name": "Doe"}
    assert row(columns, ["a@b.com", "Jane Doe", "", "Smith"]).contact == {
        "email": "a@b.com", "first_name": "Jane", "last_name": "Smith"}
    long = row({"Email": "email", "Name": "name"}, ["a@b.com", "A" * 250 + " " + "B" * 100]).contact
    assert (long["first_name"], long["last_name"]) == ("A" * 200, "B" * 100)
    long = row({"Email": "email", "Name": "name"}, ["a@b.com", "A " + "B" * 250]).contact
    assert (long["first_name"], long["last_name"]) == ("A", "B" * 200)


def test_consent_columns_opt_out_by_channel_and_the_first_reason_stays():
    header = "Do you agree to receive marketing messages from us by email and by text, now and later? " * 2
    value = "perhaps, ask me again next year when I have had the time to think about it properly"
    columns = {"Email": "email", "SMS consent": "consent.sms", header: "consent.all", "Email OK": "consent.email"}
    out = row(columns, ["a@b.com", "no", value, "yes"])
    assert out == RowOutcome(
        {"email": "a@b.com", "optout": {"sms": "import: SMS consent = no",
                                        "email": f"import: {header[:80]} = {value[:60]}"}},
        [Issue(header, f"unclear consent value {value[:60]!r}: not read as consent; opted out of email and sms",
               value[:200])])
    out = row({"Email": "email", "Unsub": "optout.email"}, ["a@b.com", "2024-01-01"])
    assert out == RowOutcome({"email": "a@b.com", "optout": {"email": "import: Unsub = 2024-01-01"}}, [])
    assert row({"Email": "email", "SMS consent": "consent.sms"}, ["a@b.com", "yes"]) == RowOutcome(
        {"email": "a@b.com"}, [])


# --- records, tags, merge ------------------------------------------------------------------------------------------

def test_records_that_could_not_be_read_or_are_ragged():
    plan = build_plan(Mapping({"Email": "email", "Phone": "phone"}))
    out = normalise_records([(2, None, "unreadable line"), (3, ["a@b.com", "12", "x"], None),
                             (4, ["c@d.com"], None), (5, None, None), (6, ["e@f.com", ""], None)], plan, "US", 2)
    phone_error = "invalid phone '12': not a valid number"
    assert out == [
        (2, RowOutcome({}, [], "unreadable line")),
        (3, RowOutcome({"email": "a@b.com"}, [
            Issue(None, "row has 3 cells, the header has 2: extra cells ignored"),
            Issue("Phone", phone_error, "12")])),
        (4, RowOutcome({"email": "c@d.com"}, [
            Issue(None, "row has 1 cells, the header has 2: missing cells read as empty")])),
        (5, RowOutcome({}, [], "no usable address: no email and no phone")),
        (6, RowOutcome({"email": "e@f.com"}, [])),
    ]


def test_tags_from_a_list_and_at_most_64_characters_each():
    assert normalise_tags(["Café", "  VIP  lead ", "café", ""]) == ["cafe", "vip lead"]
    assert normalise_tags(None) == []
    assert normalise_tags("x" * 70 + ",y") == ["x" * 64, "y"]


def test_merge_reads_an_empty_text_as_blank_on_both_sides():
    assert merge({"company": "Acme"}, {"company": ""}, "overwrite") == {}
    assert merge({"company": ""}, {"company": "Acme"}, "fill") == {"company": "Acme"}
    assert merge({"attributes": {"plan": "", "tier": "1"}}, {"attributes": {"plan": "pro", "tier": "2"}},
                 "fill") == {"attributes": {"plan": "pro", "tier": "1"}}
    with pytest.raises(ValueError) as error:
        merge({}, {}, "bogus")
    assert str(error.value) == "unknown policy 'bogus': use one of fill, overwrite, skip"
