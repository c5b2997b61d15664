"""A time said with a campaign ("text everyone in texas tomorrow morning: ...") is when it starts sending, never
part of the audience (it was read as the city "texas tomorrow morning", 0 people)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from agent.offline.dates import split_send_time
from agent.offline.filters import Vocabulary
from agent.offline.parser import parse

MONDAY = date(2026, 12, 7)


@pytest.mark.parametrize(("phrase", "who", "when"), [
    ("everyone in texas tomorrow morning", "everyone in texas", datetime(2026, 12, 8, 9, 0)),
    ("the roofers on friday at 2pm", "the roofers", datetime(2026, 12, 11, 14, 0)),
    ("plumbers tonight", "plumbers", datetime(2026, 12, 7, 19, 0)),
    ("roofers in austin at 9:30am", "roofers in austin", datetime(2026, 12, 7, 9, 30)),
    ("roofers next monday", "roofers", datetime(2026, 12, 14, 10, 0)),
    ("roofers on 2026-12-24 at 8", "roofers", datetime(2026, 12, 24, 8, 0)),
    ("roofers on friday at 3", "roofers", datetime(2026, 12, 11, 15, 0)),
    ("roofers tomorrow at 8am", "roofers", datetime(2026, 12, 8, 8, 0)),
])
def test_a_time_at_the_end_of_the_audience_is_when_to_send(phrase, who, when):
    assert split_send_time(phrase, MONDAY) == (who, when)


@pytest.mark.parametrize("phrase", ["roofers in austin", "everyone in texas", "friday", "roofers at 25:00",
                                    "contacts added today"])
def test_no_time_or_nothing_else_leaves_the_phrase_alone(phrase):
    assert split_send_time(phrase, MONDAY) == (phrase, None)


def test_the_draft_gets_the_start_time_and_the_audience_without_it():
    calls = parse("text everyone in texas tomorrow morning: storm season special", Vocabulary(today=MONDAY))
    assert calls == [calls[0]] and calls[0].name == "draft_campaign"
    args = calls[0].args
    assert args["send_at"] == "2026-12-08T09:00" and args["filter"] == {"field": "region", "op": "in",
                                                                        "value": ["TX", "Texas"]}
    assert "tomorrow" not in args["name"]
