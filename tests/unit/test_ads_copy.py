"""Offline ad copy and targeting from a segment's own data."""

from domain.ads import validate_variant
from domain.ads_copy import template_variants
from domain.ads_segment import build_profile, size_band, suggest_targeting


def roofers():
    rows = [{"city": "Austin", "region": "TX", "country": "us", "company": f"Roof Co {i}", "job_title": "owner",
             "tags": ["roofing", "residential"], "attributes": {"industry": "roofing", "employees": i * 7}}
            for i in range(1, 13)]
    rows += [{"city": "Dallas", "region": "Texas", "country": "US", "job_title": "Estimator", "tags": ["Roofing"],
              "attributes": {"industry": "Roofing", "company_size": "51-200"}} for _ in range(8)]
    return build_profile(rows)


def test_profile_counts_places_industries_sizes_titles_and_tags():
    profile = roofers()
    assert profile.total == 20
    assert profile.regions == [("Texas", 20)]
    assert profile.cities == [("Austin, Texas", 12), ("Dallas, Texas", 8)]
    assert profile.industries == [("Roofing", 20)]
    assert profile.job_titles == [("Owner", 12), ("Estimator", 8)]
    assert dict(profile.company_sizes)["51-200"] == 8 + 5  # 56..84 employees are 51-200 too
    assert profile.tags[0] == ("roofing", 20)
    assert [size_band(v) for v in (1, 7, 11, "201-500", "abc", None)] == ["1", "2-10", "11-50", "201-500", None, None]


def test_targeting_suggestions_per_platform_carry_counts():
    profile = roofers()
    google = suggest_targeting("google", profile, "drone roof inspections")
    assert google["audience"] == 20
    assert {"value": "Texas", "contacts": 20} in google["locations"]
    assert {"value": "roofing austin", "contacts": 12} in google["keywords"]
    assert {"value": "drone roof inspections", "contacts": 20} in google["keywords"]
    assert suggest_targeting("linkedin", profile)["job_titles"][0] == {"value": "Owner", "contacts": 12}
    assert {"value": "Residential", "contacts": 12} in suggest_targeting("facebook", profile)["interests"]
    assert "keywords" not in suggest_targeting("facebook", profile)


def test_offline_templates_meet_every_limit_and_name_the_segment():
    profile = roofers()
    for platform, count in (("google", 2), ("facebook", 3), ("linkedin", 3)):
        variants = template_variants(platform, profile, "Free drone roof inspections for your crews", count,
                                     "https://example.com")
        assert len(variants) == count
        for variant in variants:
            assert validate_variant(platform, variant) == []
    rsa = template_variants("google", profile, "draft google ads for roofers in Texas")[0]
    assert 3 <= len(rsa["headlines"]) <= 15 and 2 <= len(rsa["descriptions"]) <= 4
    assert "Roofing Pros in Texas" in rsa["headlines"]
    assert not any("draft" in h.lower() for h in rsa["headlines"] + rsa["descriptions"])  # an instruction is no offer
    assert (rsa["path1"], rsa["path2"]) == ("roofing", "texas")


def test_templates_work_for_an_empty_segment_and_never_name_linkedin():
    empty = build_profile([])
    for platform in ("google", "facebook", "linkedin"):
        variants = template_variants(platform, empty, "Our LinkedIn growth course", 2)
        assert variants and all(validate_variant(platform, v) == [] for v in variants)
    assert all("linkedin" not in str(v).lower() for v in template_variants("linkedin", empty, "Our LinkedIn course", 3))
