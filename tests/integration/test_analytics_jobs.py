"""The periodic refresh job (under its lease) and the `mkt analytics` commands."""

from __future__ import annotations

import csv
from datetime import timedelta

import sqlalchemy as sa

from cli.main import main as mkt
from db.locks import try_lease
from db.models import DailyAnalytics, utcnow
from db.session import unit_of_work
from tests.analytics_factories import at, create_activity, create_contact
from workers import analytics as job
from workers.scheduler import PERIODIC


def _sent_yesterday(db) -> None:
    with unit_of_work(db) as uow:
        c = create_contact(uow.session)
        create_activity(uow.session, c, channel="sms", sent_at=utcnow() - timedelta(days=1), cost_micros=8_000)


def test_refresh_job_is_periodic_and_counts_what_was_sent(db):
    assert PERIODIC["analytics.refresh"][1] == job.INTERVAL_SECONDS
    _sent_yesterday(db)
    assert job.refresh() >= 2  # today, yesterday (and the contact's day)
    with unit_of_work(db) as uow:
        assert uow.session.scalar(sa.select(sa.func.sum(DailyAnalytics.sms_sent))) == 1
        assert uow.session.scalar(sa.select(sa.func.sum(DailyAnalytics.cost_sms_micros))) == 8_000


def test_refresh_skips_while_another_refresh_holds_the_lease(db):
    _sent_yesterday(db)
    with unit_of_work(db) as uow:
        assert try_lease(uow.session, job.RUN_LEASE, "someone-else", 60)
    assert job.refresh_now("me") is None
    assert job.refresh() == 0
    with unit_of_work(db) as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(DailyAnalytics)) == 0


def test_cli_rebuild_and_export(db, tmp_path, capsys):
    with unit_of_work(db) as uow:
        c = create_contact(uow.session, created_at=at("2026-05-02 12:00"))
        create_activity(uow.session, c, channel="email", sent_at=at("2026-05-02 12:00"), cost_micros=1_800)
    assert mkt(["analytics", "rebuild", "--from", "2026-05-01", "--to", "2026-05-03"]) == 0
    assert "rebuilt 3 days" in capsys.readouterr().out
    out = tmp_path / "a.csv"
    assert mkt(["analytics", "export", str(out), "--from", "2026-05-01", "--to", "2026-05-03"]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["emails_sent"] for r in rows] == ["0", "1", "0"] and rows[1]["new_contacts"] == "1"
    assert mkt(["analytics", "export", str(out), "--from", "2026-05-01", "--to", "2026-05-03"]) == 2
    assert "exists" in capsys.readouterr().err
    assert mkt(["analytics", "rebuild", "--from", "2026-05-03", "--to", "2026-05-01"]) == 2
    assert "ends (2026-05-01) before it starts" in capsys.readouterr().err
