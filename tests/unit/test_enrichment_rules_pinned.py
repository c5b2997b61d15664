"""Offline enrichment rules (domain/enrichment_rules.py), each answer written out whole: every suggestion a page
gives as (field, value, source URL, quote, confidence), so a rule that cites the wrong page or quote, misnames a
field or changes a confidence is caught; which JSON-LD, meta, contact and social values are read; the person's role,
profiles, phone and work email; the title read from the text around the name; which pages are worth reading."""

from __future__ import annotations

import pytest

from domain.enrichment_rules import Person, _text, company_rules, person_rules, pick_pages, same_site
from domain.extract import Link, PageData

ABOUT = "https://acme.test/about"
TEAM = "https://acme.test/team"
JANE = Person("Jane", "Doe", None, "acme.test")


def rows(suggestions):
    return [(s.field, s.value, s.source_url, s.quote, s.confidence) for s in suggestions]


def test_a_company_page_gives_every_field_with_its_page_its_quote_and_its_confidence():
    org = {"@type": ["Organization", "RoofingContractor"], "name": ["Acme Roofing", "Acme"],
           "description": {"@value": "Roofs done right."}, "industry": "Roof repair",
           "foundingDate": "founded in 1998", "numberOfEmployees": {"value": "25"},
           "address": [{"addressLocality": "Austin", "addressRegion": "TX", "postalCode": "78701",
                        "addressCountry": {"name": "United States"}}, {"addressLocality": "Dallas"}],
           "telephone": "+1 512-555-0100"}
    other = {"@type": "Organization", "name": "Other Co", "telephone": "+1 512-555-0111"}  # only the first is read
    page = PageData(ABOUT, meta={"og:site_name": "Acme", "og:description": "Roofing in Austin",
                                 "description": "Plain description"},
                    jsonld=[org, other], phones=["(512) 555-0199", "(512) 555-0188"],
                    emails=["boss@evil.test", "info@acme.test", "sales@acme.test"],
                    socials={"facebook": ["https://www.facebook.com/acme", "https://www.facebook.com/acme2"],
                             "linkedin": ["https://www.linkedin.com/in/jane", "https://www.linkedin.com/company/acme"],
                             "twitter": ["https://twitter.com/acme"], "github": []})
    assert rows(company_rules(page, "acme.test")) == [
        ("company", "Acme Roofing", ABOUT, "Acme Roofing", 0.9),
        ("company_description", "Roofs done right.", ABOUT, "Roofs done right.", 0.85),
        ("industry", "Roof repair", ABOUT, "Roof repair", 0.7),
        ("founded", "1998", ABOUT, "founded in 1998", 0.8),
        ("company_size", "25", ABOUT, "25", 0.7),
        ("city", "Austin", ABOUT, "Austin", 0.6),
        ("region", "TX", ABOUT, "TX", 0.6),
        ("postal_code", "78701", ABOUT, "78701", 0.6),
        ("country", "US", ABOUT, "United States", 0.6),
        ("company_phone", "+15125550100", ABOUT, "+1 512-555-0100", 0.85),
        ("company", "Acme", ABOUT, "Acme", 0.75),
        ("company_description", "Roofing in Austin", ABOUT, "Roofing in Austin", 0.7),
        ("company_phone", "+15125550199", ABOUT, "(512) 555-0199", 0.75),
        ("company_email", "info@acme.test", ABOUT, "info@acme.test", 0.75),
        ("facebook", "https://www.facebook.com/acme", ABOUT, "https://www.facebook.com/acme", 0.7),
        ("company_linkedin", "https://www.linkedin.com/company/acme", ABOUT,
         "https://www.linkedin.com/company/acme", 0.8),
        ("twitter", "https://twitter.com/acme", ABOUT, "https://twitter.com/acme", 0.7),
    ]


def test_missing_values_give_no_suggestion_and_the_plain_description_stands_in_for_open_graphs():
    org = {"@type": "Organization", "name": "Acme", "description": "", "address": {
        "addressLocality": "Austin", "addressCountry": {"@value": "US"}}}  # a country without a name: none
    page = PageData(ABOUT, meta={"description": "Plain description"}, jsonld=[org], emails=["info@acme.test"],
                    socials={"linkedin": ["https://www.linkedin.com/in/jane"]})
    assert rows(company_rules(page, "acme.test")) == [
        ("company", "Acme", ABOUT, "Acme", 0.9),
        ("city", "Austin", ABOUT, "Austin", 0.6),
        ("company_description", "Plain description", ABOUT, "Plain description", 0.7),
        ("company_email", "info@acme.test", ABOUT, "info@acme.test", 0.75),
    ]
    # without a domain no address on the page is the company's
    assert rows(company_rules(PageData(ABOUT, emails=["info@acme.test"]), None)) == []


def _org_rows(org):
    return [r for r in rows(company_rules(PageData(ABOUT, jsonld=[org]), "acme.test")) if r[0] != "company"]


def test_the_industry_is_the_specific_schema_type_when_none_is_written():
    assert _org_rows({"@type": ["Organization", "RoofingContractor"], "name": "A"}) == [
        ("industry", "Roofing contractor", ABOUT, "RoofingContractor", 0.7)]
    assert _org_rows({"@type": "Organization", "name": "A"}) == []  # a generic type is no industry


