"""Suppressions win on import (issue 24, the survivors of tools/imports/batch.py): a matched contact whose address
(its own, or the one the file fills in) is on the suppression list ends opted out on that channel, with the time and
the reason; a suppressed number that is not the contact's own changes nothing; a new contact with a suppressed
address is created opted out; every change is one history entry naming the field, the import and the actor."""

import sqlalchemy as sa

from db.models import Contact, ContactEvent
from tests.factories import create_contact
from tools.contacts.optouts import opt_out
from tools.imports.importer import run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
REASON = "suppressed address"
TZ = "America/Chicago"  # what a 512 number gives: set, so the fill policy leaves it


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _flags(contact):
    return (contact.opted_out_email, contact.opted_out_email_reason, contact.opted_out_sms,
            contact.opted_out_sms_reason)


def _events(session, contact_id):
    return [tuple(e) for e in session.execute(
        sa.select(ContactEvent.kind, ContactEvent.field, ContactEvent.before, ContactEvent.after, ContactEvent.source,
                  ContactEvent.actor, ContactEvent.data, ContactEvent.occurred_at)
        .where(ContactEvent.contact_id == contact_id).order_by(ContactEvent.id)).all()]


def _suppress(session, *, emails=(), phones=()):
    """Suppressions made before the contacts below exist: the contacts carry the address without the flag."""
    for email in emails:
        opt_out(session, "email", email, source="chat")
    for phone in phones:
        opt_out(session, "sms", phone, source="sms_keyword")
    session.commit()


def test_matched_contacts_end_opted_out_of_the_suppressed_addresses_with_one_entry_per_field(db, session, tmp_path):
    _suppress(session, emails=["ann@x.com"], phones=["+15125550101", "+15125550103"])
    ann = create_contact(session, email=None, phone="+15125550101", tags=[], attributes={}, timezone=TZ)  # phone only
    cy = create_contact(session, email="cy@x.com", phone="+15125550203", tags=[], attributes={}, timezone=TZ)
    di = create_contact(session, email="di@x.com", phone=None, tags=[], attributes={}, timezone=TZ)  # no phone yet
    session.commit()
    path = _csv(tmp_path / "s.csv", "Email,Phone\n"
                "ann@x.com,512 555 0101\n"   # matched by phone; fills a suppressed email; her phone is suppressed
                "cy@x.com,512 555 0103\n"    # matched by email; the suppressed number in the file is not hers
                "di@x.com,512 555 0103\n")   # matched by email; fills a suppressed phone
    result = run_import(path, actor=ADMIN)
    assert (result.created, result.updated, result.unchanged, result.duplicates) == (0, 2, 1, 0)
    session.expire_all()
    ann, cy, di = (session.get(Contact, c.id) for c in (ann, cy, di))
    assert (ann.email, ann.phone, _flags(ann)) == ("ann@x.com", "+15125550101", (True, REASON, True, REASON))
    assert (cy.phone, _flags(cy)) == ("+15125550203", (False, None, False, None))
    assert (di.phone, _flags(di)) == ("+15125550103", (False, None, True, REASON))
    now = ann.updated_at
    assert (ann.opted_out_email_at, ann.opted_out_sms_at, di.opted_out_sms_at) == (now,) * 3
    assert (di.opted_out_email_at, cy.opted_out_sms_at) == (None, None)
    tag = {"import_id": result.import_id}
    who = "importer@example.com"
    assert _events(session, ann.id) == [
        ("field_changed", "email", None, "ann@x.com", "import", who, tag, now),
        ("field_changed", "opted_out_email", "False", "True", "import", who, tag, now),
        ("field_changed", "opted_out_sms", "False", "True", "import", who, tag, now),
        ("imported", None, None, None, "import", who, {**tag, "result": "updated"}, now)]
    assert _events(session, cy.id) == []
    assert _events(session, di.id) == [
        ("field_changed", "phone", None, "+15125550103", "import", who, tag, now),
        ("field_changed", "opted_out_sms", "False", "True", "import", who, tag, now),
        ("imported", None, None, None, "import", who, {**tag, "result": "updated"}, now)]


