"""Ad copy rules (domain/ads.py), each answer written out: the platforms' character limits as FIELD.md section 6 states
them (Google responsive search ads: headlines 30, descriptions 90, display paths 15; Meta: primary text 125 shown
of at most 2,200, headline 40, description 30; LinkedIn: intro 150 shown of at most 600, headline 70 of 200,
description 100 of 300), the whole violation (field, position, severity, reason, length, limit) on both sides of
each limit, the platform names, status changes, repairs with their notes, and edits."""

from __future__ import annotations

import pytest

from domain.ads import (
    AdRuleError,
    Violation,
    apply_edit,
    check_status_change,
    clean,
    errors,
    is_valid,
    is_web_url,
    lengths,
    normalise_platform,
    normalise_variant,
    repair_variant,
    shorten,
    slug,
    spec,
    validate_variant,
)

SHOWN = "characters; only the first {} are shown before it is truncated"
RSA = {"headlines": ["One", "Two", "Three"], "descriptions": ["Desc one", "Desc two"]}


def err(field, reason, index=None, length=None, limit=None):
    return Violation(field, index, "error", reason, length, limit)


def too_long(field, size, limit, index=None):
    return err(field, f"is {size} characters; the platform allows at most {limit}", index, size, limit)


def truncated(field, size, limit):
    return Violation(field, None, "warning", f"is {size} {SHOWN.format(limit)}", size, limit)


# --- the limits, on both sides ---------------------------------------------------------------------------------------

def test_google_headlines_30_descriptions_90_paths_15_are_hard_limits():
    at = {"headlines": ["a" * 30, "b" * 30, "c" * 30], "descriptions": ["d" * 90, "e" * 90],
          "path1": "p" * 15, "path2": "q" * 15}
    assert validate_variant("google", at) == []
    over = {"headlines": ["a" * 30, "b" * 31, "c" * 30], "descriptions": ["d" * 91, "e" * 90],
            "path1": "p" * 16, "path2": "q" * 15}
    assert validate_variant("google", over) == [too_long("headlines", 31, 30, 1), too_long("descriptions", 91, 90, 0),
                                                too_long("path1", 16, 15)]
    assert [(s.name, s.limit, s.hard_max, s.min_count, s.max_count) for s in (
        spec("google", "headlines"), spec("google", "descriptions"), spec("google", "path1"),
        spec("google", "path2"))] == [("headlines", 30, 30, 3, 15), ("descriptions", 90, 90, 2, 4),
                                      ("path1", 15, 15, 0, 1), ("path2", 15, 15, 0, 1)]


def test_meta_primary_text_125_of_2200_headline_40_description_30():
    assert validate_variant("facebook", {"primary_text": "a" * 125, "headline": "h" * 40,
                                         "description": "d" * 30}) == []
    assert validate_variant("facebook", {"primary_text": "a" * 126, "headline": "h" * 41, "description": "d" * 31}) == [
        truncated("primary_text", 126, 125), truncated("headline", 41, 40), truncated("description", 31, 30)]
    # 2,200 is Meta's maximum; the headline and description have none documented: only a warning, however long
    assert validate_variant("facebook", {"primary_text": "a" * 2200, "headline": "h" * 5000}) == [
        truncated("primary_text", 2200, 125), truncated("headline", 5000, 40)]
    assert validate_variant("facebook", {"primary_text": "a" * 2201, "headline": "h"}) == [
        too_long("primary_text", 2201, 2200)]


def test_linkedin_intro_150_of_600_headline_70_of_200_description_100_of_300():
    assert validate_variant("linkedin", {"intro": "a" * 150, "headline": "h" * 70, "description": "d" * 100}) == []
    assert validate_variant("linkedin", {"intro": "a" * 151, "headline": "h" * 71, "description": "d" * 101}) == [
        truncated("intro", 151, 150), truncated("headline", 71, 70), truncated("description", 101, 100)]
    assert validate_variant("linkedin", {"intro": "a" * 600, "headline": "h" * 200, "description": "d" * 300}) == [
        truncated("intro", 600, 150), truncated("headline", 200, 70), truncated("description", 300, 100)]
    assert validate_variant("linkedin", {"intro": "a" * 601, "headline": "h" * 201, "description": "d" * 301}) == [
        too_long("intro", 601, 600), too_long("headline", 201, 200), too_long("description", 301, 300)]


