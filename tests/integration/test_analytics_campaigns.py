"""The campaign report (funnel, exclusions, costs per outcome, A/B variants) and the chat's charts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from agent.core import charts
from db.session import unit_of_work
from tests.analytics_factories import (
    at,
    create_activity,
    create_booking,
    create_campaign,
    create_contact,
    create_message,
)
from tools import analytics
from tools.campaigns.lookup import CampaignNotFound
from tools.users import Actor

MARKETER = Actor("m@example.com", "marketer")


@pytest.fixture
def spring(db):
    """10 contacts on variant A, 10 on B; 2 excluded at launch, 1 stopped after a reply; replies and bookings
    attributed to the campaign (and one reply attributed elsewhere, which must not count)."""
    with unit_of_work(db) as uow:
        s = uow.session
        camp = create_campaign(s, "Spring", channel="sms", stats={"audience": 23, "excluded": {"opted_out": 2}})
        other = create_campaign(s, "Other")
        for i in range(20):
            c = create_contact(s)
            failed = i in (0, 10)
            create_activity(s, c, camp, channel="sms", variant="A" if i < 10 else "B", status="failed" if failed
                            else "delivered", sent_at=at("2026-04-01 15:00"), cost_micros=10_000,
                            delivered_at=None if failed else at("2026-04-01 15:01"),
                            failed_at=at("2026-04-01 15:01") if failed else None)
            if i in (1, 2, 3, 11):
                create_message(s, c, at("2026-04-01 16:00"), campaign_id=camp.id)
                create_message(s, c, at("2026-04-01 16:05"), campaign_id=camp.id)  # same person again
            if i in (1, 11):
                create_booking(s, c, at("2026-04-02 10:00"), campaign_id=camp.id)
            if i == 4:
                create_message(s, c, at("2026-04-01 16:00"), campaign_id=other.id)
        create_activity(s, create_contact(s), camp, channel="sms", status="cancelled", error_code="stop_on_reply")
        create_activity(s, create_contact(s), camp, channel="sms", type="test", sent_at=at("2026-04-01 14:00"),
                        cost_micros=10_000)
        return camp.id


def test_funnel_costs_and_variants_side_by_side(db, spring):
    with unit_of_work(db) as uow:
        report = analytics.campaign_report(uow.session, MARKETER, "spring")
    assert report.audience == 23 and report.excluded == {"opted_out": 2, "stop_on_reply": 1}
    t = report.total
    assert (t.sent, t.delivered, t.failed, t.responded, t.booked) == (20, 18, 2, 4, 2)
    assert t.cost_micros == 200_000 and t.cost_per_response_micros == 50_000 and t.cost_per_booking_micros == 100_000
    assert [(s.stage, s.count) for s in report.funnel] == [("audience", 23), ("eligible", 20), ("sent", 20),
                                                             ("delivered", 18), ("responded", 4), ("booked", 2)]
    a, b = report.variants
    assert (a.variant, a.sent, a.responded, a.booked, a.cost_per_response_micros) == ("A", 10, 3, 1, 33_333)
    assert (b.variant, b.sent, b.responded, b.booked, b.cost_per_booking_micros) == ("B", 10, 1, 1, 100_000)
    assert "audience 23" in report.summary() and "$0.05 per response" in report.summary()


def test_campaign_by_id_and_unknown_campaign(db, spring):
    with unit_of_work(db) as uow:
        assert analytics.campaign_report(uow.session, MARKETER, str(spring)).name == "Spring"
        with pytest.raises(CampaignNotFound, match="Autumn"):
            analytics.campaign_report(uow.session, MARKETER, "Autumn")


def test_charts_render_from_the_reports(db, spring):
    with unit_of_work(db) as uow:
        analytics.rebuild_daily(uow.session, date(2026, 4, 1), date(2026, 4, 2))
        report = analytics.analytics_report(uow.session, MARKETER, date(2026, 4, 1), date(2026, 4, 2))
        campaign = analytics.campaign_report(uow.session, MARKETER, "Spring")
    trend = charts.trend_figure(report)
    assert [t.name for t in trend.data][:3] == ["Contacted", "SMS sent", "Emails sent"]
    assert list(trend.data[1].y) == [20, 0]
    costs = charts.costs_figure(report)
    assert [t.name for t in costs.data] == ["SMS"] and list(costs.data[0].y) == [0.2, 0.0]
    funnel = charts.funnel_figure(campaign)
    assert list(funnel.data[0].x) == [23, 20, 20, 18, 4, 2]
    assert [t.name for t in charts.variants_figure(campaign).data] == ["Sent", "Delivered", "Responded", "Booked"]
    header, rows = charts.variants_table(campaign)
    assert rows[-1][0] == "all" and rows[0][header.index("per response")] == "$0.03"
    assert charts.cost_table(report)[1][0] == ["SMS", "$0.20", "100.0%"]
    assert charts.daily_table(report)[1][0][:3] == ["2026-04-01", 20, 20]
    trend.to_json()  # serialisable for cl.Plotly


def test_chat_displays_are_plain_json_and_turn_back_into_the_same_figures(db, spring):
    with unit_of_work(db) as uow:
        analytics.rebuild_daily(uow.session, date(2026, 4, 1), date(2026, 4, 2))
        report = analytics.analytics_report(uow.session, MARKETER, date(2026, 4, 1), date(2026, 4, 2))
        campaign = analytics.campaign_report(uow.session, MARKETER, "Spring")
    pairs = [(charts.report_display(report, "trend"), charts.trend_figure(report)),
             (charts.report_display(report, "costs"), charts.costs_figure(report)),
             (charts.campaign_display(campaign, "funnel"), charts.funnel_figure(campaign)),
             (charts.campaign_display(campaign, "variants"), charts.variants_figure(campaign))]
    for display, figure in pairs:
        wire = json.loads(json.dumps(display))  # what the chat and the checkpointer carry
        assert wire["kind"] == "chart" and wire["markdown"]
        assert charts.figure_for(wire).to_dict() == figure.to_dict()
    assert "| 2026-04-01 | 20 | 20 |" in pairs[0][0]["markdown"]
    assert "Excluded: opted\\_out: 2, stop\\_on\\_reply: 1" in pairs[2][0]["markdown"]
    assert charts.figure_for({"kind": "chart", "chart": "pie"}) is None
    with pytest.raises(ValueError):
        charts.report_display(report, "funnel")
