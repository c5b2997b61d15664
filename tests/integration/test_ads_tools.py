"""Ads tools on the real database: offline drafts from a segment, edits by chat, roles, daily results with CTR/CPC/
cost per lead, CSV import of platform exports, bulk-tool CSV export (formula-safe)."""

import csv
from datetime import date

import pytest
import sqlalchemy as sa

from db.models import AdMetric, ContactEvent
from db.session import session_factory
from domain.ads import validate_variant
from domain.ads_segment import build_profile
from domain.roles import PermissionDenied, Role
from tests.factories import create_contact
from tools.ads.audience import segment_profile
from tools.ads.bulk_csv import GOOGLE_COLUMNS, export_ads, import_ad_metrics
from tools.ads.drafts import AdError, ad_report, draft_ads, find_ad, get_ad, list_ads, record_ad_metrics, update_ad
from tools.users import Actor

MARKETER = Actor("marketer@example.com", Role.MARKETER)
REVIEWER = Actor("reviewer@example.com", Role.REVIEWER)
TEXAS_ROOFERS = {"all": [{"field": "region", "op": "eq", "value": "TX"},
                         {"field": "attributes.industry", "op": "eq", "value": "roofing"}]}


def seed(session):
    for i in range(6):
        create_contact(session, email=f"r{i}@roof{i}.example", city="Austin" if i < 4 else "Dallas", region="TX",
                       country="US", company=f"Roof {i}", job_title="Owner", tags=["roofing"],
                       attributes={"industry": "roofing", "employees": 12 + i})
    create_contact(session, email="p@pipes.example", city="Austin", region="TX", tags=["plumbing"],
                   attributes={"industry": "plumbing"})
    create_contact(session, email="d@denver.example", city="Denver", region="CO", attributes={"industry": "roofing"})
    session.flush()


def test_draft_google_ads_for_roofers_in_texas_offline(session):
    seed(session)
    draft = draft_ads(session, MARKETER, platform="google", filter=TEXAS_ROOFERS,
                      brief="draft google ads for roofers in Texas", final_url="https://example.com/roofers")
    assert draft.audience == 6 and draft.status == "draft" and draft.offline
    assert draft.generator == "offline templates" and "no OPENAI_API_KEY" in draft.notes[0]
    rsa = draft.variants[0]
    assert rsa.problems == [] and 3 <= len(rsa.fields["headlines"]) <= 15
    assert rsa.lengths["headlines"] == [len(h) for h in rsa.fields["headlines"]]
    assert {"value": "Texas", "contacts": 6} in draft.targeting["locations"]
    assert {"value": "roofing austin", "contacts": 4} in draft.targeting["keywords"]
    assert draft.targeting["company_sizes"] == [{"value": "11-50", "contacts": 6}]
    stored = find_ad(session, draft.id)
    assert stored.target_filter == TEXAS_ROOFERS and stored.created_by == MARKETER.email
    assert get_ad(session, MARKETER, draft.name).id == draft.id
    assert [a.id for a in list_ads(session, MARKETER, status="draft")] == [draft.id]


def test_meta_and_linkedin_drafts_give_three_valid_variants(session):
    seed(session)
    for platform in ("meta", "linkedin"):
        draft = draft_ads(session, MARKETER, platform=platform, filter=TEXAS_ROOFERS,
                          brief="Free drone roof inspections for your crews")
        assert len(draft.variants) == 3
        assert all(validate_variant(draft.platform, v.fields) == [] for v in draft.variants)
    assert "job_titles" in draft.targeting


def test_bad_requests_are_refused_with_a_reason(session):
    with pytest.raises(PermissionDenied):
        draft_ads(session, REVIEWER, platform="google", filter=None, brief="x")
    with pytest.raises(AdError, match="unknown ad platform"):
        draft_ads(session, MARKETER, platform="tiktok", filter=None, brief="x")
    with pytest.raises(AdError, match="a brief is needed"):
        draft_ads(session, MARKETER, platform="google", filter=None, brief=" ")
    with pytest.raises(AdError, match="needs OPENAI_API_KEY"):
        draft_ads(session, MARKETER, platform="google", filter=None, brief="x", generator="model")
    with pytest.raises(ValueError, match="region"):
        draft_ads(session, MARKETER, platform="google", filter={"field": "region", "op": "explode"}, brief="x")