def test_lengths_are_counted_in_characters_not_bytes():
    assert validate_variant("facebook", {"primary_text": "é" * 125, "headline": "👍" * 40}) == []
    assert lengths("google", {"headlines": ["Café", "ab"], "path1": "é"}) == {
        "headlines": [4, 2], "descriptions": [], "path1": 1, "path2": 0}
    assert lengths("linkedin", {"intro": "abc", "headline": None}) == {"intro": 3, "headline": 0, "description": 0}


# --- counts, required fields, the other rules --------------------------------------------------------------------------

def test_required_fields_and_list_counts():
    assert validate_variant("google", {}) == [err("headlines", "needs at least 3, has 0"),
                                              err("descriptions", "needs at least 2, has 0")]
    assert validate_variant("facebook", {}) == [err("primary_text", "is required"), err("headline", "is required")]
    assert validate_variant("linkedin", {"intro": "", "headline": None}) == [
        err("intro", "is required"), err("headline", "is required")]
    # 3 and 15 headlines, 2 and 4 descriptions are allowed; 16 and 5 are not
    assert validate_variant("google", {"headlines": [f"H{i}" for i in range(15)],
                                       "descriptions": ["D1", "D2", "D3", "D4"]}) == []
    assert validate_variant("google", {"headlines": [f"H{i}" for i in range(16)],
                                       "descriptions": ["D1", "D2", "D3", "D4", "D5"]}) == [
        err("headlines", "allows at most 15, has 16"), err("descriptions", "allows at most 4, has 5")]
    assert validate_variant("google", {"headlines": ["One", "Two"], "descriptions": ["D1"]}) == [
        err("headlines", "needs at least 3, has 2"), err("descriptions", "needs at least 2, has 1")]


def test_blank_and_repeated_list_items():
    found = validate_variant("google", {"headlines": ["One", " ", "ONE", "Two", "one"], "descriptions": ["D1", "D2"]})
    assert found == [err("headlines", "is empty", 1), err("headlines", "repeats an earlier one (each must be unique)", 2),
                     err("headlines", "repeats an earlier one (each must be unique)", 4)]
    assert [v.describe() for v in found] == ["headlines 2: is empty",
                                             "headlines 3: repeats an earlier one (each must be unique)",
                                             "headlines 5: repeats an earlier one (each must be unique)"]
    assert validate_variant("facebook", {"primary_text": "  ", "headline": "h"}) == [err("primary_text", "is empty")]


def test_google_headlines_paths_and_the_final_url():
    bang = err("headlines", "has '!' (Google does not allow it in headlines)", 0)
    assert validate_variant("google", {**RSA, "headlines": ["Wow!", "Two", "Three"]}) == [bang]
    assert validate_variant("google", {**RSA, "descriptions": ["Great!", "Fine"]}) == []  # descriptions may
    assert validate_variant("google", {**RSA, "path2": "texas"}) == [err("path2", "needs path1 first")]
    assert validate_variant("google", {**RSA, "path1": "roofing", "path2": "texas"}) == []
    no_space = "may not contain spaces or '/'; join words with '-'"
    assert validate_variant("google", {**RSA, "path1": "a b", "path2": "c/d"}) == [err("path1", no_space),
                                                                                  err("path2", no_space)]
    assert validate_variant("google", {**RSA, "path1": "a-b", "path2": "c\td"}) == [err("path2", no_space)]
    bad_url = err("final_url", "must be an http(s) address like https://example.com/offer")
    for url in ("ftp://example.com", "example.com", "https://localhost/offer"):
        assert validate_variant("google", {**RSA, "final_url": url}) == [bad_url]
    assert validate_variant("facebook", {"primary_text": "x", "headline": "y", "final_url": "nope"}) == [bad_url]
    assert validate_variant("google", {**RSA, "final_url": "http://example.com"}) == []


