"""Offline ad copy (domain/ads_copy.py), each answer written out: title and sentence case, what the segment gives the
templates (industry from a trade tag, the place that half or 90 percent share, the company half the segment works
at, the brief unless it is an instruction), how a template is filled and made to fit (Google headline 30, description
90; Meta primary text 125, headline 40, description 30; LinkedIn intro 150, headline 70, description 100: FIELD.md
section 6), and whole variants for each platform."""

from __future__ import annotations

from domain.ads_copy import (
    GOOGLE_DESCRIPTIONS,
    GOOGLE_HEADLINES,
    LINKEDIN,
    META,
    Slots,
    google_variant,
    render,
    slots_from,
    template_variants,
    title,
)
from domain.ads_segment import SegmentProfile

URL = "https://example.com/roof"
ROOFERS = Slots(industry="Roofing", places=("Texas", "TX"), company="Acme", offer="free drone roof inspections",
                interest="roofers")
NOTHING = Slots(industry=None, places=(), company=None, offer="", interest=None)


def profile(**counts):
    return SegmentProfile(**{"total": 10, **counts})


def test_title_case_keeps_small_words_and_capitals():
    assert [title(t) for t in ("grow your roofing business", "the best of the west", "a", "",
                               "  an  apple for the teacher ", "iPhone and eBay", "SaaS for HVAC")] == [
        "Grow Your Roofing Business", "The Best of the West", "A", "", "An Apple for the Teacher",
        "IPhone and EBay", "SaaS for HVAC"]


def test_the_industry_comes_from_the_profile_else_the_first_tag_read_as_a_trade():
    assert slots_from(profile(industries=[("Roofing", 9)], tags=[("plumbers", 8)]), "x").industry == "Roofing"
    assert [slots_from(profile(tags=[(tag, 5), ("other", 4)]), "x").industry
            for tag in ("roofer", "Plumbers", "HVAC", "attorneys", "solar panels", "SaaS")] == [
        "Roofing", "Plumbing", "HVAC", "Legal", "Solar Panels", "SaaS"]
    assert slots_from(profile(), "x").industry is None


def test_the_offer_is_the_brief_unless_the_brief_is_an_instruction():
    assert slots_from(profile(), "  Save   big ...  ").offer == "Save big"
    assert slots_from(profile(), "Free drone roof inspections. ").offer == "Free drone roof inspections"
    assert slots_from(profile(), "Roof inspections with DroneX").offer == "Roof inspections with DroneX"
    assert slots_from(profile(), "draft google ads for roofers in Texas").offer == ""
    assert slots_from(profile(tags=[("roofers", 8), ("vip", 2)]), "x").interest == "roofers"
    assert slots_from(profile(), "x").interest is None


def test_a_company_is_named_when_at_least_half_the_segment_works_there():
    assert slots_from(profile(companies=[("Acme", 5), ("Bee", 5)]), "x").company == "Acme"
    assert slots_from(profile(companies=[("Acme", 6), ("Bee", 1)]), "x").company == "Acme"
    assert slots_from(profile(companies=[("Acme", 4), ("Bee", 1)]), "x").company is None
    assert slots_from(profile(companies=[]), "x").company is None
    assert slots_from(SegmentProfile(total=0, companies=[("Acme", 4)]), "x").company is None


def test_the_place_a_city_nearly_all_share_else_a_region_most_share_else_a_city_most_share():
    def places(**counts):
        return slots_from(profile(**counts), "x").places

    assert places(cities=[("Austin, Texas", 9)], regions=[("Texas", 10)]) == ("Austin",)  # 90 percent
    assert places(cities=[("Austin, Texas", 8)], regions=[("Texas", 10)]) == ("Texas", "TX")  # the state's code too
    assert places(cities=[("Austin, Texas", 8)], regions=[("Texas", 4)]) == ("Austin",)
    assert places(cities=[("Austin, Texas", 5)], regions=[("Texas", 4)]) == ("Austin",)  # half
    assert places(cities=[("Austin, Texas", 4)], regions=[("Texas", 4)]) == ()
    assert places(cities=[("Toronto, Ontario", 4)], regions=[("Ontario", 5)]) == ("Ontario",)
    assert places(regions=[("Texas", 5)]) == ("Texas", "TX")
    assert places(cities=[("Paris", 10)]) == ("Paris",)
    assert slots_from(SegmentProfile(total=0, cities=[("Austin", 5)], regions=[("Texas", 5)]), "x").places == ()


def test_a_template_is_filled_title_cased_and_tries_the_shorter_place():
    assert render("{industry} Pros in {place}", ROOFERS, 30) == "Roofing Pros in Texas"
    assert render("{industry} Pros in {place}", ROOFERS, 18) == "Roofing Pros in TX"
    assert render("{industry} Pros in {place}", ROOFERS, 17) is None  # a headline is never cut
    assert render("{Offer}", ROOFERS, 30) == "Free Drone Roof Inspections"
    assert render("Built for {company}", ROOFERS, 30) == "Built for Acme"
    assert render("{interest} rule", ROOFERS, 30) == "Roofers Rule"
    assert render("{industry} Pros in {place}", NOTHING, 30) is None  # a missing slot
    assert render("{Offer}", NOTHING, 30) is None
    assert render("Get Started Today", NOTHING, 30) == "Get Started Today"


