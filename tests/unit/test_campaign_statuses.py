"""Campaign and activity statuses (domain/campaigns.py): the allowed moves and the order delivery reports follow."""

from __future__ import annotations

import pytest

from domain.campaigns import (
    ACTIVITY_ORDER,
    CAMPAIGN_MOVES,
    WAITING,
    ActivityStatus,
    CampaignStatus,
    activity_can_move,
    activity_rank,
    campaign_can_move,
    moves_forward,
)

C = CampaignStatus
A = ActivityStatus


def test_statuses_are_the_stored_strings():
    assert C.RUNNING == "running" and f"{C.PAUSED}" == "paused" and A("clicked") is A.CLICKED
    assert set(CAMPAIGN_MOVES) == set(C) and set(ACTIVITY_ORDER) == set(A)


@pytest.mark.parametrize(("current", "new", "allowed"), [
    ("draft", "running", True),        # launch
    ("draft", "paused", False),        # only a running campaign pauses
    ("running", "paused", True),
    ("paused", "running", True),       # resume
    ("running", "completed", True),    # the tick, nothing left to send
    ("paused", "completed", False),
    ("completed", "running", True),    # sends in doubt resent anyway
    ("completed", "cancelled", False),
    ("draft", "cancelled", True),
    ("paused", "cancelled", True),
    ("cancelled", "running", False),   # cancelled is for good
    ("running", "running", False),
    ("running", "archived", False),    # unknown statuses never move
    ("archived", "running", False),
])
def test_campaign_moves(current, new, allowed):
    assert campaign_can_move(current, new) is allowed


def test_a_cancelled_campaign_goes_nowhere_and_every_other_status_has_a_way_on():
    assert CAMPAIGN_MOVES[C.CANCELLED] == frozenset()
    assert all(CAMPAIGN_MOVES[s] for s in C if s is not C.CANCELLED)


def test_delivery_reports_only_move_forward_in_order():
    order = ["queued", "sending", "sent", "failed", "delivered", "opened", "clicked", "bounced", "complained"]
    assert [activity_rank(s) for s in order] == sorted(activity_rank(s) for s in order)
    assert len({activity_rank(s) for s in order}) == len(order)
    assert moves_forward("failed", "delivered") and not moves_forward("delivered", "failed")  # receipt outranks
    assert moves_forward("clicked", "bounced") and moves_forward("bounced", "complained")  # they override
    assert not moves_forward("delivered", "delivered")  # a replay changes nothing
    assert not moves_forward("sending", "unknown") and not moves_forward("unknown", "sending")  # equal ranks
    assert moves_forward("something-old", "sent") and activity_rank("something-old") == 0


@pytest.mark.parametrize(("current", "new", "allowed"), [
    ("queued", "sending", True),       # claimed
    ("sending", "queued", True),       # put back to retry, or a worker stopped before the request
    ("sending", "deferred", True),     # quiet hours found at claim
    ("sending", "cancelled", True),    # cap reached at claim
    ("sending", "unknown", True),      # requested, no result
    ("unknown", "queued", True),       # SMS in doubt retried, or resent anyway
    ("unknown", "sent", True),         # found by its metadata
    ("deferred", "queued", True),      # released by the tick
    ("queued", "cancelled", True),
    ("sent", "queued", False),         # a sent message is never queued again
    ("delivered", "sending", False),
    ("clicked", "delivered", False),
    ("complained", "bounced", False),
    ("queued", "nonsense", False),
])
def test_activity_moves(current, new, allowed):
    assert activity_can_move(current, new) is allowed


def test_waiting_rows_are_the_unclaimed_ones():
    assert WAITING == {A.QUEUED, A.DEFERRED} and all(activity_can_move(s, "cancelled") for s in WAITING)
