"""Ad copy rules: limits per platform with reasons, lengths, word-boundary repair, edits, metrics parsing."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain import ads_metrics as m
from domain.ads import (
    _DANGLING,
    AdRuleError,
    apply_edit,
    check_status_change,
    errors,
    lengths,
    normalise_platform,
    normalise_variant,
    repair_variant,
    shorten,
    validate_variant,
)

GOOD_RSA = {"headlines": ["Roofing Pros in Texas", "Built for Roofing Teams", "Get Started Today"],
            "descriptions": ["Made for roofing businesses in Texas. Get started today.", "Book a call in minutes."],
            "path1": "roofing", "path2": "texas", "final_url": "https://example.com/roofing"}


def reasons(platform, variant):
    return [v.describe() for v in validate_variant(platform, variant)]


def test_a_good_responsive_search_ad_has_no_violation_and_reports_lengths():
    assert validate_variant("google", GOOD_RSA) == []
    assert lengths("google", GOOD_RSA) == {"headlines": [21, 23, 17], "descriptions": [56, 23], "path1": 7,
                                           "path2": 5}


def test_google_limits_each_give_a_reason():
    bad = {**GOOD_RSA, "headlines": ["A headline that is far too long to fit", "Same", "same", "Wow!"],
           "descriptions": ["Only one"], "path1": "", "path2": "texas roofing"}
    found = reasons("google", bad)
    assert "headlines 1: is 38 characters; the platform allows at most 30" in found
    assert "headlines 3: repeats an earlier one (each must be unique)" in found
    assert "headlines 4: has '!' (Google does not allow it in headlines)" in found
    assert "descriptions: needs at least 2, has 1" in found
    assert "path2: needs path1 first" in found
    assert "path2: may not contain spaces or '/'; join words with '-'" in found
    too_many = {**GOOD_RSA, "headlines": [f"Headline {i}" for i in range(16)]}
    assert "headlines: allows at most 15, has 16" in reasons("google", too_many)


def test_meta_truncation_limits_are_warnings_and_linkedin_may_not_be_named():
    meta = {"primary_text": "x " * 70, "headline": "A headline of more than forty characters!", "description": "ok"}
    found = validate_variant("facebook", {k: v.strip() for k, v in meta.items()})
    assert {v.field for v in found} == {"primary_text", "headline"}
    assert all(v.severity == "warning" for v in found)
    assert "shown before it is truncated" in found[0].reason
    linkedin = {"intro": "Follow us on LinkedIn for tips.", "headline": "Tips", "description": ""}
    assert reasons("linkedin", linkedin) == ["intro: names LinkedIn, which LinkedIn ads may not do"]
    assert errors(validate_variant("linkedin", {"intro": "x" * 601, "headline": "h"}))[0].limit == 600


def test_shorten_keeps_whole_sentences_or_whole_words():
    text = "Free roof inspections for Texas crews. Book today and save on every job this spring."
    assert shorten(text, 40) == "Free roof inspections for Texas crews."
    assert shorten("Grow your roofing business with drone inspections", 30) == "Grow your roofing business"
    assert shorten("Built for teams and", 17) == "Built for teams"  # no dangling "and"
    assert shorten("Supercalifragilisticexpialidocious", 10) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=12), min_size=1, max_size=20),
       st.integers(min_value=12, max_value=90))
def test_shorten_never_exceeds_the_limit_and_never_cuts_a_word(words, limit):
    text = " ".join(words)
    short = shorten(text, limit)
    if short is None:  # not even one meaningful word fits (a first word too long, or only "a"/"and"...)
        fitting = [w for i, w in enumerate(words) if len(" ".join(words[: i + 1])) <= limit]
        assert all(w in _DANGLING for w in fitting)
    else:
        assert len(short) <= limit
        assert all(w in words for w in short.split(" "))
        assert text.startswith(short)


def test_repair_fixes_a_broken_rsa_and_says_what_changed():
    broken = {"headlines": ["Grow Your Texas Roofing Business Faster Today!", "Grow Your Texas Roofing Business",
                            "Built for Roofers"],
              "descriptions": ["We help Texas roofing companies win more jobs with less paperwork. Start your free "
                               "trial today and see results in a week."],
              "path1": "", "path2": "Roof Repair Texas Area"}
    fixed, notes = repair_variant("google", broken, fallback=GOOD_RSA)
    assert validate_variant("google", fixed) == []
    assert fixed["headlines"] == ["Grow Your Texas Roofing", "Built for Roofers", "Roofing Pros in Texas"]
    assert "headlines 2: duplicate 'Grow Your Texas Roofing' dropped" in notes
    assert fixed["descriptions"][0] == "We help Texas roofing companies win more jobs with less paperwork."
    assert fixed["path1"] == "Roof-Repair" and fixed["path2"] == ""
    assert any("from the template" in n for n in notes)


def test_repair_removes_the_linkedin_name():
    fixed, _ = repair_variant("linkedin", {"intro": "Join 500 roofers on LinkedIn who save hours.", "headline": "Hi"})
    assert fixed["intro"] == "Join 500 roofers who save hours."
    assert validate_variant("linkedin", fixed) == []


def test_edits_by_position_and_status_changes():
    edited = apply_edit("google", GOOD_RSA, "headlines.2", "Made for Roofers")
    assert edited["headlines"][1] == "Made for Roofers"
    assert apply_edit("google", GOOD_RSA, "headlines.4", "Fourth")["headlines"][-1] == "Fourth"
    assert len(apply_edit("google", GOOD_RSA, "headlines.1", "")["headlines"]) == 2
    with pytest.raises(AdRuleError, match="use 1 to 4"):
        apply_edit("google", GOOD_RSA, "headlines.9", "x")
    with pytest.raises(AdRuleError, match="no field 'title'"):
        apply_edit("facebook", {}, "title", "x")
    assert check_status_change("draft", "active") == "active"
    with pytest.raises(AdRuleError, match="ended cannot become active"):
        check_status_change("ended", "active")
    assert normalise_platform("Meta") == "facebook"
    with pytest.raises(AdRuleError, match="unknown ad platform"):
        normalise_platform("tiktok")


def test_metrics_parsing_and_ratios():
    assert m.parse_money("$1,234.50") == 1_234_500_000
    assert m.parse_count("1,204", "clicks") == 1204
    assert m.parse_day("Nov 3, 2026", today=date(2026, 11, 29)) == date(2026, 11, 3)
    for bad, match in (("-3", "negative"), ("abc", "not an amount")):
        with pytest.raises(m.MetricsError, match=match):
            m.parse_money(bad)
    with pytest.raises(m.MetricsError, match="in the future"):
        m.parse_day("2026-12-25", today=date(2026, 11, 29))
    with pytest.raises(m.MetricsError, match="cannot exceed impressions"):
        m.check_figures("2026-11-01", 0, 10, 11, 0, today=date(2026, 11, 29))
    assert m.ctr(25, 1000) == 0.025 and m.ctr(1, 0) is None
    assert m.per(10_000_000, 3) == 3_333_333 and m.per(5, 0) is None


def test_normalising_a_model_answer_cleans_whitespace_and_unwraps_lists():
    tidy = normalise_variant("facebook", {"primary_text": "  Roof\n reports  ", "headline": ["Drone reports", "x"]})
    assert tidy == {"primary_text": "Roof reports", "headline": "Drone reports", "description": "", "final_url": ""}
    with pytest.raises(AdRuleError, match="no field"):
        normalise_variant("google", {"headline": "x"})
