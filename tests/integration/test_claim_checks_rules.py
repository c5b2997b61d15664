"""What the claim of a batch re-checks, stated row by row (tools/campaigns/sending.py begin_batch and
tools/campaigns/claim_checks.py; issue 24, the mutation run's survivors).

A campaign is launched at a frozen instant when every contact may be messaged; then, before its one batch is claimed
fifteen minutes later, the world changes: another campaign's messages reach some contacts (frequency caps), an
address is suppressed without its flag, a contact opts out or loses the number, two contacts come to share one, and
the claim's instant lies after 21:00 for some of them. The claim (clock frozen through `begin_batch(now=)`) must:

- send the others, rendered with their own A/B variant (text, segments and price written out below);
- cancel the opted-out, suppressed and number-less rows as "opted_out", the second row of a shared number as
  "duplicate_address";
- cancel the capped rows with the cap as reason (24 h from the settings, 7 days from the campaign's own stored
  rules: a rule the campaign does not store comes from the settings), giving the claim's attempt back;
- defer the rows inside quiet hours until 08:00 in the contact's zone: its own zone first, else its number's zone,
  else the account's (each with a different 08:00 instant below), giving the claim's attempt back.

Times are compared as instants written out by hand; the claim's `now` is never the real clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from db.models import Campaign, Contact, MarketingActivity, Suppression
from db.session import unit_of_work
from tests.factories import create_contact
from tests.integration.campaign_support import MARKETER, configure
from tools.campaigns import drafting
from tools.campaigns import lifecycle as tc
from tools.campaigns.sending import Batch, begin_batch
from tools.channels import Outgoing

LAUNCHED = datetime(2026, 7, 1, 12, 50, tzinfo=UTC)  # London 13:50 BST, Shanghai 20:50 CST: everyone may be sent
CLAIMED = datetime(2026, 7, 1, 13, 5, tzinfo=UTC)  # London 14:05; Shanghai 21:05 and Tokyo 22:05: quiet hours
SHANGHAI_8AM = datetime(2026, 7, 2, 0, 0, tzinfo=UTC)  # 08:00 CST on 2 July
TOKYO_8AM = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)  # 08:00 JST on 2 July
QUIET = "outside SMS hours in the contact's time zone (deferred): found when the batch was claimed"
CAP_24H = "already messaged in the last 24 hours (frequency cap): found when the batch was claimed"
CAP_7D = "messaged too often in the last 7 days (frequency cap): found when the batch was claimed"
OPTED_OUT = "opted out or suppressed after launch"
DUPLICATE = "another contact with the same address gets this campaign (one message per address)"
VARIANTS = [{"name": "A", "weight": 1, "body_text": "Hi {first_name|there}, A: 20% off today."},
            {"name": "B", "weight": 1, "body_text": "Hi {first_name|there}, B: new in store."}]

# who (in activity order): (time zone, phone at launch)
PEOPLE = {
    "ben": ("Europe/London", "+15125550102"),  # two messages of another campaign in the last 24 h: cap_24h
    "eve": ("Europe/London", "+15125550105"),  # her number suppressed after launch (her flag not set)
    "ana": ("Europe/London", "+15125550101"),  # one message in the last 24 h: under the settings' cap of 2
    "dee": ("Europe/London", "+15125550104"),  # three in the last 7 days: the campaign's own cap_7d of 3
    "fay": ("Europe/London", "+15125550106"),  # opts out of SMS after launch
    "cy": ("Europe/London", "+15125550103"),  # two in the last 7 days (2 and 3 days ago): under the campaign's 3
    "ivy": ("Asia/Shanghai", "+15125550109"),  # her own zone (her number's is Chicago, 08:05 there)
    "gus": ("Europe/London", "+15125550107"),  # his number removed after launch
    "jo": (None, "+447911123456"),  # no zone, a London number; it becomes Japanese after launch: Tokyo's 08:00
    "kim": (None, "+80012345678"),  # no zone, a freephone number: the account's zone (Asia/Shanghai)
    "hal": ("Europe/London", "+15125550108"),  # his number becomes Ana's after launch: one message per address
    "lou": ("Europe/London", "+15125550111"),  # nothing changes
}


def aware(value: datetime | None) -> datetime | None:
    """A stored time as a UTC instant (SQLite hands back naive UTC)."""
    return None if value is None else value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def earlier_campaign(session, sends: dict[int, list[timedelta]]) -> None:
    """Messages of other SMS campaigns (one each), sent this long before the claim, to these contacts."""
    others = [Campaign(name=f"Earlier {n}", channel="sms", status="completed") for n in range(3)]
    session.add_all(others)
    session.flush()
    for contact_id, agos in sends.items():
        for other, ago in zip(others, agos, strict=False):
            session.add(MarketingActivity(campaign_id=other.id, contact_id=contact_id, channel="sms",
                                          status="delivered", sent_at=CLAIMED - ago))


def launch(names: dict[str, tuple[str | None, str]], **draft) -> tuple[int, dict[str, int], dict[str, int]]:
    """Contacts, a drafted SMS campaign launched at LAUNCHED. Returns (campaign id, contact ids, activity ids)."""
    with unit_of_work() as uow:
        ids = {who: create_contact(uow.session, phone=phone, timezone=zone, first_name=who.title()).id
               for who, (zone, phone) in names.items()}
        view = drafting.draft_campaign(uow.session, MARKETER, name="Evening", channel="sms", filter=None,
                                       body_text="Hi {first_name|there}, 20% off today.", **draft)
    with unit_of_work() as uow:
        launched = tc.launch_campaign(uow.session, MARKETER, view.id, now=LAUNCHED)
    assert (launched.queued, launched.deferred, launched.excluded) == (len(names), 0, {})
    with unit_of_work() as uow:
        rows = {a.contact_id: a.id for a in uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id == view.id))}
    return view.id, ids, {who: rows[contact_id] for who, contact_id in ids.items()}


def state(activity_ids: dict[str, int]) -> dict[str, tuple]:
    """Each row as (status, error_code, error_message, attempts, claimed_at, scheduled_for, requested_at)."""
    with unit_of_work() as uow:
        rows = {a.id: a for a in uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.id.in_(list(activity_ids.values()))))}
        return {who: (rows[i].status, rows[i].error_code, rows[i].error_message, rows[i].attempts,
                      aware(rows[i].claimed_at), aware(rows[i].scheduled_for), aware(rows[i].requested_at))
                for who, i in activity_ids.items()}


def test_the_claim_rechecks_opt_outs_caps_quiet_hours_and_shared_addresses_row_by_row(db, monkeypatch):
    configure(monkeypatch, MKT_SEND_CAP_24H="2", MKT_SEND_CAP_7D="2", MKT_ACCOUNT_TIMEZONE="Asia/Shanghai",
              MKT_SMS_PRICE_MICROS="7000")
    campaign_id, ids, acts = launch(PEOPLE, variants=VARIANTS)
    hour, day = timedelta(hours=1), timedelta(days=1)
    with unit_of_work() as uow:  # after launch: what the claim must see
        s = uow.session
        s.get(Campaign, campaign_id).send_rules = {"cap_7d": 3}  # stored rules: 24 h cap from the settings (2)
        earlier_campaign(s, {ids["ana"]: [2 * hour], ids["ben"]: [2 * hour, 3 * hour],
                             ids["cy"]: [2 * day, 3 * day], ids["dee"]: [2 * day, 3 * day, 4 * day]})
        s.add(Suppression(channel="sms", address="+15125550105", reason="opt_out", source="test"))
        s.get(Contact, ids["fay"]).opted_out_sms = True
        s.get(Contact, ids["gus"]).phone = None
        s.get(Contact, ids["jo"]).phone = "+819012345678"
        s.get(Contact, ids["hal"]).phone = "+15125550101"
    with unit_of_work() as uow:
        variant = {a.id: a.variant for a in uow.session.scalars(sa.select(MarketingActivity).where(
            MarketingActivity.campaign_id == campaign_id))}
        batch = begin_batch(uow.session, campaign_id, list(acts.values()), now=CLAIMED)

    assert set(variant.values()) == {"A", "B"}  # both variants drawn: each message below carries its own
    text = {"A": "Hi {}, A: 20% off today.\nReply STOP to opt out.", "B": "Hi {}, B: new in store.\nReply STOP to opt out."}
    sent = {"ana": "+15125550101", "cy": "+15125550103", "lou": "+15125550111"}
    assert batch == Batch(campaign_id, "sms", messages=[
        Outgoing(acts[who], ids[who], to, text=text[variant[acts[who]]].format(who.title()), segments=1,
                 cost_micros=7000) for who, to in sent.items()],
        note=None, deferred={acts["ivy"]: SHANGHAI_8AM, acts["jo"]: TOKYO_8AM, acts["kim"]: SHANGHAI_8AM})

    claimed = ("sending", None, None, 1, CLAIMED, None, None)
    assert state(acts) == {
        "ben": ("cancelled", "cap_24h", CAP_24H, 0, None, None, None),
        "eve": ("cancelled", "opted_out", OPTED_OUT, 1, CLAIMED, None, None),
        "ana": claimed,
        "dee": ("cancelled", "cap_7d", CAP_7D, 0, None, None, None),
        "fay": ("cancelled", "opted_out", OPTED_OUT, 1, CLAIMED, None, None),
        "cy": claimed,
        "ivy": ("deferred", "quiet_hours", QUIET, 0, None, SHANGHAI_8AM, None),
        "gus": ("cancelled", "opted_out", OPTED_OUT, 1, CLAIMED, None, None),
        "jo": ("deferred", "quiet_hours", QUIET, 0, None, TOKYO_8AM, None),
        "kim": ("deferred", "quiet_hours", QUIET, 0, None, SHANGHAI_8AM, None),
        "hal": ("cancelled", "duplicate_address", DUPLICATE, 1, CLAIMED, None, None),
        "lou": claimed,
    }
    with unit_of_work() as uow:  # the rows held back by a cap or quiet hours carry the claim's instant
        held = [acts[who] for who in ("ben", "dee", "ivy", "jo", "kim")]
        assert {aware(t) for t in uow.session.scalars(sa.select(MarketingActivity.updated_at).where(
            MarketingActivity.id.in_(held)))} == {CLAIMED}


def test_a_claim_that_sends_nobody_says_why(db, monkeypatch):
    """The note of a batch with no message: capped ones, deferred ones, both; and the campaign's rules drafted from
    the settings (no send_rules given: caps 24 h = 1 and 7 days = 2 here)."""
    configure(monkeypatch, MKT_SEND_CAP_24H="1", MKT_SEND_CAP_7D="2")
    people = {"ann": ("Europe/London", "+15125550201"), "bob": ("Europe/London", "+15125550202"),
              "cat": ("Asia/Shanghai", "+15125550203"), "dan": ("Europe/London", "+15125550204")}
    campaign_id, ids, acts = launch(people)
    with unit_of_work() as uow:
        earlier_campaign(uow.session, {ids["ann"]: [2 * timedelta(days=1), 3 * timedelta(days=1)],
                                       ids["bob"]: [timedelta(hours=23)]})
    with unit_of_work() as uow:
        only_capped = begin_batch(uow.session, campaign_id, [acts["ann"]], now=CLAIMED)
    with unit_of_work() as uow:
        both = begin_batch(uow.session, campaign_id, [acts["bob"], acts["cat"]], now=CLAIMED)
    with unit_of_work() as uow:
        again = begin_batch(uow.session, campaign_id, [acts["ann"], acts["cat"]], now=CLAIMED)

    assert only_capped == Batch(campaign_id, "sms", note="1 excluded: frequency cap reached (another campaign got "
                                                         "there first)")
    assert both == Batch(campaign_id, "sms", note="1 excluded: frequency cap reached (another campaign got there "
                                                  "first); 1 deferred: quiet hours where they live",
                         deferred={acts["cat"]: SHANGHAI_8AM})
    assert again == Batch(campaign_id, "sms", note="nothing left to claim")
    assert state(acts) == {"ann": ("cancelled", "cap_7d", CAP_7D, 0, None, None, None),
                           "bob": ("cancelled", "cap_24h", CAP_24H, 0, None, None, None),
                           "cat": ("deferred", "quiet_hours", QUIET, 0, None, SHANGHAI_8AM, None),
                           "dan": ("queued", None, None, 0, None, None, None)}


@pytest.mark.parametrize("change", ["paused", "cancelled"])
def test_a_campaign_that_is_not_running_claims_nothing(db, monkeypatch, change):
    configure(monkeypatch)
    campaign_id, _, acts = launch({"ann": ("Europe/London", "+15125550201")})
    with unit_of_work() as uow:
        (tc.pause_campaign if change == "paused" else tc.cancel_campaign)(uow.session, MARKETER, campaign_id)
    with unit_of_work() as uow:
        batch = begin_batch(uow.session, campaign_id, list(acts.values()), now=CLAIMED)
    assert batch == Batch(campaign_id, "sms", note=f"campaign 'Evening' is {change}")
    status = "queued" if change == "paused" else "cancelled"
    assert [row[:4] for row in state(acts).values()] == [(status, None, None, 0)]


def test_a_campaign_that_is_gone_claims_nothing(db, monkeypatch):
    configure(monkeypatch)
    with unit_of_work() as uow:
        assert begin_batch(uow.session, 4242, [1, 2], now=CLAIMED) == Batch(4242, "?", note="campaign 4242 is gone")


def test_rows_are_claimed_in_id_order_whatever_order_they_are_stored_in(db, monkeypatch):
    """The first row by id keeps an address two rows come to share, and messages go out in id order, also when the
    database keeps the rows in another order (on PostgreSQL an updated row is written after the others)."""
    configure(monkeypatch)
    people = {"ann": ("Europe/London", "+15125550301"), "bob": ("Europe/London", "+15125550302"),
              "cal": ("Europe/London", "+15125550303")}
    campaign_id, ids, acts = launch(people)
    A = MarketingActivity
    with unit_of_work() as uow:
        uow.session.get(Contact, ids["cal"]).phone = "+15125550301"  # now Ann's number
    for who in ("bob", "ann"):  # stored last: Bob's and Ann's rows, Ann's after Bob's
        with unit_of_work() as uow:
            uow.session.get(Contact, ids[who]).first_name = who.title() + "."
            uow.session.execute(sa.update(A).where(A.id == acts[who]).values(variant=None))
    with unit_of_work() as uow:
        batch = begin_batch(uow.session, campaign_id, [acts["cal"], acts["bob"], acts["ann"]], now=CLAIMED)
    assert [(m.activity_id, m.to) for m in batch.messages] == [(acts["ann"], "+15125550301"),
                                                               (acts["bob"], "+15125550302")]
    assert state(acts)["cal"][:3] == ("cancelled", "duplicate_address", DUPLICATE)