@pytest.mark.parametrize(("size", "expected"), [
    (1, [("company_size", "1", ABOUT, "1", 0.7)]), ("0", []), (0, []),
    (4_999_999, [("company_size", "4999999", ABOUT, "4999999", 0.7)]), (5_000_000, []), ("25 staff", []),
    (None, [])])
def test_the_company_size_is_a_whole_number_from_1_to_4999999(size, expected):
    assert _org_rows({"@type": "Organization", "name": "A", "numberOfEmployees": size}) == expected


def test_addresses_are_read_from_a_dict_or_the_first_of_a_list_and_a_country_as_its_code():
    base = {"@type": "Organization", "name": "A"}
    assert _org_rows({**base, "address": []}) == []
    assert _org_rows({**base, "address": [{"addressLocality": "Austin"}, {"addressLocality": "Dallas"}]}) == [
        ("city", "Austin", ABOUT, "Austin", 0.6)]
    assert _org_rows({**base, "address": {"addressRegion": "Bavaria", "addressCountry": "Germany"}}) == [
        ("region", "Bavaria", ABOUT, "Bavaria", 0.6), ("country", "DE", ABOUT, "Germany", 0.6)]


def test_json_ld_values_are_read_from_lists_and_nodes():
    assert _text(["Acme", "Other"]) == "Acme"
    assert _text([]) == ""
    assert _text({"name": "Acme", "@value": "Other"}) == "Acme"
    assert _text({"@value": "Acme"}) == "Acme"
    assert _text({"name": "Acme"}) == "Acme"
    assert _text({}) == ""
    assert _text(None) == ""
    assert _text("  Acme \n Roofing ") == "Acme Roofing"


def test_a_person_page_gives_the_role_profiles_phone_and_work_email_of_that_person_only():
    jane = {"@type": "Person", "name": "Jane Doe", "jobTitle": "Head of Marketing", "telephone": "(512) 555-0142",
            "sameAs": ["https://www.linkedin.com/in/jane-doe", "https://www.facebook.com/jane"],
            "email": "mailto:Jane@Acme.test"}
    again = {"@type": "Person", "name": "jane  DOE", "sameAs": "https://linkedin.com/in/jdoe"}
    john = {"@type": "Person", "name": "John Roe", "jobTitle": "Owner"}
    page = PageData(TEAM, text="Team\nJane Doe - Head of Marketing", jsonld=[jane, again, john],
                    links=[Link("https://acme.test/jane", "Jane Doe"),
                           Link("https://www.linkedin.com/in/someone", "Someone"),
                           Link("https://www.linkedin.com/in/jane-doe", "Jane  Doe")])
    assert rows(person_rules(page, JANE)) == [
        ("job_title", "Head of Marketing", TEAM, "Head of Marketing", 0.9),
        ("linkedin", "https://www.linkedin.com/in/jane-doe", TEAM, "https://www.linkedin.com/in/jane-doe", 0.85),
        ("phone", "+15125550142", TEAM, "(512) 555-0142", 0.8),
        ("email", "jane@acme.test", TEAM, "jane@acme.test", 0.85),
        ("linkedin", "https://linkedin.com/in/jdoe", TEAM, "https://linkedin.com/in/jdoe", 0.85),
        ("job_title", "Head of Marketing", TEAM, "Jane Doe - Head of Marketing", 0.6),
        ("linkedin", "https://www.linkedin.com/in/jane-doe", TEAM, "https://www.linkedin.com/in/jane-doe", 0.75),
    ]


def test_without_a_first_and_a_last_name_no_person_is_looked_for():
    page = PageData(TEAM, text="Jane - Owner", jsonld=[{"@type": "Person", "name": "Jane", "jobTitle": "Owner"}])
    assert person_rules(page, Person("Jane", None, None, "acme.test")) == []
    assert person_rules(page, Person(None, "Jane", None, "acme.test")) == []


@pytest.mark.parametrize(("email", "person", "expected"), [
    ("jane@acme.test", JANE, [("email", "jane@acme.test")]),
    ("jane@acme.test", Person("Jane", "Doe", "jane@home.test", "acme.test"), []),  # an email already known
    ("jane@gmail.com", JANE, []),  # not at the company's domain
    ("jane@notacme.test", JANE, []),
    ("jane@acme.test", Person("Jane", "Doe", None, None), []),  # no company domain to check against
    ("", JANE, []),
])
def test_a_persons_email_is_suggested_only_at_the_company_domain_and_when_none_is_known(email, person, expected):
    page = PageData(TEAM, jsonld=[{"@type": "Person", "name": "Jane Doe", "email": email}])
    assert [(s.field, s.value) for s in person_rules(page, person)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Jane Doe\nOwner", ("Owner", "Jane Doe Owner")),  # the title on the next line
    ("Founder\nJane Doe", None),  # the name on the last line: the line before is not read
    ("Jane Doe\nabout us\nOwner", None),  # only the very next line
    ("Jane Doe - Owner, ask Jane Doe", ("Owner, ask Jane Doe", "Jane Doe - Owner, ask Jane Doe")),  # first mention
    ("Jane Doe: Owner XX", ("Owner XX", "Jane Doe: Owner XX")),
    ("Jane Doe, hello there", None),  # no title word
    ("Jane Doe | Owner " + "x" * 54, ("Owner " + "x" * 54, "Jane Doe | Owner " + "x" * 54)),  # 60 characters
    ("Jane Doe | Owner " + "x" * 55, None),  # 61 characters
    ("Jane Doe", None),
])
def test_a_title_is_read_after_the_name_or_on_the_next_line(text, expected):
    got = rows(person_rules(PageData(TEAM, text=text), JANE))
    assert got == ([] if expected is None else [("job_title", expected[0], TEAM, expected[1], 0.6)])


