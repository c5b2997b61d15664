"""Issue 11 (reliability): "Quiet hours across time zones and DST changes with a frozen clock", on the whole send path.

The pure rule (domain/send_rules.py) has its unit tests; here an SMS campaign is launched (tools/campaigns/lifecycle.py) with
the clock frozen at instants around the 2026 DST changes (US 03-08 and 11-01, EU 03-29 and 10-25, Sydney 04-05 and
10-04), including instants in the repeated local hour and just after the skipped one, to contacts in New York,
London, Sydney (southern DST), Kolkata (no DST, a half-hour offset), Phoenix (no DST) and two with no time zone:
one whose number lies in a single zone (+1 512: America/Chicago) and one whose number has none (+800 freephone:
the account's zone, Europe/Paris here). The clock is frozen through the product's own seams: `now=` of
`launch_campaign` and the workers' clock (`workers.campaigns.clock`, read by `run_tick` and by each batch's claim).

For each instant: who is sent at once (through a real worker to the Sent.dm fake over HTTP), who is deferred and
until exactly when (08:00 local on the right date, as a UTC instant, written out by hand below; * marks the cases
where the zone changes its offset between the frozen instant and that 08:00, so the offset in force at launch would
be an hour off), that a tick one second before that instant frees no one,
that a tick at the instant sends exactly those contacts, and that in the end each contact got exactly one message.

Then the claim itself (issue: quiet hours were checked only at launch and tick time): a batch queued at 20:50 in New
York but claimed after 21:00 there, because the provider answered 429 with Retry-After or because the campaign was
paused and resumed, sends nobody in New York. Those rows go back to "deferred" until 08:00 EDT (an exact UTC
instant), with the reason and without using up an attempt; contacts of the same batch in Tokyo and Sydney go out at
once; an opt-out since launch is still cancelled; the tick sends the New Yorkers exactly once at 08:00."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from db.models import Contact, MarketingActivity
from db.session import unit_of_work
from tests.factories import create_contact
from tests.fakes.postmark import Fault
from tests.fakes.sentdm import FakeSentDm
from tests.integration.campaign_support import MARKETER, drain, fakes, running_worker
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc
from tools.contacts.optouts import opt_out
from workers import campaigns as workers_campaigns
from workers.campaigns import run_tick

PEOPLE = {  # who: (time zone, phone)
    "new_york": ("America/New_York", "+12125550101"),
    "london": ("Europe/London", "+442079460101"),
    "sydney": ("Australia/Sydney", "+61291230101"),
    "kolkata": ("Asia/Kolkata", "+919812340101"),
    "phoenix": ("America/Phoenix", "+16025550101"),
    "austin_no_zone": (None, "+15125550101"),
    "freephone_no_zone": (None, "+80012345678"),
}
NOW = None  # sent at launch

# frozen clock (UTC) -> for each contact: None (sent at once) or the UTC instant of 08:00 local it waits for.
SCENARIOS = [
    pytest.param("2026-03-08T06:59:59Z", {  # US: New York 01:59:59 EST, a second before 02:00 becomes 03:00
        "new_york": "2026-03-08T12:00:00Z",  # * 08:00 EDT, not EST
        "london": "2026-03-08T08:00:00Z", "sydney": NOW, "kolkata": NOW, "phoenix": "2026-03-08T15:00:00Z",
        "austin_no_zone": "2026-03-08T13:00:00Z",  # * Chicago 00:59 CST -> 08:00 CDT
        "freephone_no_zone": "2026-03-08T07:00:00Z"}, id="us-springs-forward-a-second-before"),
    pytest.param("2026-03-08T07:30:00Z", {  # New York 03:30 EDT: 02:00-03:00 did not exist today
        "new_york": "2026-03-08T12:00:00Z", "london": "2026-03-08T08:00:00Z", "sydney": NOW, "kolkata": NOW,
        "phoenix": "2026-03-08T15:00:00Z",  # Arizona keeps MST: 00:30 -> 08:00 MST
        "austin_no_zone": "2026-03-08T13:00:00Z",  # * Chicago 01:30 CST, its 02:00 is skipped on the way to 08:00
        "freephone_no_zone": NOW}, id="us-skipped-hour-just-passed"),  # Paris 08:30 CET
    pytest.param("2026-03-29T01:30:00Z", {  # London 02:30 BST: 01:00-02:00 did not exist today
        "new_york": "2026-03-29T12:00:00Z",  # 21:30 EDT the evening before: past 21:00
        "london": "2026-03-29T07:00:00Z",  # 08:00 BST
        "sydney": NOW, "kolkata": "2026-03-29T02:30:00Z",  # 07:00 IST -> 08:00 IST, half an hour off UTC
        "phoenix": NOW, "austin_no_zone": NOW,
        "freephone_no_zone": "2026-03-29T06:00:00Z"}, id="eu-skipped-hour-just-passed"),  # 08:00 CEST
    pytest.param("2026-04-04T15:30:00Z", {  # Sydney 02:30 AEDT: first pass of the repeated hour
        "new_york": NOW, "london": NOW, "sydney": "2026-04-04T22:00:00Z",  # * 08:00 AEST
        "kolkata": "2026-04-05T02:30:00Z",  # exactly 21:00 IST: the window has ended
        "phoenix": NOW, "austin_no_zone": NOW, "freephone_no_zone": NOW}, id="sydney-repeated-hour-first-pass"),
    pytest.param("2026-04-04T16:30:00Z", {  # Sydney 02:30 AEST: second pass of the repeated hour
        "new_york": NOW, "london": NOW, "sydney": "2026-04-04T22:00:00Z", "kolkata": "2026-04-05T02:30:00Z",
        "phoenix": NOW, "austin_no_zone": NOW, "freephone_no_zone": NOW}, id="sydney-repeated-hour-second-pass"),
    pytest.param("2026-10-03T16:30:00Z", {  # Sydney 03:30 AEDT: 02:00-03:00 did not exist today
        "new_york": NOW, "london": NOW, "sydney": "2026-10-03T21:00:00Z",  # 08:00 AEDT
        "kolkata": "2026-10-04T02:30:00Z", "phoenix": NOW, "austin_no_zone": NOW, "freephone_no_zone": NOW},
        id="sydney-skipped-hour-just-passed"),
    pytest.param("2026-10-25T00:30:00Z", {  # London 01:30 BST: first pass of the repeated hour
        "new_york": NOW, "london": "2026-10-25T08:00:00Z",  # * 08:00 GMT
        "sydney": NOW, "kolkata": "2026-10-25T02:30:00Z", "phoenix": NOW, "austin_no_zone": NOW,
        "freephone_no_zone": "2026-10-25T07:00:00Z"}, id="eu-repeated-hour-first-pass"),  # * 08:00 CET
    pytest.param("2026-10-25T01:30:00Z", {  # London 01:30 GMT: second pass of the repeated hour
        "new_york": "2026-10-25T12:00:00Z", "london": "2026-10-25T08:00:00Z", "sydney": NOW,
        "kolkata": "2026-10-25T02:30:00Z", "phoenix": NOW, "austin_no_zone": NOW,
        "freephone_no_zone": "2026-10-25T07:00:00Z"}, id="eu-repeated-hour-second-pass"),
    pytest.param("2026-11-01T05:30:00Z", {  # New York 01:30 EDT: first pass of the repeated hour
        "new_york": "2026-11-01T13:00:00Z",  # * 08:00 EST
        "london": "2026-11-01T08:00:00Z", "sydney": NOW, "kolkata": NOW, "phoenix": "2026-11-01T15:00:00Z",
        "austin_no_zone": "2026-11-01T14:00:00Z",  # * Chicago 00:30 CDT -> 08:00 CST
        "freephone_no_zone": "2026-11-01T07:00:00Z"}, id="us-repeated-hour-first-pass"),
    pytest.param("2026-11-01T06:30:00Z", {  # New York 01:30 EST: second pass of the repeated hour
        "new_york": "2026-11-01T13:00:00Z", "london": "2026-11-01T08:00:00Z", "sydney": NOW, "kolkata": NOW,
        "phoenix": "2026-11-01T15:00:00Z", "austin_no_zone": "2026-11-01T14:00:00Z",  # * Chicago 01:30 CDT still
        "freephone_no_zone": "2026-11-01T07:00:00Z"}, id="us-repeated-hour-second-pass"),
]


class Clock:
    """The workers' clock, frozen at `now` (set by the test as it moves time on)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
        self.now = now
        monkeypatch.setattr(workers_campaigns, "clock", lambda: self.now)

    def tick(self, now: datetime) -> None:
        """Move to `now`, run one campaign tick there and wait until the sends it frees are done."""
        self.now = now
        run_tick(now)
        drain()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc(value: datetime | None) -> datetime | None:
    """Read back as UTC (SQLite hands back what it stored; compare instants, not representations)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def launch_frozen(now: datetime):
    with unit_of_work() as uow:
        for who, (zone, phone) in PEOPLE.items():
            create_contact(uow.session, phone=phone, timezone=zone, first_name=who)
        campaign = drafting.draft_campaign(uow.session, MARKETER, name="Flash sale", channel="sms", filter=None,
                                           body_text="Hi {first_name|there}, 20% off today.")
    with unit_of_work() as uow:
        return campaign.id, tc.launch_campaign(uow.session, MARKETER, campaign.id, now=now)


def activities(campaign_id: int) -> dict[str, MarketingActivity]:
    phones = {phone: who for who, (_, phone) in PEOPLE.items()}
    with unit_of_work() as uow:
        rows = uow.session.execute(sa.select(Contact.phone, MarketingActivity).join(
            Contact, Contact.id == MarketingActivity.contact_id).where(MarketingActivity.campaign_id == campaign_id))
        return {phones[phone]: activity for phone, activity in rows}


def received(fake: FakeSentDm) -> Counter:
    phones = {phone: who for who, (_, phone) in PEOPLE.items()}
    return Counter(phones[m["to"]] for m in fake.delivered)


@pytest.mark.parametrize(("frozen", "expected"), SCENARIOS)
def test_quiet_hours_across_zones_and_dst_on_the_send_path(db, monkeypatch, frozen, expected):
    now = at(frozen)
    clock = Clock(monkeypatch, now)
    fake = FakeSentDm()
    with fakes(monkeypatch, sentdm=fake, MKT_SMS_RATE_PER_SECOND="200", MKT_ACCOUNT_TIMEZONE="Europe/Paris",
               MKT_SEND_CAP_24H="0", MKT_SEND_CAP_7D="0"):
        campaign_id, result = launch_frozen(now)
        at_once = {who for who, until in expected.items() if until is NOW}
        waiting = {who: at(until) for who, until in expected.items() if until is not NOW}
        assert (result.queued, result.deferred, result.excluded) == (len(at_once), len(waiting), {})

        rows = activities(campaign_id)
        assert {who: a.status for who, a in rows.items()} == {
            who: "queued" if who in at_once else "deferred" for who in PEOPLE}
        assert {who: utc(a.scheduled_for) for who, a in rows.items() if a.status == "deferred"} == waiting

        with running_worker():
            drain()
            assert received(fake) == Counter(at_once)  # sent now: each once; nobody deferred yet
            sent = Counter(at_once)
            for release in sorted(set(waiting.values())):
                clock.tick(release - timedelta(seconds=1))  # one second early: still quiet hours there
                assert received(fake) == sent, f"sent before {release:%Y-%m-%d %H:%M}Z"
                clock.tick(release)
                sent += Counter(who for who, until in waiting.items() if until == release)
                assert received(fake) == sent, f"at {release:%Y-%m-%d %H:%M}Z"
            later = max(waiting.values(), default=now) + timedelta(days=2)
            clock.tick(later)  # nothing left: the campaign completes, nobody gets a second message
            clock.tick(later + timedelta(minutes=1))

    assert received(fake) == Counter(list(PEOPLE)) and set(fake.per_key().values()) == {1}
    assert {a.status for a in activities(campaign_id).values()} == {"sent"}
    with unit_of_work() as uow:
        assert tc.campaign_status(uow.session, MARKETER, campaign_id).status == "completed"


# --- quiet hours re-checked when a batch is claimed -------------------------------------------------------------

BATCH = {  # who, in activity order (one batch of SMS): (time zone, phone)
    "ny_first": ("America/New_York", "+12125550201"),
    "tokyo": ("Asia/Tokyo", "+81312345678"),
    "ny_second": ("America/New_York", "+12125550202"),
    "sydney": ("Australia/Sydney", "+61291230201"),
    "ny_opted_out": ("America/New_York", "+12125550203"),  # replies STOP after launch
}
NEW_YORK = {"ny_first", "ny_second"}
LAUNCHED = at("2026-07-01T00:50:00Z")  # New York 20:50 EDT, Tokyo 09:50 JST, Sydney 10:50 AEST: all may be sent
CLAIMED = at("2026-07-01T01:05:00Z")  # New York 21:05 EDT: quiet hours; Tokyo 10:05, Sydney 11:05
NY_8AM = at("2026-07-01T12:00:00Z")  # 08:00 EDT the same (local) day


@pytest.mark.parametrize("delay", ["retry-after", "paused-and-resumed"])
def test_a_batch_claimed_after_21h_local_defers_that_zone_and_sends_the_others(db, monkeypatch, delay):
    clock = Clock(monkeypatch, LAUNCHED)
    # retry-after: the first request (ny_first, 20:50 in New York) is answered 429 Retry-After 1 s, and 15 minutes
    # pass before the batch is claimed again; every request records the workers' clock as it arrives
    fake = FakeSentDm(storm=[Fault.error(429, 1)] if delay == "retry-after" else [])

    def observe() -> datetime:
        seen = clock.now
        if delay == "retry-after" and seen == LAUNCHED:
            clock.now = CLAIMED
        return seen

    fake.observe = observe
    phones = {phone: who for who, (_, phone) in BATCH.items()}
    with fakes(monkeypatch, sentdm=fake, MKT_SMS_BATCH_SIZE="5", MKT_SMS_RATE_PER_SECOND="200",
               MKT_SEND_CAP_24H="0", MKT_SEND_CAP_7D="0"):
        with unit_of_work() as uow:
            ids = {who: create_contact(uow.session, phone=phone, timezone=zone, first_name=who).id
                   for who, (zone, phone) in BATCH.items()}
            view = drafting.draft_campaign(uow.session, MARKETER, name="Evening", channel="sms", filter=None,
                                           body_text="Hi {first_name|there}, 20% off today.")
        with unit_of_work() as uow:
            launched = tc.launch_campaign(uow.session, MARKETER, view.id, now=LAUNCHED)
            if delay == "paused-and-resumed":  # paused before any worker claimed the batch
                tc.pause_campaign(uow.session, MARKETER, view.id)
        assert (launched.queued, launched.deferred) == (len(BATCH), 0)
        with unit_of_work() as uow:
            opt_out(uow.session, "sms", BATCH["ny_opted_out"][1], source="test")

        with running_worker(threads=1):
            drain()
            if delay == "paused-and-resumed":
                assert fake.log == []  # nothing claimed while paused
                clock.now = CLAIMED
                with unit_of_work() as uow:
                    tc.resume_campaign(uow.session, MARKETER, view.id)
                drain()
            claimed = by_name(view.id, ids)
            at_claim = Counter(phones[m["to"]] for m in fake.delivered)

            clock.tick(NY_8AM - timedelta(seconds=1))  # a second early: still quiet hours in New York
            early = Counter(phones[m["to"]] for m in fake.delivered)
            clock.tick(NY_8AM)
            clock.tick(NY_8AM + timedelta(minutes=1))  # again: nothing left, the campaign completes
        final = by_name(view.id, ids)

    assert at_claim == Counter({"tokyo": 1, "sydney": 1}) == early  # New York: nobody after 21:00
    for who in NEW_YORK:
        a = claimed[who]
        assert (a.status, utc(a.scheduled_for), a.error_code, a.claimed_at) == ("deferred", NY_8AM, "quiet_hours",
                                                                               None), who
        assert a.error_message.startswith("outside SMS hours")
    tried_before = 1 if delay == "retry-after" else 0  # the 429'd request counts; being deferred does not
    assert (claimed["ny_first"].attempts, claimed["ny_second"].attempts) == (tried_before, 0)
    assert (claimed["ny_opted_out"].status, claimed["ny_opted_out"].error_code) == ("cancelled", "opted_out")

    assert Counter(phones[m["to"]] for m in fake.delivered) == Counter(
        {"tokyo": 1, "sydney": 1, "ny_first": 1, "ny_second": 1})  # each exactly once; the opted-out one never
    assert set(fake.per_key().values()) == {1}
    for entry in fake.log:  # every request for New York arrived before 21:00 there or from 08:00 on
        if phones[entry["to"][0]] in NEW_YORK:
            assert entry["seen"] == LAUNCHED or entry["seen"] >= NY_8AM, (phones[entry["to"][0]], entry["seen"])
    ny_requests = Counter(phones[e["to"][0]] for e in fake.log if phones[e["to"][0]] in NEW_YORK)
    assert ny_requests == Counter({"ny_first": 1 + tried_before, "ny_second": 1})
    assert {who: a.status for who, a in final.items()} == {who: "cancelled" if who == "ny_opted_out" else "sent"
                                                          for who in BATCH}
    assert {who: a.attempts for who, a in final.items() if who in NEW_YORK} == {
        "ny_first": 1 + tried_before, "ny_second": 1}
    with unit_of_work() as uow:
        assert tc.campaign_status(uow.session, MARKETER, view.id).status == "completed"


def by_name(campaign_id: int, ids: dict[str, int]) -> dict[str, MarketingActivity]:
    names = {contact_id: who for who, contact_id in ids.items()}
    with unit_of_work() as uow:
        rows = list(uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id == campaign_id)))
        uow.session.expunge_all()
    return {names[a.contact_id]: a for a in rows}