def test_edit_by_chat_refuses_hard_violations_and_keeps_the_ad(session):
    seed(session)
    draft = draft_ads(session, MARKETER, platform="google", filter=TEXAS_ROOFERS, brief="Roof inspections")
    edited = update_ad(session, MARKETER, draft.id, changes={"headlines.2": "Drone Roof Inspections"})
    assert edited.variants[0].fields["headlines"][1] == "Drone Roof Inspections"
    with pytest.raises(AdError, match="headlines 1: is 43 characters; the platform allows at most 30"):
        update_ad(session, MARKETER, draft.id, changes={"headlines.1": "A very long headline that will never fit in"})
    assert find_ad(session, draft.id).variants[0]["headlines"][1] == "Drone Roof Inspections"
    assert update_ad(session, MARKETER, draft.id, status="active").status == "active"
    with pytest.raises(AdError, match="cannot become draft"):
        update_ad(session, MARKETER, draft.id, status="draft")
    meta = draft_ads(session, MARKETER, platform="facebook", filter=None, brief="Roof inspections", count=1)
    long_text = "Our crews inspect roofs with drones, so you get photos, a written report and a fair quote, " * 2
    flagged = update_ad(session, MARKETER, meta.id, changes={"primary_text": long_text})
    assert "only the first 125 are shown" in flagged.variants[0].problems[0]


def test_daily_results_replace_the_day_and_report_ctr_cpc_cost_per_lead(session):
    seed(session)
    ad = draft_ads(session, MARKETER, platform="google", filter=TEXAS_ROOFERS, brief="Roof inspections")
    record_ad_metrics(session, MARKETER, ad.id, "2026-11-01", 10_000_000, 1000, 40, 2)
    again = record_ad_metrics(session, MARKETER, ad.id, date(2026, 11, 1), 12_000_000, 1200, 48, 3,
                              converted_contacts=["r0@roof0.example"])
    assert not again.created and again.conversions_linked == 1
    record_ad_metrics(session, MARKETER, str(ad.id), "2026-11-02", 8_000_000, 800, 32, 1)
    report = ad_report(session, MARKETER, ad.id)
    assert [d.day for d in report.days] == [date(2026, 11, 1), date(2026, 11, 2)]
    assert (report.spend_micros, report.impressions, report.clicks, report.conversions) == (20_000_000, 2000, 80, 4)
    assert report.ctr == 0.04 and report.cpc_micros == 250_000 and report.cost_per_lead_micros == 5_000_000
    assert report.days[1].cost_per_lead_micros == 8_000_000
    stored = find_ad(session, ad.id)
    assert (stored.spend_micros, stored.clicks) == (20_000_000, 80)
    event = session.scalar(sa.select(ContactEvent).where(ContactEvent.kind == "ad_conversion"))
    assert event.data["ad_campaign_id"] == ad.id
    with pytest.raises(AdError, match="cannot exceed impressions"):
        record_ad_metrics(session, MARKETER, ad.id, "2026-11-03", 1, 10, 20, 0)
    with pytest.raises(AdError, match="no ad campaign"):
        record_ad_metrics(session, MARKETER, 999, "2026-11-03", 1, 10, 2, 0)


def test_results_entered_by_chat_show_up_in_daily_analytics_costs(db):
    from tools.analytics import analytics_report, refresh

    make = session_factory(db)
    with make() as s:
        ad = draft_ads(s, MARKETER, platform="google", filter=None, brief="Roof inspections")
        record_ad_metrics(s, MARKETER, ad.id, "2026-11-05", 7_500_000, 500, 10, 1)
        s.commit()
    with make() as s:
        refresh(s)
        s.commit()
        report = analytics_report(s, Actor("admin@example.com", Role.ADMIN), date(2026, 11, 5), date(2026, 11, 5))
    assert report.days[0].numbers["cost_ads_micros"] == 7_500_000