def test_the_pages_worth_reading_are_one_about_one_team_one_contact_never_the_home_page():
    home = PageData("https://acme.test/", links=[
        Link("https://acme.test/", "About"), Link("https://acme.test", "About"), Link("https://acme.test/blog", "Blog"),
        Link("https://other.test/about", "About"), Link("https://acme.test/more", "About"),
        Link("https://acme.test/our-people#top#x", "x"), Link("https://acme.test/Contact-Us", "write")])
    assert pick_pages(home, "acme.test") == ["https://acme.test/more", "https://acme.test/our-people",
                                             "https://acme.test/Contact-Us"]
    # a page is chosen once even when it would fit two kinds
    assert pick_pages(PageData("https://acme.test/", links=[Link("https://acme.test/about", "Team")]),
                      "acme.test") == ["https://acme.test/about"]
    # the home page is recognised whatever its last letter
    assert pick_pages(PageData("https://acme.test/INDEX", links=[Link("https://acme.test/INDEX", "About")]),
                      "acme.test") == []


def test_a_site_is_its_domain_and_its_subdomains():
    assert same_site("https://acme.test/x", "acme.test")
    assert same_site("https://www.acme.test/x", "acme.test")
    assert same_site("https://blog.acme.test/x", "acme.test")
    assert not same_site("https://notacme.test/x", "acme.test")
    assert not same_site("https://acme.test/x", None)
    assert not same_site("mailto:jane@xxxx", "xxxx")  # a URL without a host is on no site


# Module-level tables (mutmut 3 does not mutate them): written out here.

TITLES = ["owner", "founder", "co-founder", "ceo", "cto", "cfo", "coo", "cmo", "chief", "president", "vice president",
          "vp", "director", "head", "manager", "lead", "partner", "principal", "officer", "engineer", "coordinator",
          "specialist", "estimator", "foreman", "supervisor", "consultant", "marketing", "sales", "operations",
          "administrator", "assistant", "associate", "analyst", "designer", "developer"]


def test_every_title_word_makes_the_text_beside_a_name_a_title_in_any_case():
    for word in TITLES:
        for spelt in (word, word.upper()):
            assert rows(person_rules(PageData(TEAM, text=f"Jane Doe, {spelt} here"), JANE)) == [
                ("job_title", f"{spelt} here", TEAM, f"Jane Doe, {spelt} here", 0.6)], spelt
    # a title word inside another word is none
    for text in ("Jane Doe, leadership", "Jane Doe, overhead", "Jane Doe, salesforce", "Jane Doe, hello"):
        assert person_rules(PageData(TEAM, text=text), JANE) == [], text


HINTS = {"about": ["about", "company", "who-we-are", "our-story"],
         "team": ["team", "people", "staff", "leadership", "our-team", "management"],
         "contact": ["contact", "get-in-touch", "locations"]}


def test_every_path_hint_and_link_text_picks_its_kind_of_page():
    for kind, hints in HINTS.items():
        for hint in hints:
            by_path = PageData("https://acme.test/", links=[Link(f"https://acme.test/x/{hint.upper()}-1", "x")])
            by_text = PageData("https://acme.test/", links=[Link("https://acme.test/p", hint.upper())])
            assert pick_pages(by_path, "acme.test") == [f"https://acme.test/x/{hint.upper()}-1"], (kind, hint)
            assert pick_pages(by_text, "acme.test") == ["https://acme.test/p"], (kind, hint)
    for text in ("Blog", "Services", "Home", "about us"):
        assert pick_pages(PageData("https://acme.test/", links=[Link("https://acme.test/p", text)]),
                          "acme.test") == [], text


def test_generic_schema_types_are_no_industry():
    for generic in ("Organization", "Corporation", "LocalBusiness", "Company", "WebSite", "WebPage", "Thing"):
        assert _org_rows({"@type": ["Organization", generic], "name": "A"}) == [], generic
    assert _org_rows({"@type": ["Organization", "Dentist"], "name": "A"}) == [
        ("industry", "Dentist", ABOUT, "Dentist", 0.7)]
    assert _org_rows({"@type": ["Organization", "https://schema.org/HVACBusiness"], "name": "A"}) == [
        ("industry", "HVACBusiness", ABOUT, "HVACBusiness", 0.7)]