def test_a_sentence_is_sentence_cased_and_may_be_cut_between_words_keeping_half_the_room():
    template = "{place} {industry} pros: {offer}."
    assert render(template, ROOFERS, 125, sentence=True) == "Texas roofing pros: free drone roof inspections."
    assert render(template, ROOFERS, 40, sentence=True) == "TX roofing pros: free drone roof"
    assert render(template, ROOFERS, 30, sentence=True) == "TX roofing pros: free drone"
    made = "Made for {industry} businesses in {place}. Get started today."
    assert render(made, ROOFERS, 56, sentence=True) == "Made for roofing businesses in Texas. Get started today."
    assert render(made, ROOFERS, 55, sentence=True) == "Made for roofing businesses in TX. Get started today."
    assert render(made, ROOFERS, 40, sentence=True) == "Made for roofing businesses in TX."
    assert render(made, ROOFERS, 30, sentence=True) == "Made for roofing businesses"  # no dangling "in"
    # what is left must keep at least half the room: "Roofing crews" (13) fits 26, not 27
    half = Slots(industry=None, places=(), company=None, offer="Roofing crews a supercalifragilisticexpialidocious",
                 interest=None)
    assert render("{offer}.", half, 26, sentence=True) == "Roofing crews"
    assert render("{offer}.", half, 27, sentence=True) is None
    # a plain industry is written in lower case mid-sentence, 'HVAC' or 'SaaS' as they are
    for industry, written in (("Roofing", "roofing"), ("Real Estate", "real estate"), ("HVAC", "HVAC"),
                              ("SaaS", "SaaS"), ("iPhone Repair", "iPhone Repair"), ("DJs", "DJs")):
        slots = Slots(industry=industry, places=("Austin",), company=None, offer="x", interest=None)
        assert render("Made for {industry} teams in {place}", slots, 90, sentence=True) == (
            f"Made for {written} teams in Austin")
    assert render("made for you. get started! now? yes", NOTHING, 90, sentence=True) == (
        "Made for you. Get started! Now? Yes")
    assert render("ok.  done x.y z", NOTHING, 90, sentence=True) == "Ok. Done x.y z"


def test_google_variants_written_out():
    assert google_variant(ROOFERS, 0, URL) == {
        "headlines": ["Roofing Pros in Texas", "Built for Roofing Teams", "Grow Your Roofing Business",
                      "Free Drone Roof Inspections", "Texas Roofing Companies", "Made for Texas Businesses",
                      "Built for Acme", "More Leads for Roofing", "Roofing Made Simple", "Serving Texas",
                      "Get Started Today", "Book a Free Consultation", "See How It Works", "Talk to Our Team Today",
                      "Learn More Today"],
        "descriptions": ["Free drone roof inspections.", "Made for roofing businesses in Texas. Get started today.",
                         "Helping roofing teams in Texas win more work. Talk to our team today.",
                         "See why roofing companies pick us. Book a call in minutes."],
        "path1": "roofing", "path2": "texas", "final_url": URL}
    # the next variant starts three headlines and one description later
    second = google_variant(ROOFERS, 1)
    assert second["headlines"] == [
        "Free Drone Roof Inspections", "Texas Roofing Companies", "Made for Texas Businesses", "Built for Acme",
        "More Leads for Roofing", "Roofing Made Simple", "Serving Texas", "Get Started Today",
        "Book a Free Consultation", "See How It Works", "Talk to Our Team Today", "Learn More Today",
        "Request a Quote", "Questions? We Can Help", "Roofing Pros in Texas"]
    assert second["descriptions"] == [
        "Made for roofing businesses in Texas. Get started today.",
        "Helping roofing teams in Texas win more work. Talk to our team today.",
        "See why roofing companies pick us. Book a call in minutes.",
        "Find out how we can help your business grow. Get in touch today."]
    assert second["final_url"] == ""
    assert google_variant(ROOFERS)["headlines"][:2] == ["Roofing Pros in Texas", "Built for Roofing Teams"]  # 0
    bang = Slots(industry=None, places=(), company=None, offer="Save big!", interest=None)
    assert google_variant(bang)["headlines"] == ["Save Big", "Get Started Today", "Book a Free Consultation",
                                                 "See How It Works", "Talk to Our Team Today", "Learn More Today",
                                                 "Request a Quote", "Questions? We Can Help"]  # no '!' in a headline
    assert len(GOOGLE_HEADLINES) == 17 and len(GOOGLE_DESCRIPTIONS) == 6


