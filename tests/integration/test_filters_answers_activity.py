"""Filters on what happened to a contact state their answer (issue 24): contacted_in_campaign (by id, by exact name,
by the one name containing the words), contacted, replied and booked (ever, never, before/after/within/older than,
on the bound), each case also negated. The reference below reads the same rows in plain Python (no SQL) and must
pick exactly the contacts the compiled filter returns, on SQLite and on PostgreSQL. The contact's own columns:
tests/integration/test_filters_answers.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from db.filters import CONTACTED_STATUSES, compile_filter
from db.models import CalendarBooking, Campaign, Contact, ConversationMessage, MarketingActivity
from domain.filters import All, AnyOf, Condition, Not, parse
from tests.factories import create_contact
from tests.integration.test_properties_filter_answers import NOW

DAY = timedelta(days=1)
CAMPAIGNS = ("Spring", "Spring Sale", "Autumn", "a_b launch", "axb promo", "Winter")
# (contact, campaign, status, days before NOW it was sent or None)
SENDS = [("jane", "Spring Sale", "delivered", 2), ("john", "Spring", "queued", None), ("ana", "Autumn", "sent", 20),
         ("ana", "a_b launch", "failed", 5), ("bob", "axb promo", "sent", 7), ("bob", "Spring", "opened", 40),
         ("carl", "a_b launch", "bounced", 30), ("carl", "Winter", "unknown", 1), ("dora", "Winter", "queued", None)]
# SMS sends, with no campaign: (contact, status, days before NOW it was sent or None)
SMS_SENDS = [("john", "sent", 1), ("ana", "delivered", 10), ("jane", "queued", None), ("carl", "sent", 35)]
# (contact, direction, days before NOW)
MESSAGES = [("jane", "inbound", 1), ("john", "outbound", 1), ("ana", "inbound", 60), ("bob", "inbound", 30)]
# (contact, status, days before NOW it was made)
BOOKINGS = [("john", "accepted", 3), ("ana", "cancelled", 1), ("bob", "rejected", 2), ("carl", "accepted", 30),
            ("dora", "accepted", 45), ("jane", "accepted", 2)]
PEOPLE = ("jane", "john", "ana", "bob", "carl", "dora")


def seed(session) -> dict[str, dict[str, int]]:
    people = {p: create_contact(session, email=f"{p}@example.com").id for p in PEOPLE}
    campaigns = {name: Campaign(name=name, channel="email") for name in CAMPAIGNS}
    session.add_all(campaigns.values())
    session.flush()
    campaigns["Winter"].name = f"Winter {campaigns['Spring'].id}"  # digits in a name: still a name
    for who, name, status, days in SENDS:
        session.add(MarketingActivity(campaign_id=campaigns[name].id, contact_id=people[who], channel="email",
                                      status=status, sent_at=None if days is None else NOW - days * DAY))
    for who, status, days in SMS_SENDS:
        session.add(MarketingActivity(contact_id=people[who], channel="sms", status=status,
                                      sent_at=None if days is None else NOW - days * DAY))
    for who, direction, days in MESSAGES:
        session.add(ConversationMessage(contact_id=people[who], channel="sms", direction=direction, body="hi",
                                        occurred_at=NOW - days * DAY))
    for n, (who, status, days) in enumerate(BOOKINGS):
        session.add(CalendarBooking(contact_id=people[who], calcom_uid=f"b{n}", status=status,
                                    created_at=NOW - days * DAY))
    session.commit()
    return {"people": people, "campaigns": {key: c.id for key, c in campaigns.items()},
            "names": {c.name: c.id for c in campaigns.values()}}


# --- the reference: the same facts, read in Python ------------------------------------------------------------

def campaigns_meant(value: Any, names: dict[str, int]) -> set[int]:
    """A number (or digits) is an id; a name is the campaign of that exact name (case ignored), else the only one
    whose name contains it; else none."""
    if isinstance(value, int) or str(value).isdigit():
        return {int(value)}
    exact = {cid for name, cid in names.items() if name.lower() == str(value).lower()}
    part = {cid for name, cid in names.items() if str(value).lower() in name.lower()}
    return exact or (part if len(part) == 1 else set())


def times(field: str, who: str) -> list[datetime | None]:
    """When each of the person's events of this kind happened (a send never made has None)."""
    if field == "replied":
        return [NOW - d * DAY for p, direction, d in MESSAGES if p == who and direction == "inbound"]
    if field == "booked":
        return [NOW - d * DAY for p, status, d in BOOKINGS if p == who and status not in ("cancelled", "rejected")]
    emails = [None if d is None else NOW - d * DAY for p, _, _, d in SENDS if p == who]
    texts = [None if d is None else NOW - d * DAY for p, _, d in SMS_SENDS if p == who]
    return {"emailed": emails, "texted": texts}.get(field, emails + texts)  # contacted: either


def on_time(when: datetime | None, c: Condition) -> bool:
    if when is None:
        return False
    if c.op in ("present", "missing"):
        return True
    if c.op == "before":
        return when < c.value
    if c.op == "after":
        return when >= c.value
    bound = NOW - timedelta(days=c.value)
    return when >= bound if c.op == "within_days" else when < bound


RANGE = ("before", "after", "since", "within_days", "older_than_days")


