"""Consent and opt-out columns on import (issue 17 item 5): a "no" consent or a "yes" opt-out suppresses the
address on its channels through the suppression list; unclear values are never read as consent (opted out and
reported with their line); opt-outs of duplicate rows are kept; the worker processes give the same result."""

import pytest
import sqlalchemy as sa

from db.models import Contact, ImportError_, Suppression
from tests.factories import create_contact
from tools.imports.importer import import_rows, inspect_csv, run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
CSV = """Email,Phone,Marketing OK?,Email Opt Out,Do Not Call,SMS consent
a@x.com,512 555 0101,no,,,
b@x.com,512 555 0102,Yes,true,,
c@x.com,512 555 0103,yes,false,Y,
d@x.com,512 555 0104,maybe,,,
e@x.com,512 555 0105,yes,,,Opted In
f@x.com,512 555 0106,,2024-03-01 10:00,,
g@x.com,512 555 0107,oui,,,non
e@x.com,512 555 0105,,unsubscribed,,
"""


def _state(session):
    contacts = {c.email: (c.opted_out_email, c.opted_out_sms) for c in session.scalars(sa.select(Contact))}
    suppressed = {(s.channel, s.address) for s in session.scalars(sa.select(Suppression))}
    return contacts, suppressed


@pytest.mark.parametrize("parallel", [False, True])
def test_consent_columns_opt_out_per_channel_and_unclear_values_are_reported(db, session, tmp_path, monkeypatch,
                                                                             parallel):
    import tools.imports.importer

    if parallel:
        monkeypatch.setattr(tools.imports.importer, "PARALLEL_FROM_BYTES", 0)
    path = tmp_path / "leads.csv"
    path.write_text(CSV, encoding="utf-8")
    assert inspect_csv(path).mapping == {"Email": "email", "Phone": "phone", "Marketing OK?": "consent.all",
                                         "Email Opt Out": "optout.email", "Do Not Call": "optout.sms",
                                         "SMS consent": "consent.sms"}
    result = run_import(path, actor=ADMIN, batch_size=3)
    assert (result.created, result.duplicates, result.opted_out) == (7, 1, 7)
    contacts, suppressed = _state(session)
    assert contacts == {"a@x.com": (True, True), "b@x.com": (True, False), "c@x.com": (False, True),
                        "d@x.com": (True, True), "e@x.com": (True, False), "f@x.com": (True, False),
                        "g@x.com": (False, True)}
    assert ("email", "a@x.com") in suppressed and ("sms", "+15125550101") in suppressed
    assert ("sms", "+15125550105") not in suppressed and ("email", "c@x.com") not in suppressed
    a = session.scalar(sa.select(Contact).where(Contact.email == "a@x.com"))
    assert a.opted_out_email_reason == "import: Marketing OK? = no"
    unclear = session.execute(sa.select(ImportError_.line, ImportError_.column, ImportError_.reason,
                                        ImportError_.value).where(ImportError_.reason.like("unclear%"))).all()
    assert [tuple(u) for u in unclear] == [
        (5, "Marketing OK?", "unclear consent value 'maybe': not read as consent; opted out of email and sms",
         "maybe")]


def test_a_yes_never_lifts_an_opt_out_and_existing_contacts_are_opted_out(db, session, tmp_path):
    from tools.contacts.optouts import opt_out

    create_contact(session, email="old@x.com", phone="+15125550199")
    create_contact(session, email="gone@x.com")
    opt_out(session, "email", "gone@x.com", source="chat")
    session.commit()
    path = tmp_path / "again.csv"
    path.write_text("E-mail,Teléfono,Consentimiento\nold@x.com,512 555 0199,no\ngone@x.com,,sí\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert (result.updated + result.unchanged, result.opted_out) == (2, 1)
    contacts, _ = _state(session)
    assert contacts == {"old@x.com": (True, True), "gone@x.com": (True, False)}


def test_api_rows_with_consent_keys(db, session):
    result = import_rows(session, ADMIN, [{"email": "p@x.com", "Unsubscribed": "TRUE"},
                                          {"email": "q@x.com", "Unsubscribed": "FALSE"}])
    session.commit()
    assert result.opted_out == 1
    assert _state(session)[0] == {"p@x.com": (True, False), "q@x.com": (False, False)}
