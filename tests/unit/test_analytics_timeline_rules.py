"""Pure timeline rules: a message's dated steps, event kinds and wording, kinds and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain import timeline as rules

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_message_steps_follow_the_status_times():
    times = {"sent": T, "delivered": T + timedelta(minutes=1), "opened": None, "clicked": None,
             "failed": None}
    assert [s for s, _ in rules.message_steps("delivered", times, T - timedelta(minutes=5), T)] == [
        "queued", "sent", "delivered"]
    bounced = rules.message_steps("bounced", {"sent": T, "failed": T + timedelta(seconds=5)}, None, None)
    assert bounced == [("sent", T), ("bounced", T + timedelta(seconds=5))]
    assert rules.message_steps("cancelled", {}, T, T + timedelta(hours=1)) == [
        ("queued", T), ("cancelled", T + timedelta(hours=1))]


def test_event_kinds_and_titles():
    assert rules.event_kind("opted_out") == "consent" and rules.event_kind("ad_conversion") == "ad"
    assert rules.event_kind("merged") == "other"
    assert rules.event_title("field_changed", "city", None, "Paris", {}) == "city changed from (empty) to Paris"
    assert "source: https://x.test/a" in rules.event_title("enriched", "title", None, "CTO",
                                                           {"source_url": "https://x.test/a"})
    assert rules.shorten("a  b\nc") == "a b c" and rules.shorten("x" * 10, 5) == "xxxx\u2026"


def test_kinds_accept_plurals_and_refuse_unknown_ones():
    assert rules.check_kinds(["Messages", "bookings"]) == {"message", "booking"}
    assert rules.check_kinds("message, Bookings") == {"message", "booking"}
    assert rules.check_kinds(None) is None and rules.check_kinds([]) is None
    with pytest.raises(rules.TimelineInputError, match="unknown kind tweet"):
        rules.check_kinds("tweets")
    with pytest.raises(rules.TimelineInputError):
        rules.check_page(0, 10)


def test_pages_are_newest_first_and_stable():
    entries = [rules.Entry(at=T + timedelta(minutes=i % 3), kind="other", title=str(i), ref=f"e:{i}")
               for i in range(7)]
    first = rules.order_and_page(list(entries), 1, 3)
    second = rules.order_and_page(list(entries), 2, 3)
    assert [e.title for e in first] == ["5", "2", "4"] and [e.title for e in second] == ["1", "6", "3"]
