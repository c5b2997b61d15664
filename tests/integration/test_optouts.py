import pytest
import sqlalchemy as sa

from db.models import ContactEvent, Suppression
from tests.factories import create_contact
from tools.contacts.optouts import is_suppressed, opt_in, opt_out
from tools.contacts.records import get_or_create


def test_opt_out_marks_every_contact_with_the_address_and_records_it(session):
    jane = create_contact(session, email="jane@acme.com", phone="+15125550100")
    touched = opt_out(session, "sms", "(512) 555-0100", source="sms_keyword")
    assert touched == [jane.id]
    assert jane.opted_out_sms and not jane.opted_out_email
    assert is_suppressed(session, "sms", "+15125550100")
    kinds = session.scalars(sa.select(ContactEvent.kind).where(ContactEvent.contact_id == jane.id)).all()
    assert kinds == ["opted_out"]
    assert opt_out(session, "sms", "+15125550100") == []  # idempotent


def test_a_new_contact_with_a_suppressed_address_starts_opted_out(session):
    opt_out(session, "email", "Jane@Acme.com")
    contact, created = get_or_create(session, email="jane@acme.com", source="api")
    assert created and contact.opted_out_email


def test_opt_in_lifts_an_opt_out_but_not_a_hard_bounce(session):
    contact = create_contact(session, email="jane@acme.com")
    opt_out(session, "email", "jane@acme.com")
    assert opt_in(session, "email", "jane@acme.com") == [contact.id]
    assert not contact.opted_out_email
    opt_out(session, "email", "jane@acme.com", reason="hard_bounce", source="bounce")
    assert opt_in(session, "email", "jane@acme.com") == []
    assert contact.opted_out_email and contact.email_status == "bounced"
    assert session.scalar(sa.select(Suppression.reason)) == "hard_bounce"


def test_bad_addresses_are_refused_with_the_reason(session):
    with pytest.raises(ValueError, match="invalid phone"):
        opt_out(session, "sms", "12")
    with pytest.raises(ValueError, match="unknown channel"):
        opt_out(session, "fax", "jane@acme.com")
