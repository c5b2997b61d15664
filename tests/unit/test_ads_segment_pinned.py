"""Ad targeting from a segment (domain/ads_segment.py), each answer written out: company-size bands, place and label
spelling, what is counted, how many of each suggestion are shown and in which order, and the search keywords."""

from __future__ import annotations

from domain.ads_segment import (
    ProfileBuilder,
    SegmentProfile,
    brief_phrase,
    build_profile,
    region_name,
    size_band,
    suggest_targeting,
)


def test_company_sizes_are_linkedins_bands():
    given = [None, "", "1,200", "12,000", "11-50", "11 to 50", "500+", "500 +", "51 TO 200", "a few"]
    assert [size_band(v) for v in given] == [None, None, "1001-5000", "10001+", "11-50", "11-50", "201-500",
                                             "201-500", None, None]


def test_places_labels_and_tags_are_counted_as_people_write_them():
    rows = [{"city": "austin", "region": "TX", "job_title": "sales   manager", "tags": ["Roofer", " ", "roofer "]},
            {"city": "Dallas", "region": "", "tags": []},  # a city with no region: the city alone
            {"city": "", "region": "  New   York ", "tags": None}]  # a region with no city: no city
    profile = build_profile(rows)
    assert profile.cities == [("Austin, Texas", 1), ("Dallas", 1)]
    assert profile.regions == [("New York", 1), ("Texas", 1)]
    assert profile.job_titles == [("Sales manager", 1)] and profile.tags == [("roofer", 1)]
    assert region_name("  new   york ") == "new york"


def test_grouped_tags_add_up_and_ties_are_alphabetical():
    builder = ProfileBuilder()
    for tag, contacts in (("vip", 2), ("VIP ", 3), (None, 4), ("", 1), ("solar", 5), ("hvac", 5)):
        builder.add_tag(tag, contacts)
    assert builder.profile().tags == [("hvac", 5), ("solar", 5), ("vip", 5)]


def test_the_brief_gives_its_first_three_content_words():
    assert brief_phrase("free drone roof inspections near you") == "drone roof inspections"
    assert brief_phrase("draft google ads for roofers") == ""  # an instruction names the audience
    assert brief_phrase(None) == ""


PLACES = SegmentProfile(
    total=6,
    cities=[("Austin, Texas", 3), ("Dallas, Texas", 2), ("Houston, Texas", 1), ("El Paso, Texas", 1),
            ("Waco, Texas", 1), ("Tyler, Texas", 1)],
    regions=[("Texas", 6), ("Oklahoma", 1), ("Kansas", 1), ("Iowa", 1), ("Ohio", 1), ("Utah", 1)],
    countries=[("US", 6), ("CA", 1), ("MX", 1), ("GB", 1)],
    industries=[("Roofing", 5), ("Solar", 4), ("Plumbing", 3), ("HVAC", 2)],
    company_sizes=[("11-50", 4)],
    tags=[(f"tag{n}", 12 - n) for n in range(12)])


def test_locations_are_five_cities_five_regions_three_countries():
    out = suggest_targeting("linkedin", PLACES)
    assert [loc["value"] for loc in out["locations"]] == [
        "Austin, Texas", "Dallas, Texas", "Houston, Texas", "El Paso, Texas", "Waco, Texas",
        "Texas", "Oklahoma", "Kansas", "Iowa", "Ohio", "US", "CA", "MX"]
    assert set(out) == {"audience", "locations", "industries", "company_sizes", "job_titles"}
    assert out["industries"][0] == {"value": "Roofing", "contacts": 5} and out["audience"] == 6


def test_interests_are_the_top_ten_of_industries_and_tags():
    interests = suggest_targeting("facebook", PLACES)["interests"]
    assert [(i["value"], i["contacts"]) for i in interests] == [
        ("Tag0", 12), ("Tag1", 11), ("Tag2", 10), ("Tag3", 9), ("Tag4", 8), ("Tag5", 7), ("Tag6", 6),
        ("Roofing", 5), ("Tag7", 5), ("Solar", 4)]


def test_search_keywords_from_industries_places_and_the_brief():
    keywords = suggest_targeting("google", PLACES, "drone roof inspections")["keywords"]
    phrase = "drone roof inspections"
    assert [(k["value"], k["contacts"]) for k in keywords] == [
        (phrase, 6), ("roofing", 5), ("roofing texas", 5), ("solar", 4), ("solar texas", 4),
        ("roofing austin", 3), ("solar austin", 3), ("plumbing", 3), ("plumbing austin", 3), ("plumbing texas", 3),
        (f"{phrase} austin", 3), ("roofing dallas", 2), ("solar dallas", 2), ("plumbing dallas", 2),
        (f"{phrase} dallas", 2), ("roofing houston", 1), ("roofing oklahoma", 1), ("solar houston", 1),
        ("solar oklahoma", 1), ("plumbing houston", 1)]  # 21 found, the first 20 kept
    assert not [k for k in suggest_targeting("google", PLACES)["keywords"] if k["value"].startswith("xxxx")]


def test_without_industries_the_keywords_are_the_brief_and_the_tags():
    profile = SegmentProfile(total=7, cities=[("Austin, Texas", 3), ("Dallas, Texas", 2), ("Houston, Texas", 1)],
                             tags=[("roofer", 6), ("vip", 5), ("solar", 4), ("hvac", 3), ("plumber", 2), ("news", 1)])
    keywords = suggest_targeting("google", profile, "Drone roof inspections")["keywords"]
    assert [(k["value"], k["contacts"]) for k in keywords] == [
        ("drone roof inspections", 7), ("roofer", 6), ("vip", 5), ("solar", 4), ("drone roof inspections austin", 3),
        ("hvac", 3), ("drone roof inspections dallas", 2), ("plumber", 2)]
