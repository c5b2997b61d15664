"""Daily analytics: each event on its local day, incremental refresh == rebuild, the period report and export."""

from __future__ import annotations

import csv
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from db.models import AdMetric, Contact, DailyAnalytics, MarketingActivity, utcnow
from db.session import unit_of_work
from domain.analytics import METRICS, AnalyticsInputError
from domain.roles import PermissionDenied
from settings import reset_settings
from tests.analytics_factories import (
    at,
    create_activity,
    create_ad_metric,
    create_booking,
    create_contact,
    create_enrichment,
    create_event,
    create_message,
)
from tools import analytics
from tools.users import Actor

MARKETER = Actor("m@example.com", "marketer")


@pytest.fixture
def new_york(monkeypatch):
    monkeypatch.setenv("MKT_ACCOUNT_TIMEZONE", "America/New_York")
    monkeypatch.setenv("MKT_MODEL_TOKEN_PRICE_MICROS", "500")
    reset_settings()
    yield "America/New_York"
    monkeypatch.undo()
    reset_settings()


def _stored(db) -> dict[date, dict[str, int]]:
    with unit_of_work(db) as uow:
        rows = uow.session.scalars(sa.select(DailyAnalytics)).all()
        return {r.day: {m: getattr(r, m) for m in METRICS} for r in rows}


def test_each_event_counts_on_its_day_in_the_account_time_zone(db, new_york):
    late_evening = at("2026-06-10 03:30")  # 23:30 on June 9 in New York
    with unit_of_work(db) as uow:
        s = uow.session
        jane = create_contact(s, created_at=late_evening)
        create_activity(s, jane, channel="sms", status="delivered", sent_at=late_evening, cost_micros=16_000,
                        delivered_at=at("2026-06-10 03:40"))
        create_activity(s, jane, channel="email", status="bounced", sent_at=at("2026-06-09 15:00"),
                        failed_at=at("2026-06-09 15:01"), cost_micros=1_800)
        create_activity(s, jane, channel="email", type="test", status="sent", sent_at=at("2026-06-09 15:00"),
                        cost_micros=1_800)  # test sends never count
        create_activity(s, jane, channel="sms", status="delivered", sent_at=at("2026-06-09 15:00"),
                        failed_at=at("2026-06-09 15:05"), cost_micros=8_000)  # a late failure report: not failed
        create_message(s, jane, at("2026-06-09 20:00"))
        create_message(s, jane, at("2026-06-09 21:00"))  # the same person twice: one response
        create_event(s, jane, "opted_out", at("2026-06-09 22:00"), source="sms_keyword", data={"reason": "opt_out"})
        create_event(s, jane, "opted_out", at("2026-06-09 22:00"), source="bounce", data={"reason": "hard_bounce"})
        create_booking(s, jane, at("2026-06-09 23:00"))
        create_enrichment(s, jane, finished_at=at("2026-06-09 12:00"), cost_micros=30_000, model_tokens=2_000)
        create_ad_metric(s, date(2026, 6, 9), 5_000_000)
    with unit_of_work(db) as uow:
        june9 = analytics.compute_day(uow.session, date(2026, 6, 9))
        june10 = analytics.compute_day(uow.session, date(2026, 6, 10))
    assert june9 == {
        "new_contacts": 1, "contacted": 1, "sms_sent": 2, "sms_delivered": 1, "sms_failed": 0, "emails_sent": 1,
        "emails_delivered": 0, "emails_opened": 0, "emails_clicked": 0, "emails_bounced": 1, "responses": 1,
        "opt_outs": 1, "bookings": 1, "cost_sms_micros": 24_000, "cost_email_micros": 1_800,
        "cost_enrichment_micros": 30_000, "cost_model_micros": 1_000, "cost_ads_micros": 5_000_000}
    assert june10["bookings"] == 0 and june10["sms_delivered"] == 0 and june10["contacted"] == 0


