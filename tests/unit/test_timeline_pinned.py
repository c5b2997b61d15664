"""Timeline rules pinned where the mutation run (docs/testing.md) found them unpinned: every event's title written
out, the steps of a message in each status, paging limits and kinds with their messages, shortening at the limit."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import timeline as rules

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KINDS = "message, conversation, booking, ad, enrichment, edit, consent, import, created, other"


@pytest.mark.parametrize(("kind", "field", "before", "after", "data", "title"), [
    ("field_changed", "city", "Paris", "", {}, "city changed from Paris to (empty)"),
    ("field_changed", "note", None, "c" * 61, {}, f"note changed from (empty) to {'c' * 59}\u2026"),
    ("field_changed", "company", "a" * 70, "  New   Co ", {}, f"company changed from {'a' * 59}\u2026 to New Co"),
    ("enriched", "job_title", None, "CTO", {"source_url": "https://x.test/a"},
     "enrichment set job_title to 'CTO' (source: https://x.test/a)"),
    ("enriched", "city", None, "b" * 61, {}, f"enrichment set city to '{'b' * 59}\u2026' (source: n/a)"),
    ("opted_out", "sms", None, None, {"reason": "stop"}, "opted out of sms (stop)"),
    ("opted_out", None, None, None, {}, "opted out of messages (opt_out)"),
    ("opted_in", "email", None, None, {}, "opted back in to email"),
    ("opted_in", None, None, None, {}, "opted back in to messages"),
    ("opt_out_requested", "sms", None, None, {}, "asked to stop on sms"),
    ("opt_out_requested", None, None, None, {}, "asked to stop on a channel"),
    ("imported", None, None, None, {"filename": "leads.csv", "result": "updated"}, "imported from leads.csv (updated)"),
    ("imported", None, None, None, {"filename": "", "result": ""}, "imported from a file"),
    ("created", "email", None, None, {"filename": "x"}, "contact created"),
    ("ad_conversion", None, None, None, {"ad_name": "Spring", "ad_campaign_id": "9", "platform": "meta"},
     "conversion from ad Spring (meta)"),
    ("ad_lead_form", None, None, None, {"ad_campaign_id": "123"}, "lead form from ad 123 (?)"),
    ("ad_click", None, None, None, {}, "click from ad an ad (?)"),
    ("merged_into", "email", None, None, {}, "merged into: email"),
    ("note_added", None, None, None, {}, "note added"),
])
def test_every_event_has_its_title(kind, field, before, after, data, title):
    assert rules.event_title(kind, field, before, after, data) == title


def test_the_steps_of_a_message_in_each_status():
    times = {"sent": T, "delivered": T + timedelta(minutes=1), "opened": T + timedelta(minutes=2),
             "clicked": T + timedelta(minutes=3)}
    assert rules.message_steps("clicked", times, T - timedelta(minutes=5), T) == [
        ("queued", T - timedelta(minutes=5)), ("sent", T), ("delivered", T + timedelta(minutes=1)),
        ("opened", T + timedelta(minutes=2)), ("clicked", T + timedelta(minutes=3))]
    late = T + timedelta(hours=1)
    assert rules.message_steps("complained", {"sent": T, "failed": late}, None, None) == [
        ("sent", T), ("complained", late)]
    assert rules.message_steps("sending", {"failed": late}, None, T) == [("failed", late)]
    assert rules.message_steps("failed", {"failed": late}, None, T) == [("failed", late)]
    for status in ("cancelled", "deferred", "unknown", "complained", "sending"):
        assert rules.message_steps(status, {}, None, late) == [(status, late)], status
    assert rules.message_steps("sent", {}, None, late) == []
    assert rules.message_steps("deferred", {}, None, None) == []


def test_shorten_at_its_limit():
    assert rules.shorten("x" * 160) == "x" * 160
    assert rules.shorten("x" * 161) == "x" * 159 + "\u2026"
    assert rules.shorten("x" * 5, 5) == "xxxxx"
    assert rules.shorten(None) == ""


def test_paging_limits_and_their_messages():
    rules.check_page(1, 1)
    rules.check_page(3, 200)
    for page, size, message in [(0, 10, "page starts at 1"), (1, 0, "page_size must be between 1 and 200"),
                                (1, 201, "page_size must be between 1 and 200"), (-1, 500, "page starts at 1")]:
        with pytest.raises(rules.TimelineInputError) as error:
            rules.check_page(page, size)
        assert str(error.value) == message


def test_kinds_empty_or_unknown():
    assert rules.check_kinds("") is None
    assert rules.check_kinds(" , ") == set()
    with pytest.raises(rules.TimelineInputError) as error:
        rules.check_kinds("tweets, Fax,message")
    assert str(error.value) == f"unknown kind fax, tweet: use {KINDS}"