def test_import_a_google_ads_report_export_and_again_changes_nothing(session, tmp_path):
    ad = draft_ads(session, MARKETER, platform="google", filter=None, brief="Roof inspections", name="Roofers TX")
    path = tmp_path / "report.csv"
    path.write_text("Campaign performance report\nNovember 1, 2026 - November 2, 2026\n"
                    "Day,Campaign,Cost,Impr.,Clicks,Conversions\n"
                    "2026-11-01,Roofers TX,\"1,200.50\",\"10,000\",300,12\n"
                    "2026-11-01,Roofers TX,10.00,100,3,0\n"
                    "2026-11-02,Roofers TX,abc,100,3,0\n"
                    "2026-11-02,Nobody,1,1,1,1\n"
                    "Total: 2,,1210.50,10100,303,12\n", encoding="utf-8")
    first = import_ad_metrics(session, MARKETER, path)
    assert (first.rows, first.days, first.rejected) == (4, 1, 2)
    assert first.errors[0] == "line 6: spend: 'abc' is not an amount"
    assert "line 7: no ad campaign 'Nobody'" in first.errors[1]
    import_ad_metrics(session, MARKETER, path)
    row = session.scalar(sa.select(AdMetric).where(AdMetric.ad_campaign_id == ad.id))
    assert (row.spend_micros, row.impressions, row.clicks, row.conversions) == (1_210_500_000, 10_100, 303, 12)