def test_incremental_refresh_gives_the_numbers_of_a_full_rebuild(db, new_york):
    now = utcnow()
    ago = lambda days, hours=0: now - timedelta(days=days, hours=hours)  # noqa: E731
    with unit_of_work(db) as uow:
        s = uow.session
        c1 = create_contact(s, created_at=ago(3))
        c1_id = c1.id
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
    with unit_of_work(db) as uow:
        s = uow.session
        c1 = s.get(type(c1), c1_id)
        email = create_activity(s, c1, channel="email", status="sent", sent_at=ago(2), cost_micros=1_800)
        sms = create_activity(s, c1, channel="sms", status="sent", sent_at=ago(4), cost_micros=8_000)
        create_message(s, c1, ago(1))
        ids = email.id, sms.id
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
    with unit_of_work(db) as uow:  # late news about old days: webhooks, a backdated import, ad spend typed in
        s = uow.session
        s.execute(sa.update(MarketingActivity).where(MarketingActivity.id == ids[0])
                  .values(status="opened", delivered_at=ago(2, -1), opened_at=ago(1)))
        old = create_contact(s, created_at=ago(40))
        create_ad_metric(s, (now - timedelta(days=10)).date(), 2_000_000)
        create_booking(s, old, ago(5))
        create_enrichment(s, old, finished_at=ago(6), cost_micros=12_000, model_tokens=4_000)
        create_event(s, old, "opted_out", ago(8), data={"reason": "opt_out"})
        create_message(s, old, ago(9))
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
    with unit_of_work(db) as uow:
        s = uow.session
        metric = s.scalars(sa.select(sa.text("id")).select_from(sa.table("ad_metrics"))).first()
        s.execute(sa.text("UPDATE ad_metrics SET spend_micros = 3500000 WHERE id = :id"), {"id": metric})
        s.execute(sa.update(MarketingActivity).where(MarketingActivity.id == ids[1])
                  .values(status="failed", failed_at=ago(4, -1)))
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
    incremental = _stored(db)
    assert sum(v["cost_ads_micros"] for v in incremental.values()) == 3_500_000
    assert sum(v["new_contacts"] for v in incremental.values()) == 2
    assert sum(v["sms_failed"] for v in incremental.values()) == 1
    assert sum(v["opt_outs"] for v in incremental.values()) == 1

    with unit_of_work(db) as uow:
        uow.session.execute(sa.delete(DailyAnalytics))
        analytics.rebuild_daily(uow.session, min(incremental), analytics.today())
    rebuilt = {d: v for d, v in _stored(db).items() if any(v.values())}
    assert rebuilt == {d: v for d, v in incremental.items() if any(v.values())}
    assert len(rebuilt) >= 8


def test_report_has_every_day_totals_rates_and_costs_per_outcome(db, new_york):
    with unit_of_work(db) as uow:
        s = uow.session
        jane = create_contact(s, created_at=at("2026-05-02 15:00"))
        for _ in range(4):
            create_activity(s, create_contact(s, created_at=at("2026-05-02 15:30")), channel="sms", sent_at=at("2026-05-02 16:00"),
                            delivered_at=at("2026-05-02 16:01"), cost_micros=8_000)
        create_message(s, jane, at("2026-05-03 15:00"))
        create_booking(s, jane, at("2026-05-03 16:00"))
        create_ad_metric(s, date(2026, 5, 3), 68_000)
    with unit_of_work(db) as uow:
        assert analytics.rebuild_daily(uow.session, date(2026, 5, 1), date(2026, 5, 3)) == 3
    with unit_of_work(db) as uow:
        report = analytics.analytics_report(uow.session, MARKETER, date(2026, 5, 1), date(2026, 5, 4))
    assert [d.day for d in report.days] == [date(2026, 5, d) for d in (1, 2, 3, 4)]
    assert report.days[0].numbers["sms_sent"] == 0 and report.days[1].numbers["sms_sent"] == 4
    assert report.totals["new_contacts"] == 5 and report.totals["responses"] == 1
    assert report.cost_micros == 4 * 8_000 + 68_000
    assert report.cost_per_response_micros == 100_000 and report.cost_per_booking_micros == 100_000
    assert report.rates["sms_delivery_rate"] == 1.0 and report.rates["response_rate"] == 0.25
    assert report.rates["email_open_rate"] is None
    assert report.refreshed_at is not None
    assert "$0.10 per response" in report.summary()


def test_export_writes_one_row_per_day_and_bad_periods_are_refused(db, tmp_path):
    with unit_of_work(db) as uow:
        create_ad_metric(uow.session, date(2026, 5, 2), 1_234_567)
        analytics.rebuild_daily(uow.session, date(2026, 5, 1), date(2026, 5, 2))
    path = tmp_path / "daily.csv"
    with unit_of_work(db) as uow:
        assert analytics.export_analytics(uow.session, MARKETER, date(2026, 5, 1), date(2026, 5, 2), path) == 2
        with pytest.raises(AnalyticsInputError, match="ends"):
            analytics.analytics_report(uow.session, MARKETER, date(2026, 5, 2), date(2026, 5, 1))
    rows = list(csv.DictReader(path.open()))
    assert [r["day"] for r in rows] == ["2026-05-01", "2026-05-02"]
    assert rows[1]["cost_ads_micros"] == "1234567" and rows[1]["cost_total_micros"] == "1234567"