def picks(node: Any, who: str, seeded: dict[str, dict[str, int]]) -> bool:
    if isinstance(node, All):  # time tests on one activity side by side: one event in that range
        ranged = [i for i in node.items if isinstance(i, Condition) and i.kind == "event" and i.op in RANGE]
        rest = [i for i in node.items if i not in ranged]
        one_event = all(any(all(on_time(when, c) for c in ranged if c.field == field) for when in times(field, who))
                        for field in {c.field for c in ranged})
        return one_event and all(picks(i, who, seeded) for i in rest)
    if isinstance(node, AnyOf):
        return any(picks(i, who, seeded) for i in node.items)
    if isinstance(node, Not):
        return not picks(node.item, who, seeded)
    if node.field == "contacted_in_campaign":
        values = node.value if node.op == "in" else [node.value]
        meant = set().union(*(campaigns_meant(v, seeded["names"]) for v in values))
        return any(p == who and status in CONTACTED_STATUSES and seeded["campaigns"][key] in meant
                   for p, key, status, _ in SENDS)
    happened = any(on_time(when, node) for when in times(node.field, who))
    return not happened if node.op == "missing" else happened


# --- the cases --------------------------------------------------------------------------------------------------

def campaign_cases(ids: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"field": "contacted_in_campaign", "op": "eq", "value": ids["Spring Sale"]},
        {"field": "contacted_in_campaign", "op": "eq", "value": str(ids["Spring"])},  # digits typed as text
        {"field": "contacted_in_campaign", "op": "in", "value": [str(ids["Autumn"]), ids["a_b launch"]]},
        {"field": "contacted_in_campaign", "op": "eq", "value": "SPRING"},  # exact, though "Spring Sale" has it
        {"field": "contacted_in_campaign", "op": "eq", "value": "spring sale"},
        {"field": "contacted_in_campaign", "op": "eq", "value": "sale"},  # the one name containing it
        {"field": "contacted_in_campaign", "op": "eq", "value": "Inter"},
        {"field": "contacted_in_campaign", "op": "eq", "value": "a_b"},  # "_" is a character, not a wildcard
        {"field": "contacted_in_campaign", "op": "eq", "value": "a"},  # in several names: no guess
        {"field": "contacted_in_campaign", "op": "in", "value": ["autumn", "axb"]},
    ]


EVENTS = [
    {"field": field, "op": op, **({} if value is None else {"value": value})}
    for field in ("contacted", "texted", "emailed", "replied", "booked")
    for op, value in (("present", None), ("missing", None), ("within_days", 30), ("older_than_days", 30),
                      ("within_days", 7), ("older_than_days", 2), ("before", (NOW - 30 * DAY).isoformat()),
                      ("after", (NOW - 30 * DAY).isoformat()), ("since", (NOW - 2 * DAY).isoformat()))
]


def wrong_answers(session, cases: list[dict[str, Any]], seeded: dict[str, dict[str, int]]) -> list[tuple]:
    wrong = []
    for raw in [*cases, *({"not": case} for case in cases)]:
        parsed = parse(raw)
        expected = sorted(p for p in PEOPLE if picks(parsed, p, seeded))
        ids = set(session.scalars(sa.select(Contact.id).where(compile_filter(parsed, now=NOW))))
        chosen = sorted(p for p in PEOPLE if seeded["people"][p] in ids)
        if chosen != expected:
            wrong.append((raw, chosen, expected))
    return wrong


def test_contacted_in_campaign_selects_what_the_reference_picks(session):
    seeded = seed(session)
    cases = campaign_cases(seeded["campaigns"])
    assert wrong_answers(session, cases, seeded) == []


def test_contacted_replied_and_booked_select_what_the_reference_picks(session):
    seeded = seed(session)
    assert wrong_answers(session, EVENTS, seeded) == []


def test_the_cases_tell_the_people_apart(session):
    """Guards the tests above against cases that pick everybody or nobody."""
    seeded = seed(session)
    cases = campaign_cases(seeded["campaigns"]) + EVENTS
    alike = [raw for raw in cases if len({picks(parse(raw), p, seeded) for p in PEOPLE}) == 1]
    assert alike == [{"field": "contacted_in_campaign", "op": "eq", "value": "a"}]


def test_time_tests_on_one_activity_side_by_side_are_one_event_in_that_range(session):
    """'who replied last week' is one reply between the two bounds, not a reply after the first and another before
    the second: carl, contacted 1 and 30 days ago, passes each bound of "between 25 and 6 days ago" apart, not the
    range."""
    seeded = seed(session)
    ranges = [
        {"all": [{"field": "replied", "op": "after", "value": (NOW - 90 * DAY).isoformat()},
                 {"field": "replied", "op": "before", "value": (NOW - 45 * DAY).isoformat()}]},  # ana only
        {"all": [{"field": "contacted", "op": "within_days", "value": 25},
                 {"field": "contacted", "op": "older_than_days", "value": 6}]},  # ana (20 d, 10 d sms), bob (7 d)
        {"all": [{"field": "texted", "op": "within_days", "value": 12},
                 {"field": "texted", "op": "older_than_days", "value": 5}, {"field": "booked", "op": "missing"}]},
        {"all": [{"field": "booked", "op": "after", "value": (NOW - 40 * DAY).isoformat()},
                 {"field": "booked", "op": "before", "value": (NOW - 10 * DAY).isoformat()},
                 {"field": "replied", "op": "present"}]},
        {"all": [{"field": "replied", "op": "within_days", "value": 45}, {"field": "booked", "op": "present"}]},
    ]
    assert wrong_answers(session, ranges, seeded) == []
    chosen = {raw_key: sorted(p for p in PEOPLE if picks(parse(raw), p, seeded))
              for raw_key, raw in enumerate(ranges)}
    assert chosen == {0: ["ana"], 1: ["ana", "bob"], 2: ["ana"], 3: [], 4: ["jane"]}
    # each bound alone picks more: the range is not the two tests apart
    apart = [p for p in PEOPLE if picks(parse(ranges[1]["all"][0]), p, seeded)
             and picks(parse(ranges[1]["all"][1]), p, seeded)]
    assert apart == ["ana", "bob", "carl"]

