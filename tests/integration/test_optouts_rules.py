"""The opt-out rules of tools/contacts/optouts.py stated with their answers (issue 24: mutation survivors): an
address is normalised, suppressed once per channel and address, and every contact that has it is flagged (flag, time,
note), recorded in its history and taken out of its sequences; an opt-in lifts only the person's own opt-outs on that
channel and address, never a provider's verdict; suppression lookups one by one and in chunks of 1,000. Every
expected value is written out here; the clock is frozen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from db.models import Contact, ContactEvent, Suppression
from domain import channels
from tests.factories import create_contact, create_enrolment
from tools.contacts import optouts
from tools.contacts.optouts import is_suppressed, normalise_address, opt_in, opt_out, suppressed_addresses
from tools.contacts.records import get_or_create

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PHONE = "+15125550100"


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr(optouts, "utcnow", lambda: NOW)


@pytest.fixture
def pigeon(monkeypatch):
    """A channel with no opt-out column of its own: the suppression is its only record (as in
    test_channel_pigeon.py)."""
    monkeypatch.setitem(channels.RULES, "pigeon", channels.ChannelRule(
        "pigeon", "phone", channels.RULES["sms"].normalise, channels.RULES["sms"].valid, "loft"))


def suppressions(session):
    session.flush()
    return sorted(session.execute(sa.select(Suppression.channel, Suppression.address, Suppression.reason,
                                            Suppression.source, Suppression.created_at)).tuples())


def flags(contact):
    return (contact.opted_out_sms, contact.opted_out_sms_at, contact.opted_out_sms_reason, contact.opted_out_email,
            contact.opted_out_email_at, contact.opted_out_email_reason, contact.email_status)


def history(session):
    session.flush()
    return [tuple(r) for r in session.execute(sa.select(
        ContactEvent.contact_id, ContactEvent.kind, ContactEvent.source, ContactEvent.actor, ContactEvent.field,
        ContactEvent.before, ContactEvent.after, ContactEvent.data).order_by(ContactEvent.id))]


CLEAR = (False, None, None, False, None, None, "ok")


# --- addresses ------------------------------------------------------------------------------------------------

def test_addresses_are_normalised_in_the_default_or_given_region():
    assert normalise_address("sms", "(512) 555-0100") == PHONE
    assert normalise_address("sms", "020 7946 0018", "GB") == "+442079460018"
    assert normalise_address("email", " Jane@Acme.COM ") == "jane@acme.com"


def test_a_national_number_is_read_in_the_accounts_region_as_everywhere_else(session, italian_account):
    """The bug this found: opt-outs read a national number as a US one whatever the account's region, so in an
    Italian account "312 345 6789" (an Italian mobile, stored as +39...) suppressed +1 312-345-6789, a Chicago
    number, and the Italian contact who said stop stayed sendable."""
    contact, _ = get_or_create(session, phone="312 345 6789", source="api")
    assert contact.phone == "+393123456789"
    assert normalise_address("sms", "312 345 6789") == "+393123456789"
    assert normalise_address("sms", "(512) 555-0100", "US") == PHONE  # a region given still wins
    assert opt_out(session, "sms", "312 345 6789", source="chat") == [contact.id]
    assert suppressions(session) == [("sms", "+393123456789", "opt_out", "chat", NOW)]
    assert is_suppressed(session, "sms", contact.phone) and contact.opted_out_sms
    assert opt_in(session, "sms", "312 345 6789") == [contact.id]
    assert suppressions(session) == [] and not contact.opted_out_sms


@pytest.mark.parametrize(("channel", "address", "message"), [
    ("sms", "12", "invalid phone '12': not a valid number"),
    ("email", "nope", "invalid email 'nope': An email address must have an @-sign."),
    ("sms", "", "no sms address given"), ("email", "  ", "no email address given"),
    ("fax", "x", "unknown channel 'fax': use sms or email")])
def test_an_address_that_is_none_is_refused_with_the_reason(session, channel, address, message):
    for call in (normalise_address, lambda c, a: opt_out(session, c, a), lambda c, a: opt_in(session, c, a)):
        with pytest.raises(ValueError) as refused:
            call(channel, address)
        assert str(refused.value) == message
    assert suppressions(session) == []


# --- opting out -----------------------------------------------------------------------------------------------

def test_an_opt_out_suppresses_the_address_and_marks_every_contact_that_has_it(session):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    john = create_contact(session, email="john@acme.com", phone=PHONE)  # a shared line
    other = create_contact(session, email="ann@acme.com", phone="+15125550199")
    assert sorted(opt_out(session, "sms", "(512) 555-0100")) == [jane.id, john.id]  # defaults: chat, opt_out
    assert suppressions(session) == [("sms", PHONE, "opt_out", "chat", NOW)]
    assert flags(jane) == flags(john) == (True, NOW, "opt_out", False, None, None, "ok")
    assert flags(other) == CLEAR
    assert sorted(history(session)) == [(c.id, "opted_out", "chat", None, "sms", None, None, {"reason": "opt_out"})
                                        for c in sorted((jane, john), key=lambda c: c.id)]
    assert not is_suppressed(session, "email", "jane@acme.com")


def test_an_opt_out_keeps_its_note_source_and_actor(session):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    note = "replied 'STOP' " + "." * 300
    assert opt_out(session, "sms", PHONE, source="sms_keyword", actor="ops@acme.com", note=note) == [jane.id]
    assert opt_out(session, "email", "JANE@acme.com", reason="manual", source="api", actor="ops@acme.com") == [jane.id]
    assert flags(jane) == (True, NOW, note[:200], True, NOW, "manual", "ok")
    assert suppressions(session) == [("email", "jane@acme.com", "manual", "api", NOW),
                                     ("sms", PHONE, "opt_out", "sms_keyword", NOW)]
    assert history(session) == [
        (jane.id, "opted_out", "sms_keyword", "ops@acme.com", "sms", None, None, {"reason": "opt_out"}),
        (jane.id, "opted_out", "api", "ops@acme.com", "email", None, None, {"reason": "manual"})]


@pytest.mark.parametrize(("reason", "status"), [("hard_bounce", "bounced"), ("complaint", "complained"),
                                                ("opt_out", "ok"), ("manual", "ok")])
def test_a_provider_verdict_on_an_email_address_sets_its_email_status(session, reason, status):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    opt_out(session, "email", "jane@acme.com", reason=reason, source="bounce")
    assert (jane.email_status, jane.opted_out_email_reason) == (status, reason)
    sam = create_contact(session, email="sam@acme.com", phone="+15125550111")
    opt_out(session, "sms", "+15125550111", reason=reason, source="bounce")  # a phone's verdict is not the email's
    assert (sam.email_status, sam.opted_out_sms) == ("ok", True)


def test_opting_out_again_changes_nothing_and_keeps_the_first_suppression(session):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    opt_out(session, "sms", PHONE, source="sms_keyword")
    assert opt_out(session, "sms", PHONE, reason="manual", source="api", note="again") == []
    assert suppressions(session) == [("sms", PHONE, "opt_out", "sms_keyword", NOW)]
    assert flags(jane)[:3] == (True, NOW, "opt_out") and len(history(session)) == 1


def test_a_contact_that_has_a_suppressed_address_without_its_flag_is_flagged_by_the_next_opt_out(session):
    opt_out(session, "sms", PHONE, source="sms_keyword")  # no contact had it then
    flagged = create_contact(session, email="a@acme.com", phone=PHONE, opted_out_sms=True)
    unflagged = create_contact(session, email="b@acme.com", phone=PHONE)  # written around the suppression
    assert opt_out(session, "sms", PHONE, source="chat") == [unflagged.id]  # the flagged one is passed over, not the end
    assert flags(unflagged)[:3] == (True, NOW, "opt_out")
    assert flagged.opted_out_sms_at is None and [h[0] for h in history(session)] == [unflagged.id]


def test_on_a_channel_without_a_flag_the_suppression_is_the_record(session, pigeon):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    assert opt_out(session, "pigeon", "(512) 555-0100", source="chat") == [jane.id]
    assert opt_out(session, "pigeon", PHONE, source="chat") == []  # already suppressed: nothing again
    assert suppressions(session) == [("pigeon", PHONE, "opt_out", "chat", NOW)]
    assert flags(jane) == CLEAR
    assert history(session) == [(jane.id, "opted_out", "chat", None, "pigeon", None, None, {"reason": "opt_out"})]
    assert is_suppressed(session, "pigeon", PHONE) and not is_suppressed(session, "sms", PHONE)


def enrolled(session, contact, name):
    return create_enrolment(session, contact, name=name, enrolled_at=NOW)


def test_an_opted_out_contact_leaves_its_sequences_saying_why(session):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    ann = create_contact(session, email="ann@acme.com", phone="+15125550199")
    jane_in, ann_in = enrolled(session, jane, "A"), enrolled(session, ann, "B")
    opt_out(session, "sms", PHONE)
    opt_out(session, "email", "ann@acme.com", reason="hard_bounce", source="bounce")
    session.expire_all()
    assert [(e.status, e.exit_reason) for e in (jane_in, ann_in)] == [("exited", "opted_out"), ("exited", "bounced")]


# --- opting back in -------------------------------------------------------------------------------------------

def test_an_opt_in_lifts_the_persons_own_opt_out_on_that_channel_and_address_only(session, pigeon):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    opt_out(session, "sms", PHONE, source="sms_keyword")
    opt_out(session, "email", "jane@acme.com", reason="manual", source="chat")
    opt_out(session, "pigeon", PHONE)  # the same number on another channel
    opt_out(session, "sms", "+15125550199")  # another number
    assert opt_in(session, "sms", "(512) 555-0100") == [jane.id]  # default source: chat
    assert opt_in(session, "email", "Jane@Acme.com", source="api", actor="ops@acme.com") == [jane.id]
    assert suppressions(session) == [("pigeon", PHONE, "opt_out", "chat", NOW),
                                     ("sms", "+15125550199", "opt_out", "chat", NOW)]
    assert flags(jane) == CLEAR
    assert history(session)[-2:] == [(jane.id, "opted_in", "chat", None, "sms", None, None, {}),
                                     (jane.id, "opted_in", "api", "ops@acme.com", "email", None, None, {})]


def test_an_opt_in_on_a_channel_with_only_suppressions_is_in_the_history(session, pigeon):
    jane = create_contact(session, phone=PHONE)
    assert opt_in(session, "pigeon", PHONE) == []  # never opted out: nothing to lift, nothing written
    assert opt_out(session, "pigeon", PHONE) == [jane.id]
    assert opt_in(session, "pigeon", "(512) 555-0100", source="api", actor="ops@acme.com") == [jane.id]
    assert suppressions(session) == []
    assert history(session) == [(jane.id, "opted_out", "chat", None, "pigeon", None, None, {"reason": "opt_out"}),
                                (jane.id, "opted_in", "api", "ops@acme.com", "pigeon", None, None, {})]
    assert opt_in(session, "pigeon", PHONE) == []  # lifted already


@pytest.mark.parametrize("reason", ["hard_bounce", "complaint"])
def test_an_opt_in_never_lifts_a_providers_verdict(session, reason):
    jane = create_contact(session, email="jane@acme.com", phone=PHONE)
    opt_out(session, "email", "jane@acme.com", reason=reason, source="bounce")
    assert opt_in(session, "email", "jane@acme.com") == []
    assert suppressions(session) == [("email", "jane@acme.com", reason, "bounce", NOW)]
    assert flags(jane)[3:6] == (True, NOW, reason) and [h[1] for h in history(session)] == ["opted_out"]


def test_an_opt_in_touches_only_contacts_that_were_opted_out(session):
    ann = create_contact(session, email="ann@acme.com", phone=PHONE)  # never opted out
    opt_out(session, "sms", "+15125550199")
    jane = create_contact(session, email="jane@acme.com", phone=PHONE, opted_out_sms=True, opted_out_sms_at=NOW,
                          opted_out_sms_reason="import")  # opted out in a file, not by a suppression
    assert opt_in(session, "sms", PHONE, source="chat") == [jane.id]  # ann is passed over, not the end
    assert flags(ann) == flags(jane) == CLEAR
    assert [h[:2] for h in history(session)] == [(jane.id, "opted_in")]
    assert opt_in(session, "sms", PHONE) == []  # nothing left to lift


# --- lookups ---------------------------------------------------------------------------------------------------

def test_is_suppressed_asks_for_the_channel_and_address(session):
    opt_out(session, "sms", PHONE)
    assert is_suppressed(session, "sms", PHONE)
    assert not is_suppressed(session, "sms", "+15125550199")
    assert not is_suppressed(session, "email", PHONE)
    assert not is_suppressed(session, "sms", None) and not is_suppressed(session, "sms", "")


def test_suppressed_addresses_are_found_across_chunks_of_a_thousand(session):
    addresses = [f"+1512555{n:04d}" for n in range(2500)]
    picked = [addresses[i] for i in (0, 999, 1000, 1001, 1999, 2000, 2001, 2499)]
    for address in picked:
        opt_out(session, "sms", address)
    opt_out(session, "email", "x@acme.com")
    session.execute(sa.insert(Suppression).values(channel="email", address=addresses[5], reason="manual", source="api",
                                                  created_at=NOW))  # the same text on another channel
    queries = []
    sa.event.listen(session, "do_orm_execute", lambda state: queries.append(state.statement))
    assert suppressed_addresses(session, "sms", addresses) == set(picked)
    assert len(queries) == 3  # one query per 1,000 addresses
    assert suppressed_addresses(session, "sms", []) == set()
    assert suppressed_addresses(session, "email", addresses[:10]) == {addresses[5]}
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0