def test_linkedin_copy_may_not_name_linkedin_in_any_spelling():
    named = "names LinkedIn, which LinkedIn ads may not do"
    for name in ("LinkedIn", "LINKEDIN", "linked in", "Linked-In", "Linked - in"):
        assert validate_variant("linkedin", {"intro": f"Tips on {name}", "headline": name, "description": name}) == [
            err("intro", named), err("headline", named), err("description", named)]
    for word in ("linkedinx", "mylinkedin"):
        assert validate_variant("linkedin", {"intro": word, "headline": "h"}) == []
    # other platforms may say it
    assert validate_variant("facebook", {"primary_text": "Find us on LinkedIn", "headline": "h"}) == []


def test_web_addresses():
    assert [is_web_url(u) for u in ("https://example.com", "http://example.com/x", "HTTPS://EXAMPLE.COM",
                                    "https://example", "mailto:a@b.co", "", "https://1.2.3.4",
                                    "https://user@example.com")] == [True, True, True, False, False, False, True, True]


def test_errors_and_validity():
    warning, error = Violation("a", None, "warning", "x"), Violation("b", None, "error", "y")
    assert errors([warning, error]) == [error]
    assert is_valid([]) is True and is_valid([warning]) is False
    assert Violation("headlines", 0, "error", "r").describe() == "headlines 1: r"
    assert Violation("path1", None, "error", "r").describe() == "path1: r"


# --- names, statuses, fields ---------------------------------------------------------------------------------------------

def test_platform_names():
    named = {"Meta": "facebook", "fb": "facebook", "Instagram": "facebook", "FACEBOOK": "facebook",
             "google": "google", "Google Ads": "google", " google_ads ": "google", "AdWords": "google",
             "RSA": "google", "search": "google", "LinkedIn": "linkedin", "li": "linkedin", "Linked  In": "linkedin",
             "linked_in": "linkedin"}
    assert {name: normalise_platform(name) for name in named} == named
    for name, shown in ((None, "None"), ("", "''"), ("tiktok", "'tiktok'")):
        with pytest.raises(AdRuleError) as caught:
            normalise_platform(name)
        assert str(caught.value) == f"unknown ad platform {shown}: use google, facebook (meta) or linkedin"


def test_status_changes_written_out():
    allowed = {("draft", "active"), ("draft", "ended"), ("active", "paused"), ("active", "ended"),
               ("paused", "active"), ("paused", "ended")}
    statuses = ("draft", "active", "paused", "ended")
    for current in statuses:
        for new in statuses:
            if new == current or (current, new) in allowed:
                assert check_status_change(current, new) == new
            else:
                with pytest.raises(AdRuleError) as caught:
                    check_status_change(current, new)
                assert str(caught.value) == f"an ad campaign that is {current} cannot become {new}"
    with pytest.raises(AdRuleError) as caught:
        check_status_change("draft", "archived")
    assert str(caught.value) == "unknown status 'archived': use one of draft, active, paused, ended"


def test_field_names():
    assert spec("facebook", "headline").limit == 40
    with pytest.raises(AdRuleError) as caught:
        spec("google", "headline")
    assert str(caught.value) == ("google ads have no field 'headline': the fields are headlines, descriptions, path1, "
                                 "path2, final_url")
    with pytest.raises(AdRuleError) as caught:
        normalise_variant("google", {"title": "y", "headline": "x", "lengths": [1]})
    assert str(caught.value) == ("google ads have no fields headline, title: the fields are descriptions, final_url, "
                                 "headlines, path1, path2")
    with pytest.raises(AdRuleError) as caught:
        normalise_variant("facebook", {"title": "y"})
    assert str(caught.value) == ("facebook ads have no field title: the fields are description, final_url, headline, "
                                 "primary_text")


def test_normalised_variants():
    assert clean(None) == "" and clean(0) == "" and clean(" a\t\nb ") == "a b" and clean(5) == "5"
    assert normalise_variant("google", {"headlines": " One  two ", "descriptions": ["a", " ", "", None, " b  c"],
                                        "path1": ["x  y", "z"], "final_url": " https://e.com ", "lengths": {}}) == {
        "headlines": ["One two"], "descriptions": ["a", "b c"], "path1": "x y", "path2": "", "final_url": "https://e.com"}
    assert normalise_variant("linkedin", {"headline": []}) == {"intro": "", "headline": "", "description": "",
                                                                "final_url": ""}