def test_google_paths_name_the_industry_else_the_interest_then_the_place():
    slots = Slots(industry="Real Estate", places=("New Hampshire", "NH"), company=None, offer="", interest=None)
    assert (google_variant(slots)["path1"], google_variant(slots)["path2"]) == ("real-estate", "new-hampshire")
    slots = Slots(industry=None, places=("Austin",), company=None, offer="", interest="Solar Panels")
    assert (google_variant(slots)["path1"], google_variant(slots)["path2"]) == ("solar-panels", "austin")
    slots = Slots(industry=None, places=("Austin",), company=None, offer="", interest=None)
    assert (google_variant(slots)["path1"], google_variant(slots)["path2"]) == ("", "")  # no path2 without path1
    slots = Slots(industry="Roofing", places=(), company=None, offer="", interest=None)
    assert (google_variant(slots)["path1"], google_variant(slots)["path2"]) == ("roofing", "")
    # a display path has 15 characters: 16 ("Home Improvement", "Rancho Cucamonga") are cut between words
    slots = Slots(industry="Home Improvement", places=("Rancho Cucamonga",), company=None, offer="", interest=None)
    assert (google_variant(slots)["path1"], google_variant(slots)["path2"]) == ("home", "rancho")


def test_the_same_copy_in_another_case_is_used_once():
    same = Slots(industry=None, places=(), company=None, offer="get started today", interest=None)
    assert google_variant(same)["headlines"] == ["Get Started Today", "Book a Free Consultation", "See How It Works",
                                                 "Talk to Our Team Today", "Learn More Today", "Request a Quote",
                                                 "Questions? We Can Help"]
    said = Slots(industry=None, places=(), company=None,
                 offer="find out how we can help your business grow. get in touch today", interest=None)
    assert google_variant(said)["descriptions"] == [
        "Find out how we can help your business grow. Get in touch today.",
        "Simple to start and easy to use. Contact us for a quick walkthrough."]


def test_meta_and_linkedin_variants_written_out():
    roofers = profile(industries=[("Roofing", 10)], tags=[("roofers", 8)], companies=[("Acme", 6), ("Bee", 1)],
                      cities=[("Austin, Texas", 8)], regions=[("Texas", 10)])
    assert template_variants("facebook", roofers, "Free drone roof inspections.", 3, URL) == [
        {"primary_text": "Texas roofing pros: Free drone roof inspections.", "headline": "Built for Texas Roofing Pros",
         "description": "Book a free call", "final_url": URL},
        {"primary_text": "Running a roofing business in Texas? Free drone roof inspections.",
         "headline": "Grow Your Roofing Business", "description": "See how it works", "final_url": URL},
        {"primary_text": "Free drone roof inspections. Made for roofing teams like yours.",
         "headline": "Free Drone Roof Inspections", "description": "Learn more today", "final_url": URL}]
    assert template_variants("linkedin", roofers, "Free drone roof inspections.", 2) == [
        {"intro": "Roofing leaders in Texas: Free drone roof inspections.", "headline": "Free Drone Roof Inspections",
         "description": "Made for roofing businesses in Texas.", "final_url": ""},
        {"intro": "Free drone roof inspections. Built for roofing teams in Texas.",
         "headline": "Built for Roofing Teams in Texas", "description": "Book a short call with our team.",
         "final_url": ""}]
    assert len(META["primary_text"]) == 8 and len(LINKEDIN["intro"]) == 8
    google = template_variants("google", roofers, "Free drone roof inspections.", final_url=URL)
    assert len(google) == 1 and google[0]["final_url"] == URL  # one variant unless asked for more
    assert len(template_variants("facebook", roofers, "x")) == 1


def test_an_empty_segment_gets_the_plain_templates_and_no_copy_twice():
    empty = SegmentProfile()
    assert template_variants("google", empty, "draft ads for roofers", 3) == [
        {"headlines": ["Get Started Today", "Book a Free Consultation", "See How It Works", "Talk to Our Team Today",
                       "Learn More Today", "Request a Quote", "Questions? We Can Help"],
         "descriptions": ["Find out how we can help your business grow. Get in touch today.",
                          "Simple to start and easy to use. Contact us for a quick walkthrough."],
         "path1": "", "path2": "", "final_url": ""}]
    text = "See how we help businesses like yours win more work. Learn more today."
    assert template_variants("facebook", empty, "draft ads for roofers", 3) == [
        {"primary_text": text, "headline": "See How It Works", "description": "Book a free call", "final_url": ""},
        {"primary_text": text, "headline": "Win More Work", "description": "See how it works", "final_url": ""},
        {"primary_text": text, "headline": "See How It Works", "description": "Learn more today", "final_url": ""}]
    intro = "See how teams like yours work smarter. Learn more today."
    assert template_variants("linkedin", empty, "draft ads for roofers", 3) == [
        {"intro": intro, "headline": "See How Teams Like Yours Work Smarter",
         "description": "Book a short call with our team.", "final_url": ""},
        {"intro": intro, "headline": "See How Teams Like Yours Work Smarter", "description": "Learn more today.",
         "final_url": ""}]
    assert len(template_variants("facebook", empty, "x", 0)) == 1  # at least one
