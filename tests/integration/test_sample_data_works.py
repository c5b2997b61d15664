"""Sample data that works (issue 15 item 6): every sample campaign, ad campaign and filter loads, previews and
reports without error, in the tools and in the chat; sample data loaded by an earlier version is repaired."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa

from agent.core.context import actor_from
from agent.core.runner import open_agent
from db.models import AdCampaign, Campaign
from db.session import unit_of_work
from tools.ads.drafts import ad_report
from tools.campaigns.lifecycle import preview_campaign
from tools.campaigns.report import campaign_report
from tools.contacts.records import count_contacts
from tools.demo import SAMPLE_AD, SAMPLE_CAMPAIGN, load_sample_data
from tools.users import Actor

ADMIN = Actor("admin@example.com", "admin")


def test_every_sample_campaign_ad_and_filter_previews_and_reports(session):
    load_sample_data(session, ADMIN)
    campaigns = list(session.scalars(sa.select(Campaign).where(Campaign.is_sample.is_(True))))
    ads = list(session.scalars(sa.select(AdCampaign).where(AdCampaign.is_sample.is_(True))))
    assert campaigns and ads
    for camp in campaigns:
        assert count_contacts(session, ADMIN, camp.target_filter) == 8  # the roofers
        assert preview_campaign(session, ADMIN, camp.name).audience == 8
        assert campaign_report(session, ADMIN, camp.name) is not None
    for ad in ads:
        assert count_contacts(session, ADMIN, ad.target_filter) == 8
        assert ad_report(session, ADMIN, ad.name) is not None


def test_sample_data_from_an_earlier_version_is_repaired_on_load(session):
    load_sample_data(session, ADMIN)
    camp = session.scalar(sa.select(Campaign).where(Campaign.name == SAMPLE_CAMPAIGN))
    camp.target_filter = {"field": "tags", "op": "contains", "value": "roofer"}
    session.flush()
    assert load_sample_data(session, ADMIN).already_loaded
    session.refresh(camp)
    assert camp.target_filter == {"field": "tags", "op": "has", "value": "roofer"}


def test_the_chat_previews_and_reports_the_sample_campaign_and_ad(session):
    load_sample_data(session, ADMIN)
    session.commit()

    async def run():
        async with open_agent() as agent:
            out = []
            for text in (f"preview campaign {SAMPLE_CAMPAIGN}", f"how did the {SAMPLE_CAMPAIGN} campaign do",
                         f"ad report for {SAMPLE_AD}"):
                out.append(await agent.send(text, thread_id=f"t-{uuid.uuid4()}",
                                            actor=actor_from("admin@example.com", "admin")))
            return out
    for result in asyncio.run(run()):
        assert result.tool_results and all(r["status"] == "ok" for r in result.tool_results), result.tool_results
    with unit_of_work() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1
