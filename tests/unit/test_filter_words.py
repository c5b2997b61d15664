"""A filter said back in words: what the person reads before trusting a count (domain/filter_words.py)."""

from __future__ import annotations

import pytest

from domain.filter_words import EVERYONE, in_words
from domain.filters import FIELDS, OPS, TEXT_OPS


@pytest.mark.parametrize(("raw", "words"), [
    (None, EVERYONE),
    ({}, EVERYONE),
    ({"field": "city", "op": "eq", "value": "Austin"}, "city is Austin"),
    ({"field": "tags", "op": "has", "value": "roofer"}, "tagged roofer"),
    ({"field": "email", "op": "missing"}, "without an email"),
    ({"field": "phone", "op": "present"}, "with a phone"),
    ({"field": "replied", "op": "within_days", "value": 30}, "replied in the last 30 days"),
    ({"field": "booked", "op": "missing"}, "never booked a meeting"),
    ({"field": "opted_out", "op": "eq", "value": "sms"}, "opted out of sms"),
    ({"field": "opted_out_email", "op": "eq", "value": False}, "not opted out of email"),
    ({"field": "attributes.lead_source", "op": "eq", "value": "fair"}, "lead source is fair"),
    ([{"field": "tags", "op": "has", "value": "roofer"},
      {"any": [{"field": "city", "op": "eq", "value": "Austin"}, {"field": "city", "op": "eq", "value": "Dallas"}]},
      {"not": {"field": "opted_out", "op": "eq", "value": "sms"}}],
     "tagged roofer and (city is Austin or city is Dallas) and not (opted out of sms)"),
    ({"field": "replied", "op": "after", "value": "2026-11-30"}, "replied after 2026-11-30"),
])
def test_a_filter_reads_back_as_it_was_understood(raw, words):
    assert in_words(raw) == words


def test_an_invalid_filter_is_said_to_be_invalid_never_guessed():
    assert in_words({"field": "shoe_size", "op": "eq", "value": 9}).startswith("(not a valid filter: ")


SAMPLE = {"text": "x", "name": "Ana", "tags": "vip", "bool": True, "channel": "sms", "date": "2026-01-02",
          "event": "2026-01-02", "campaign": 3, "id": 7}


@pytest.mark.parametrize(("field", "op"), [(f, op) for f, kind in FIELDS.items() for op in OPS[kind]]
                         + [("attributes.source_list", op) for op in TEXT_OPS])
def test_every_field_and_operator_of_the_language_has_words(field, op):
    kind = "text" if field.startswith("attributes.") else FIELDS[field]
    sample = {"enrichment_status": "pending"}.get(field, SAMPLE[kind])
    value = {"in": [sample] * 2, "not_in": [sample] * 2, "has_any": ["a", "b"], "has_all": ["a", "b"],
             "within_days": 5, "older_than_days": 5}.get(op, sample)
    raw = {"field": field, "op": op} | ({} if op in ("present", "missing") else {"value": value})
    words = in_words(raw)
    assert words and not words.startswith("(not a valid filter") and "{" not in words, (raw, words)


@pytest.mark.parametrize(("raw", "words"), [
    ({"field": "opted_out_sms", "op": "eq", "value": True}, "opted out of SMS"),
    ({"field": "opted_out_sms", "op": "eq", "value": False}, "not opted out of SMS"),
    ({"field": "is_sample", "op": "eq", "value": True}, "sample data"),
    ({"field": "opted_out", "op": "eq", "value": "any"}, "opted out of any channel"),
    ({"field": "opted_out", "op": "eq", "value": "all"}, "opted out of every channel"),
    ({"field": "opted_out", "op": "in", "value": ["sms", "email"]}, "opted out of any of sms, email"),
    ({"field": "contacted_in_campaign", "op": "eq", "value": "Spring"}, "contacted in campaign Spring"),
    ({"field": "contacted_in_campaign", "op": "in", "value": ["Spring", "Fall"]}, "contacted in any of campaigns Spring, Fall"),
    ({"field": "created_at", "op": "after", "value": "2026-11-30T14:05:00Z"}, "created at after 2026-11-30 14:05 UTC"),
    ({"field": "created_at", "op": "before", "value": "2026-11-30T00:00:00Z"}, "created at before 2026-11-30"),
    ({"field": "opted_out_sms_at", "op": "within_days", "value": 7}, "opted out of SMS in the last 7 days"),
    ({"field": "replied", "op": "older_than_days", "value": 30}, "replied more than 30 days ago"),  # once at least
    ({"field": "texted", "op": "present"}, "ever texted"),
    ({"not": {"field": "emailed", "op": "present"}}, "never emailed"),
    ({"not": {"field": "booked", "op": "present"}}, "never booked a meeting"),
    ({"not": {"field": "replied", "op": "within_days", "value": 7}}, "not (replied in the last 7 days)"),
    ({"all": [{"field": "texted", "op": "after", "value": "2026-12-06"}, {"field": "tags", "op": "has", "value": "vip"},
              {"field": "texted", "op": "before", "value": "2026-12-07"}]},
     "texted after 2026-12-06 and before 2026-12-07 and tagged vip"),  # one text in that range, said once
    ({"all": [{"field": "booked", "op": "within_days", "value": 30}, {"field": "replied", "op": "within_days", "value": 7},
              {"field": "booked", "op": "older_than_days", "value": 2}]},
     "booked a meeting in the last 30 days and more than 2 days ago and replied in the last 7 days"),
    ({"field": "opted_out_email_at", "op": "after", "value": "2026-12-01"}, "opted out of email after 2026-12-01"),
    ({"field": "opted_out_sms_at", "op": "before", "value": "2026-12-01"}, "opted out of SMS before 2026-12-01"),
    ({"field": "opted_out_email_at", "op": "older_than_days", "value": 30}, "opted out of email more than 30 days ago"),
    ({"field": "opted_out_sms_at", "op": "present"}, "opted out of SMS"),
    ({"field": "opted_out_email_at", "op": "missing"}, "not opted out of email"),
    ({"field": "city", "op": "in", "value": ["Austin", "Dallas"]}, "city is one of Austin, Dallas"),
    ({"field": "attributes.industry", "op": "missing"}, "without an industry"),
    ({"field": "attributes.xray", "op": "missing"}, "without a xray"),
    ({"field": "attributes.Xray", "op": "missing"}, "without a Xray"),  # an attribute key keeps its case
    ({"any": [{"field": "city", "op": "eq", "value": "Austin"}, {"field": "city", "op": "eq", "value": "Dallas"}]},
     "city is Austin or city is Dallas"),  # the whole filter: no brackets
    ({"not": {"any": [{"field": "city", "op": "eq", "value": "Austin"}, {"field": "tags", "op": "has", "value": "vip"}]}},
     "not (city is Austin or tagged vip)"),  # one pair of brackets
])
def test_each_kind_of_condition_reads_back_in_its_own_words(raw, words):
    assert in_words(raw) == words
