"""The import match rule against existing contacts (tools/imports/batch.py `_match`): same email matches; else same
phone matches only when one side has no email. A row that shares a phone with a contact but carries another email is
another person: it is created, and the existing contact is left exactly as it was (never merged silently)."""

import sqlalchemy as sa

from db.models import Contact, ContactEvent
from tests.factories import create_contact
from tools.imports.importer import import_rows, run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
PHONE = "+15125550100"


def _rows(session):
    session.expire_all()
    return session.execute(sa.select(Contact.email, Contact.phone, Contact.first_name, Contact.city)
                           .order_by(Contact.id)).all()


def _events(session, contact_id):
    return session.scalar(sa.select(sa.func.count()).select_from(ContactEvent)
                          .where(ContactEvent.contact_id == contact_id))


def test_a_file_row_with_a_known_phone_and_another_email_is_a_new_contact(db, session, tmp_path):
    ann = create_contact(session, email="ann@x.com", phone=PHONE, first_name="Ann", city="Austin", tags=[],
                         attributes={})
    session.commit()
    path = tmp_path / "p.csv"
    path.write_text("Email,Phone,First Name,City\nbea@x.com,512-555-0100,Bea,Boston\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert _rows(session) == [("ann@x.com", PHONE, "Ann", "Austin"), ("bea@x.com", PHONE, "Bea", "Boston")]
    assert _events(session, ann.id) == 0  # no "imported (updated)" entry on Ann's history either


def test_the_api_twin_applies_the_same_match_rule(db, session):
    create_contact(session, email="ann@x.com", phone=PHONE, first_name="Ann", city="Austin", tags=[],
                   attributes={})
    result = import_rows(session, ADMIN, [{"email": "bea@x.com", "phone": "(512) 555-0100", "first_name": "Bea",
                                           "city": "Boston"}])
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert _rows(session) == [("ann@x.com", PHONE, "Ann", "Austin"), ("bea@x.com", PHONE, "Bea", "Boston")]


def test_a_known_phone_matches_when_either_side_has_no_email(db, session):
    create_contact(session, email="ann@x.com", phone=PHONE, first_name="Ann", city=None, tags=[], attributes={})
    create_contact(session, email=None, phone="+15125550111", first_name="Pat", city=None, tags=[], attributes={})
    result = import_rows(session, ADMIN, [
        {"phone": "512-555-0100", "city": "Austin"},                  # row without email: Ann
        {"email": "pat@x.com", "phone": "512-555-0111", "city": "Dallas"},  # contact without email: Pat
    ])
    assert (result.created, result.updated) == (0, 2)
    assert _rows(session) == [("ann@x.com", PHONE, "Ann", "Austin"), ("pat@x.com", "+15125550111", "Pat", "Dallas")]


def test_the_same_email_matches_whatever_the_phone(db, session):
    create_contact(session, email="ann@x.com", phone=PHONE, first_name="Ann", city=None, tags=[], attributes={})
    result = import_rows(session, ADMIN, [{"email": "ANN@x.com", "phone": "512-555-0199", "city": "Austin"}])
    assert (result.created, result.updated) == (0, 1)
    assert _rows(session) == [("ann@x.com", PHONE, "Ann", "Austin")]  # fill policy: the phone she had is kept
