"""One way to find a campaign from what a person typed, used by every campaign tool (draft/preview/launch/status,
results, the campaign card): id, '#id', name in any case and accents, or a unique part of the name; several matches
are named, never guessed."""

from __future__ import annotations

import pytest

from db.models import Campaign
from tools.campaigns.lifecycle import CampaignError, campaign_status
from tools.campaigns.lookup import CampaignNotFound, find_campaign
from tools.campaigns.report import campaign_report
from tools.users import Actor

ADMIN = Actor(email="admin@example.com", role="admin")


def campaigns(session) -> tuple[Campaign, Campaign, Campaign]:
    rows = (Campaign(name="Spring roof check (sample)", channel="sms", body_text="Hi", target_filter={}),
            Campaign(name="Été à Montréal", channel="email", subject="S", body_text="Hi", target_filter={}),
            Campaign(name="Autumn gutters", channel="sms", body_text="Hi", target_filter={}))
    session.add_all(rows)
    session.flush()
    return rows


def test_by_id_name_accents_and_a_unique_part(session):
    spring, ete, autumn = campaigns(session)
    assert find_campaign(session, str(spring.id)) is spring and find_campaign(session, f"#{autumn.id}") is autumn
    assert find_campaign(session, "ete a montreal") is ete
    assert find_campaign(session, "spring") is spring
    assert find_campaign(session, "GUTTERS") is autumn


def test_several_matches_are_named_and_none_is_chosen(session):
    campaigns(session)
    session.add(Campaign(name="Spring gutters", channel="sms", body_text="Hi", target_filter={}))
    session.flush()
    with pytest.raises(CampaignNotFound, match=r"2 campaigns match 'gutters': #\d+ Autumn gutters, #\d+ Spring gutters"):
        find_campaign(session, "gutters")
    with pytest.raises(CampaignNotFound, match="no campaign is called 'winter'"):
        find_campaign(session, "winter")


def test_the_campaign_tools_take_the_same_references(session):
    spring, *_ = campaigns(session)
    assert campaign_status(session, ADMIN, "spring").name == spring.name
    assert campaign_report(session, ADMIN, "Spring Roof").name == spring.name
    with pytest.raises(CampaignError, match="no campaign is called 'winter'"):
        campaign_status(session, ADMIN, "winter")


def test_the_last_campaign_is_the_one_made_last_and_for_results_the_one_launched_last(session):
    from datetime import UTC, datetime

    with pytest.raises(CampaignNotFound, match="there is no campaign yet: say 'list campaigns' to see them"):
        find_campaign(session, "the last campaign")
    spring, ete, autumn = campaigns(session)
    assert find_campaign(session, "last") is autumn  # nothing launched: the one made last, for results too
    assert find_campaign(session, "the last", launched=True) is autumn
    spring.launched_at = datetime(2026, 3, 1, tzinfo=UTC)
    ete.launched_at = datetime(2026, 5, 1, tzinfo=UTC)
    session.flush()
    for said in ("last", "the latest", "my most recent one", "Newest", "our last campaign", "the last sent"):
        assert find_campaign(session, said) is autumn, said  # "launch the last campaign": the draft just written
        assert find_campaign(session, said, launched=True) is ete, said  # "how did it do": the last that went out
    assert campaign_report(session, ADMIN, "the last campaign").name == ete.name
    assert campaign_status(session, ADMIN, "latest").name == autumn.name


def test_a_campaign_really_called_last_is_that_one(session):
    campaigns(session)
    called = Campaign(name="Last chance", channel="sms", body_text="Hi", target_filter={})
    session.add_all([called, Campaign(name="Latest", channel="sms", body_text="Hi", target_filter={})])
    session.flush()
    assert find_campaign(session, "last chance") is called
    assert find_campaign(session, "latest").name == "Latest"  # a name is that: the name wins


def test_an_exact_name_wins_over_the_longer_names_that_contain_it(session):
    xmas = Campaign(name="Xmas", channel="sms", body_text="Hi", target_filter={})
    session.add_all([xmas, Campaign(name="Xmas sale", channel="sms", body_text="Hi", target_filter={})])
    session.flush()
    assert find_campaign(session, "#Xmas") is xmas and find_campaign(session, "xmas") is xmas


def test_at_most_eight_candidates_are_named(session):
    rows = [Campaign(name=f"Promo {n}", channel="sms", body_text="Hi", target_filter={}) for n in range(1, 10)]
    session.add_all(rows)
    session.flush()
    named = ", ".join(f"#{c.id} Promo {n}" for n, c in enumerate(rows[:8], start=1))
    with pytest.raises(CampaignNotFound) as caught:
        find_campaign(session, "promo")
    assert str(caught.value) == f"9 campaigns match 'promo': {named}. Say which one (its id or full name)."


def test_the_last_sequence_is_the_one_made_last(session):
    from datetime import UTC, datetime

    from db.models import Sequence
    from tools.sequences.lifecycle import SequenceError, find_sequence

    older = Sequence(name="Welcome", launched_at=datetime(2026, 5, 1, tzinfo=UTC))
    newer = Sequence(name="Winback")
    session.add_all([older, newer])
    session.flush()
    assert find_sequence(session, "the last sequence") is newer
    with pytest.raises(SequenceError, match="no sequence is called 'spring'"):
        find_sequence(session, "spring")