def test_a_contact_already_opted_out_is_left_alone_even_under_the_skip_policy(db, session, tmp_path):
    _suppress(session, emails=["fay@x.com"], phones=["+15125550105"])
    fay = create_contact(session, email="fay@x.com", phone="+15125550105", tags=[], attributes={}, timezone=TZ)
    gus = create_contact(session, email="gus@x.com", phone="+15125550105", tags=[], attributes={}, timezone=TZ,
                         opted_out_sms=True, opted_out_sms_reason="earlier")
    session.commit()
    path = _csv(tmp_path / "k.csv", "Email,Phone\nfay@x.com,512 555 0105\ngus@x.com,512 555 0105\n")
    result = run_import(path, actor=ADMIN, policy="skip")  # skip: no field from the file, suppressions still win
    assert (result.updated, result.unchanged) == (1, 1)
    session.expire_all()
    assert _flags(session.get(Contact, fay.id)) == (True, REASON, True, REASON)
    assert _flags(session.get(Contact, gus.id)) == (False, None, True, "earlier")
    assert _events(session, gus.id) == []


def test_a_suppressed_address_elsewhere_in_the_batch_opts_the_contact_out_at_its_first_row(db, session, tmp_path):
    """The contact's own email is suppressed and the file names it on a later row: the first row that reaches her
    (by phone) already opts her out, in the same single update as the city it brings."""
    _suppress(session, emails=["bo@x.com"])
    bo = create_contact(session, email="bo@x.com", phone="+15125550202", tags=[], attributes={}, timezone=TZ)
    session.commit()
    path = _csv(tmp_path / "b.csv", "Email,Phone,City\n,512 555 0202,Rome\nbo@x.com,,\n")
    result = run_import(path, actor=ADMIN)
    assert (result.updated, result.unchanged) == (1, 1)
    session.expire_all()
    bo = session.get(Contact, bo.id)
    assert (bo.city, _flags(bo)) == ("Rome", (True, REASON, False, None))
    assert [e[:4] for e in _events(session, bo.id)] == [("field_changed", "city", None, "Rome"),
                                                        ("field_changed", "opted_out_email", "False", "True"),
                                                        ("imported", None, None, None)]


def test_new_contacts_with_suppressed_addresses_are_created_opted_out_with_time_and_reason(db, session, tmp_path):
    _suppress(session, emails=["hal@x.com"], phones=["+15125550106"])
    path = _csv(tmp_path / "n.csv", "Email,Phone\nhal@x.com,512 555 0107\nivy@x.com,512 555 0106\n"
                "jo@x.com,512 555 0108\n")
    result = run_import(path, actor=ADMIN)
    assert result.created == 3
    session.expire_all()
    hal, ivy, jo = (session.scalar(sa.select(Contact).where(Contact.email == e))
                    for e in ("hal@x.com", "ivy@x.com", "jo@x.com"))
    assert _flags(hal) == (True, REASON, False, None)
    assert _flags(ivy) == (False, None, True, REASON)
    assert _flags(jo) == (False, None, False, None)
    assert (hal.opted_out_email_at, hal.opted_out_sms_at) == (hal.created_at, None)
    assert (ivy.opted_out_email_at, ivy.opted_out_sms_at) == (None, ivy.created_at)
    assert (jo.opted_out_email_at, jo.opted_out_sms_at) == (None, None)


def test_a_new_contact_is_written_with_the_columns_every_import_shares(db, session, tmp_path):
    """On PostgreSQL the new contacts without a suppressed address are written by COPY, the others row by row: both
    give the same columns (the created contact names its import, is no sample, not enriched, email deliverable)."""
    _suppress(session, emails=["kay@x.com"])
    path = _csv(tmp_path / "c.csv", "Email,Phone,City\nkay@x.com,,Rome\nlu@x.com,512 555 0109,Oslo\n")
    result = run_import(path, actor=ADMIN)
    assert result.created == 2
    session.expire_all()
    for email, city, out in (("kay@x.com", "Rome", True), ("lu@x.com", "Oslo", False)):
        c = session.scalar(sa.select(Contact).where(Contact.email == email))
        assert (c.city, c.source, c.enrichment_status, c.email_status, c.is_sample, c.import_id) == (
            city, "import", "none", "ok", False, result.import_id)
        assert (c.opted_out_email, c.opted_out_sms, c.opted_out_sms_at, c.opted_out_sms_reason) == (
            out, False, None, None)
        assert c.created_at == c.updated_at