def test_reviewers_cannot_see_analytics(db):
    with unit_of_work(db) as uow, pytest.raises(PermissionDenied, match="analytics"):
        analytics.analytics_report(uow.session, Actor("r@example.com", "reviewer"), date(2026, 5, 1),
                                   date(2026, 5, 2))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_refreshed_along_the_way_match_a_rebuild(db, new_york, seed):
    """Random inserts, late status updates, backdated rows and ad spend edits, with refreshes in between."""
    import random

    rng = random.Random(seed)
    now = utcnow()

    def when() -> object:
        return now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 1439))

    contact_ids, activity_ids, metric_ids = [], [], []
    for _ in range(8):
        with unit_of_work(db) as uow:
            s = uow.session
            for _ in range(rng.randint(3, 8)):
                roll = rng.random()
                if roll < 0.2 or not contact_ids:
                    contact_ids.append(create_contact(s, created_at=when()).id)
                    continue
                contact = s.get(Contact, rng.choice(contact_ids))
                if roll < 0.5:
                    a = create_activity(s, contact, channel=rng.choice(["sms", "email"]), status="sent",
                                        sent_at=when(), cost_micros=rng.choice([1_800, 8_000, 16_000]))
                    activity_ids.append(a.id)
                elif roll < 0.7 and activity_ids:
                    a = s.get(MarketingActivity, rng.choice(activity_ids))
                    step = rng.choice(["delivered_at", "opened_at", "clicked_at", "failed_at"])
                    if getattr(a, step) is None:  # like tools.campaigns.deliveries.advance: a step's time is set once
                        setattr(a, step, a.sent_at + timedelta(hours=rng.randint(0, 72)))
                        a.status = {"failed_at": rng.choice(["failed", "bounced"])}.get(step, step.removesuffix("_at"))
                elif roll < 0.8:
                    create_message(s, contact, when(), direction=rng.choice(["inbound", "outbound"]))
                elif roll < 0.85:
                    create_event(s, contact, "opted_out", when(), data={"reason": rng.choice(["opt_out",
                                                                                              "hard_bounce"])})
                elif roll < 0.9:
                    create_booking(s, contact, when())
                elif roll < 0.95:
                    create_enrichment(s, contact, finished_at=when(), cost_micros=rng.randint(0, 50_000),
                                      model_tokens=rng.randint(0, 9_000))
                elif metric_ids and rng.random() < 0.5:
                    s.get(AdMetric, rng.choice(metric_ids)).spend_micros = rng.randint(0, 9_000_000)
                else:
                    day = (now - timedelta(days=rng.randint(0, 25))).date()
                    metric_ids.append(create_ad_metric(s, day, rng.randint(1, 9_000_000)).id)
        if rng.random() < 0.7:
            with unit_of_work(db) as uow:
                analytics.refresh(uow.session)
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
    incremental = {d: v for d, v in _stored(db).items() if any(v.values())}
    with unit_of_work(db) as uow:
        uow.session.execute(sa.delete(DailyAnalytics))
        analytics.rebuild_daily(uow.session, analytics.today() - timedelta(days=26), analytics.today())
    rebuilt = {d: v for d, v in _stored(db).items() if any(v.values())}
    differ = {(d, m): (incremental.get(d, {}).get(m), rebuilt.get(d, {}).get(m)) for d in set(rebuilt) | set(incremental)
              for m in METRICS if incremental.get(d, {}).get(m) != rebuilt.get(d, {}).get(m)}
    assert not differ, f"(day, metric): (incremental, rebuilt) {differ}"
    assert sum(v["sms_sent"] + v["emails_sent"] for v in rebuilt.values()) > 0


def test_a_status_time_moved_to_another_day_is_repaired_by_the_sweep(db, monkeypatch):
    """The cursors see the new day of a changed row, not the day it left: the sweep re-checks older days in turn."""
    monkeypatch.setattr(analytics, "SWEEP_SPAN", 8)  # days 2..9 back (33 in production: 2..34)
    now = utcnow()
    with unit_of_work(db) as uow:
        c = create_contact(uow.session, created_at=now - timedelta(days=20))
        a = create_activity(uow.session, c, channel="email", sent_at=now - timedelta(days=10),
                            opened_at=now - timedelta(days=9))
        a_id = a.id
    with unit_of_work(db) as uow:
        analytics.refresh(uow.session)
    with unit_of_work(db) as uow:
        uow.session.get(MarketingActivity, a_id).opened_at = now - timedelta(days=5)  # a correction moves it
    days_checked = set()
    for _ in range(analytics.SWEEP_SPAN):
        with unit_of_work(db) as uow:
            days_checked |= set(analytics.refresh(uow.session).days)
    opened = {d: v["emails_opened"] for d, v in _stored(db).items() if v["emails_opened"]}
    assert opened == {analytics.today() - timedelta(days=5): 1}
    assert {analytics.today() - timedelta(days=n) for n in range(10)} <= days_checked