# --- repair -----------------------------------------------------------------------------------------------------------------

def test_shorten_written_out():
    assert shorten("  a   b  ", 3) == "a b"
    assert shorten("", 0) == "" and shorten("  ", 5) == ""  # a text that fits is given back, even an empty one
    # whole sentences when they keep at least half the room (8 of 16), else whole words
    assert shorten("One two. Three four five six seven.", 16) == "One two."
    assert shorten("One two. Three four five six seven.", 17) == "One two. Three"
    assert shorten("Hi there! Big news? Yes.", 19) == "Hi there! Big news?"
    assert shorten("We fix roofs. Call on. More text here.", 22) == "We fix roofs. Call on."  # exactly 22
    # no dangling small word or mark at the end, even with a comma or colon after it
    assert shorten("Roof tiles for: more", 15) == "Roof tiles"
    assert shorten("Roof and, tile for: more", 17) == "Roof and, tile"
    assert shorten("Roofing - the best", 10) == "Roofing"
    assert shorten("Roofing, tiles; more", 15) == "Roofing, tiles"
    assert shorten("Roofing, tiles; more", 14) == "Roofing"
    assert shorten("Roofs, tiles; more", 13) == "Roofs, tiles"
    assert shorten("Big roofs & more", 11) == "Big roofs"
    assert shorten("Roofs | Tiles", 8) == "Roofs"
    assert shorten("Grow 10X and more", 8) == "Grow 10X"
    assert shorten("Go. Now is the time for all", 10) == "Go. Now"
    assert shorten("abc def", 7) == "abc def" and shorten("abc def", 6) == "abc"
    assert shorten("abcdef", 5) is None and shorten("and the a", 5) is None


def test_slugs_join_words_with_hyphens():
    assert slug("Roof Repair Texas", 15) == "Roof-Repair"
    assert slug("roof/repair_texas area", 20) == "roof-repair-texas"
    assert slug("a-b  c", 10) == "a-b-c"
    assert slug("Roof-Repair-Texas", 15) == "Roof-Repair"
    assert slug("Supercalifragilistic", 10) == ""


def test_repair_of_a_google_ad_says_what_it_changed():
    broken = {"headlines": ["Big News!", "big news", "Roofing Pros in Texas Who Really Care",
                            "Supercalifragilisticexpialidocious-Wonderful"],
              "descriptions": ["Desc one"], "path1": "", "path2": "Roof Repair Texas Area"}
    fixed, notes = repair_variant("google", broken, fallback={"headlines": ["Big News", "Extra One", "Extra Two"],
                                                              "descriptions": ["Desc one", "Desc two", "Desc three"]})
    assert fixed == {"headlines": ["Big News", "Roofing Pros in Texas Who", "Extra One"],
                     "descriptions": ["Desc one", "Desc two"], "path1": "Roof-Repair", "path2": "", "final_url": ""}
    assert notes == [
        "headlines 1: 'Big News!' -> 'Big News'",
        "headlines 2: duplicate 'big news' dropped",
        "headlines 3: 'Roofing Pros in Texas Who Really Care' -> 'Roofing Pros in Texas Who'",
        "headlines 4: 'Supercalifragilisticexpialidocious-Wonderful' could not be shortened without cutting a word; "
        "dropped",
        "headlines: added 'Extra One' from the template to reach 3",
        "descriptions: added 'Desc two' from the template to reach 2",
        "path2: 'Roof Repair Texas Area' -> 'Roof-Repair'",
        "path1: moved path2 into path1",
    ]


def test_repair_caps_lists_at_15_headlines_and_slugs_paths():
    fixed, notes = repair_variant("google", {"headlines": [f"H{i}" for i in range(17)], "descriptions": ["a", "b"],
                                             "path1": "Roof Repair Texas", "path2": "a/b"})
    assert fixed == {"headlines": [f"H{i}" for i in range(15)], "descriptions": ["a", "b"], "path1": "Roof-Repair",
                     "path2": "a-b", "final_url": ""}
    assert notes == ["headlines: kept the first 15 of 17", "path1: 'Roof Repair Texas' -> 'Roof-Repair'",
                     "path2: 'a/b' -> 'a-b'"]
    # exactly 15 headlines are kept as they are; descriptions keep their '!'
    exactly = {"headlines": [f"H{i}" for i in range(15)], "descriptions": ["Great!", "Fine!"]}
    assert repair_variant("google", exactly) == ({**exactly, "path1": "", "path2": "", "final_url": ""}, [])