def test_import_a_meta_export_into_a_named_campaign(session, tmp_path):
    ad = draft_ads(session, MARKETER, platform="facebook", filter=None, brief="Roof inspections", count=1)
    path = tmp_path / "meta.csv"
    path.write_text("Reporting starts;Amount spent (USD);Impressions;Link clicks;Results\n"
                    "2026-11-03;25,5;2000;50;5\n".replace("25,5", "25.5"), encoding="utf-8")
    result = import_ad_metrics(session, MARKETER, path, ref=ad.id)
    assert result.days == 1 and ad_report(session, MARKETER, ad.id).cost_per_lead_micros == 5_100_000
    with pytest.raises(AdError, match="no header with a day/date column"):
        (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
        import_ad_metrics(session, MARKETER, tmp_path / "bad.csv", ref=ad.id)


def test_export_for_google_ads_editor_is_formula_safe(session, tmp_path):
    ad = draft_ads(session, MARKETER, platform="google", filter=None, brief="Roof inspections", name="=HYPERLINK(1)")
    out = export_ads(session, MARKETER, ad.id, tmp_path / "google.csv")
    with open(out.path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == GOOGLE_COLUMNS and len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Campaign"] == "'=HYPERLINK(1)" and record["Status"] == "Paused"
    assert record["Headline 1"] == ad.variants[0].fields["headlines"][0]
    assert record["Ad type"] == "Responsive search ad"
    linkedin = draft_ads(session, MARKETER, platform="linkedin", filter=None, brief="Roof inspections", count=2)
    assert export_ads(session, MARKETER, linkedin.id, tmp_path / "li.csv").rows == 2


def test_the_database_counts_the_segment_exactly_as_row_by_row_counting_would(session):
    messy = [dict(region="TX", city="austin", tags=["Roofing", "roofing ", "VIP"], job_title="owner",
                  attributes={"industry": "roofing", "employees": 35}),
             dict(region="Texas", city="Austin", tags=["roofing"], job_title="Owner",
                  attributes={"industry": "", "sector": "Construction", "company_size": "11-50"}),
             dict(region=" tx", city="Dallas", country="us", tags=[], company="  Acme   Roofing ",
                  attributes={"employees": "12000"}),
             dict(region="CO", city="Denver", tags=["vip"], company="Acme Roofing", attributes={"industry": "Roofing"}),
             dict(region=None, city=None, tags=None, attributes={})]
    for i, fields in enumerate(messy):
        create_contact(session, email=f"m{i}@example.com", **fields)
    create_contact(session, email="out@example.com", region="TX", is_sample=True, tags=["other"])
    session.flush()
    condition = {"field": "is_sample", "op": "eq", "value": False}
    from_db, _ = segment_profile(session, condition)
    by_rows = build_profile({**f, "region": f.get("region")} for f in messy)
    assert from_db == by_rows
    assert from_db.total == 5 and from_db.regions == [("Texas", 3), ("Colorado", 1)]
    assert from_db.cities == [("Austin, Texas", 2), ("Dallas, Texas", 1), ("Denver, Colorado", 1)]
    assert from_db.industries == [("Roofing", 2), ("Construction", 1)]
    assert from_db.companies == [("Acme Roofing", 2)]
    assert dict(from_db.tags) == {"roofing": 2, "vip": 2}
    assert dict(from_db.company_sizes) == {"11-50": 2, "10001+": 1}


def test_done_when_draft_google_ads_for_roofers_in_texas_on_the_sample_data(session):
    from tools.demo import load_sample_data

    load_sample_data(session, MARKETER)
    # what the chat's offline parser makes of "draft google ads for roofers in Texas"
    roofers_in_texas = {"all": [{"field": "tags", "op": "has", "value": "roofer"},
                                {"field": "region", "op": "in", "value": ["TX", "Texas"]}]}
    draft = draft_ads(session, MARKETER, platform="google", filter=roofers_in_texas, brief="Ads for roofers in Texas")
    assert draft.audience == 5
    rsa = draft.variants[0]
    assert rsa.problems == [] and 3 <= len(rsa.fields["headlines"]) <= 15 and 2 <= len(rsa.fields["descriptions"]) <= 4
    assert all(n <= 30 for n in rsa.lengths["headlines"]) and all(n <= 90 for n in rsa.lengths["descriptions"])
    assert "Ads for" not in " ".join(rsa.fields["headlines"])  # the request is not ad copy
    assert {"Serving Texas", "Grow Your Roofing Business"} <= set(rsa.fields["headlines"])  # tag "roofer" -> Roofing
    assert not any("roofers texas" in k["value"] for k in draft.targeting["keywords"])
    assert {"value": "Texas", "contacts": 5} in draft.targeting["locations"]
    assert {"value": "Austin, Texas", "contacts": 2} in draft.targeting["locations"]
    assert {"value": "roofer", "contacts": 5} in draft.targeting["keywords"]


def test_a_utf16_tab_separated_google_export_and_dollar_spend_by_chat(session, tmp_path):
    ad = draft_ads(session, MARKETER, platform="google", filter=None, brief="Roof inspections", name="Roofers TX")
    path = tmp_path / "google-excel.csv"
    path.write_bytes("Day\tCampaign\tCost\tImpr.\tClicks\tConversions\n2026-11-04\tRoofers TX\t12.00\t400\t8\t1\n"
                     .encode("utf-16"))
    assert import_ad_metrics(session, MARKETER, path).days == 1
    record_ad_metrics(session, MARKETER, ad.id, "2026-11-05", "$3.50", 100, 2, 0)
    report = ad_report(session, MARKETER, ad.id)
    assert [d.spend_micros for d in report.days] == [12_000_000, 3_500_000]
    assert report.cpc_micros == 1_550_000 and report.cost_per_lead_micros == 15_500_000


def test_export_for_meta_bulk_import_maps_copy_to_body_title_and_link_description(session, tmp_path):
    ad = draft_ads(session, MARKETER, platform="meta", filter=None, brief="Roof inspections", count=2,
                   final_url="https://example.com/roof")
    out = export_ads(session, MARKETER, ad.id, tmp_path / "meta.csv")
    with open(out.path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 and rows[0]["Ad Status"] == "Paused" and rows[0]["Link"] == "https://example.com/roof"
    first = ad.variants[0].fields
    assert (rows[0]["Body"], rows[0]["Title"], rows[0]["Link Description"]) == (
        first["primary_text"], first["headline"], first["description"])