def test_repair_of_meta_and_linkedin_copy():
    fixed, notes = repair_variant(
        "facebook", {"primary_text": "", "headline": "A headline of more than forty characters in all"},
        fallback={"primary_text": "From template", "headline": "T", "description": "D"})
    assert fixed == {"primary_text": "From template", "headline": "A headline of more than forty characters",
                     "description": "", "final_url": ""}  # an optional description is not filled
    assert notes == ["primary_text: was missing, filled from the template",
                     "headline: 'A headline of more than forty characters in all' -> "
                     "'A headline of more than forty characters'"]
    assert repair_variant("facebook", {"primary_text": "", "headline": "y"}, fallback={"primary_text": ""}) == (
        {"primary_text": "", "headline": "y", "description": "", "final_url": ""}, [])
    assert repair_variant("facebook", {"primary_text": "Wow!", "headline": "Roofs!"}) == (
        {"primary_text": "Wow!", "headline": "Roofs!", "description": "", "final_url": ""}, [])
    fixed, notes = repair_variant("linkedin", {"intro": "Follow us on LinkedIn", "headline": "LinkedIn"})
    assert fixed == {"intro": "Follow us", "headline": "", "description": "", "final_url": ""}
    assert notes == ["intro: 'Follow us on LinkedIn' -> 'Follow us'",
                     "headline: 'LinkedIn' could not be shortened without cutting a word; dropped"]
    for said, left in (("LinkedIn tips for you", "tips for you"), ("Tips via Linked-In.", "Tips."),
                       ("Our LinkedIn's best", "Our best"), ("Follow at linkedin, now", "Follow, now"),
                       ("tips from LINKED IN", "tips"), ("LinkedIn: tips for roofers", "tips for roofers"),
                       ("on LinkedIn, roofers grow", "roofers grow"), ("Tips - on LinkedIn", "Tips"),
                       ("Grow 10X on LinkedIn", "Grow 10X")):
        assert repair_variant("linkedin", {"intro": said, "headline": "h"})[0]["intro"] == left
    # only LinkedIn copy loses the name; only Google headlines lose '!'
    assert repair_variant("facebook", {"primary_text": "On LinkedIn!", "headline": "h"})[1] == []


def test_edits_written_out():
    ad = {"headlines": ["A", "B", "C"], "descriptions": ["D1", "D2"], "path1": "p", "final_url": "https://e.com"}
    assert apply_edit("google", ad, "final_url", "  https://x.com/a  ") == {**ad, "final_url": "https://x.com/a"}
    assert apply_edit("google", ad, "headlines", ["X", "Y"]) == {**ad, "headlines": ["X", "Y"]}
    assert apply_edit("google", ad, "path1", "  a  b ") == {**ad, "path1": "a b"}
    assert apply_edit("google", ad, "headlines.1", "  New  one ") == {**ad, "headlines": ["New one", "B", "C"]}
    assert apply_edit("google", ad, "headlines.3", "") == {**ad, "headlines": ["A", "B"]}
    assert apply_edit("google", ad, "headlines.4", "D") == {**ad, "headlines": ["A", "B", "C", "D"]}
    assert apply_edit("google", {}, "headlines.1", "First") == {"headlines": ["First"]}
    assert ad == {"headlines": ["A", "B", "C"], "descriptions": ["D1", "D2"], "path1": "p",
                  "final_url": "https://e.com"}  # the given variant is not changed
    for key, message in (("path1.1", "'path1.1': only list fields take a position, like headlines.3"),
                         ("headlines.x", "'headlines.x': only list fields take a position, like headlines.3"),
                         ("headlines.0", "'headlines.0': there are 3 headlines; use 1 to 4"),
                         ("headlines.5", "'headlines.5': there are 3 headlines; use 1 to 4")):
        with pytest.raises(AdRuleError) as caught:
            apply_edit("google", ad, key, "v")
        assert str(caught.value) == message
