"""The rules of one import batch (issue 24, the survivors of tools/imports/batch.py's apply_batch, FileDedup,
Counts.add, _existing, _match, _suppressed, _apply_optouts, bulk_insert): a row whose opt-out column says yes
suppresses its own address on that channel (source "import", the column in the reason, the actor in the history);
in-file duplicates and matches are counted and reported with their line; the counts of every batch add up."""

import sqlalchemy as sa

from db.models import Contact, ContactEvent, Import, ImportError_, Suppression
from tests.factories import create_contact
from tools.imports.batch import MAX_STORED_ERRORS, Counts, Prepared, apply_batch
from tools.imports.importer import run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
WHO = "importer@example.com"


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _suppressions(session):
    return sorted(tuple(s) for s in session.execute(
        sa.select(Suppression.channel, Suppression.address, Suppression.reason, Suppression.source)).all())


def _optout_state(session):
    return {c.email: (c.opted_out_email, c.opted_out_email_reason, c.opted_out_sms, c.opted_out_sms_reason)
            for c in session.scalars(sa.select(Contact).order_by(Contact.id))}


def _events(session, kind):
    return sorted(tuple(e) for e in session.execute(
        sa.select(Contact.email, ContactEvent.field, ContactEvent.source, ContactEvent.actor, ContactEvent.data)
        .join(Contact, Contact.id == ContactEvent.contact_id).where(ContactEvent.kind == kind)).all())


def test_opt_out_columns_suppress_the_rows_own_address_on_each_channel(db, session, tmp_path):
    path = _csv(tmp_path / "o.csv", "Email,Phone,Email Opt Out,Do Not Call\n"
                "ann@x.com,512 555 0101,yes,\n"      # email out, phone stays
                "bob@x.com,512 555 0102,,yes\n"      # phone out, email stays
                "cy@x.com,512 555 0103,,\n")
    result = run_import(path, actor=ADMIN)
    assert (result.created, result.opted_out) == (3, 2)
    assert _suppressions(session) == [("email", "ann@x.com", "opt_out", "import"),
                                      ("sms", "+15125550102", "opt_out", "import")]
    session.expire_all()
    assert _optout_state(session) == {
        "ann@x.com": (True, "import: Email Opt Out = yes", False, None),
        "bob@x.com": (False, None, True, "import: Do Not Call = yes"),
        "cy@x.com": (False, None, False, None)}
    assert _events(session, "opted_out") == [("ann@x.com", "email", "import", WHO, {"reason": "opt_out"}),
                                             ("bob@x.com", "sms", "import", WHO, {"reason": "opt_out"})]


def _report(session, import_id):
    return [tuple(r) for r in session.execute(
        sa.select(ImportError_.line, ImportError_.column, ImportError_.value, ImportError_.rejected,
                  ImportError_.reason).where(ImportError_.import_id == import_id).order_by(ImportError_.id)).all()]


def _contacts(session):
    return [tuple(c) for c in session.execute(sa.select(Contact.email, Contact.phone, Contact.city, Contact.city_folded)
                                              .order_by(Contact.id)).all()]


def test_an_address_filled_in_the_batch_is_known_to_its_later_rows(db, session, tmp_path):
    """A phone the file fills into a contact is that contact's from then on: a later row with that phone and another
    email is a probable duplicate OF THAT CONTACT (not of "an earlier row"); a row matched by phone fills the email."""
    quinn = create_contact(session, email="quinn@x.com", phone=None, city="Rome", tags=[], attributes={})
    create_contact(session, email=None, phone="+15125550201", city=None, tags=[], attributes={})
    session.commit()
    path = _csv(tmp_path / "l.csv", "Email,Phone,City\n"
                "quinn@x.com,512 555 0301,Zürich \n"   # fills quinn's phone; overwrites her city
                "rae@x.com,512 555 0301,\n"            # quinn's new phone, another email
                "pat@x.com,512 555 0201,\n")           # matched by phone, fills the email
    result = run_import(path, actor=ADMIN, policy="overwrite")
    assert (result.rows, result.created, result.updated, result.unchanged, result.duplicates,
            result.probable_duplicates) == (3, 1, 2, 0, 0, 1)
    session.expire_all()
    assert _contacts(session) == [("quinn@x.com", "+15125550301", "Zürich", "zurich"),
                                  ("pat@x.com", "+15125550201", None, None),
                                  ("rae@x.com", "+15125550301", None, None)]
    assert _report(session, result.import_id) == [
        (3, "phone", "+15125550301", False, f"probable duplicate of contact #{quinn.id} (quinn@x.com): same phone, "
         "other email; imported as a new contact (merge them with 'merge contact A into B' if they are one person)")]


def test_the_report_lists_each_problem_with_its_line_and_the_counts_add_up_over_batches(db, session, tmp_path):
    create_contact(session, email="old@x.com", phone=None, tags=[], attributes={})
    session.commit()
    path = _csv(tmp_path / "r.csv", "Email,Phone\n"
                "a@x.com,512 555 0101\n"     # 2 created
                "A@X.com,512 555 0199\n"     # 3 duplicate email
                ",512 555 0102\n"            # 4 created (phone only)
                ",(512) 555-0102\n"          # 5 duplicate phone
                "not-an-email,\n"            # 6 rejected
                "old@x.com,\n"               # 7 unchanged
                "old@x.com,512 555 0103\n"   # 8 duplicate (of line 7)
                "b@x.com,512 555 0101\n")    # 9 created: a probable duplicate of line 2
    result = run_import(path, actor=ADMIN, batch_size=3)
    assert (result.rows, result.created, result.updated, result.unchanged, result.duplicates, result.rejected,
            result.probable_duplicates) == (8, 3, 0, 1, 3, 1, 1)
    a_id = session.scalar(sa.select(Contact.id).where(Contact.email == "a@x.com"))  # line 9 is in a later batch
    again = "duplicate of an earlier row in this file (same {}); not imported again"
    report = _report(session, result.import_id)
    assert [r for r in report if r[0] != 6] == [
        (3, "email", "a@x.com", False, again.format("email")),
        (5, "phone", "+15125550102", False, again.format("phone")),
        (8, "email", "old@x.com", False, again.format("email")),
        (9, "phone", "+15125550101", False, f"probable duplicate of contact #{a_id} (a@x.com): same phone, other "
         "email; imported as a new contact (merge them with 'merge contact A into B' if they are one person)")]
    assert [r[:4] for r in report if r[0] == 6] == [(6, "Email", "not-an-email", False), (6, None, None, True)]
    stored = session.get(Import, result.import_id)
    assert (stored.rows, stored.created, stored.updated, stored.unchanged, stored.duplicates, stored.rejected) == \
        (8, 3, 0, 1, 3, 1)


def test_counts_add_every_field():
    total = Counts(1, 2, 3, 4, 5, 6, 7, 8)
    total.add(Counts(10, 20, 30, 40, 50, 60, 70, 80))
    assert total == Counts(11, 22, 33, 44, 55, 66, 77, 88)


def _error(line):
    return {"line": line, "column": "email", "reason": "bad", "value": f"v{line}", "rejected": True}


def test_the_report_keeps_at_most_max_stored_errors_rows(db, session):
    """The import_errors rows stop at MAX_STORED_ERRORS: a batch stores only what room is left, none past it."""
    record = Import(filename="f.csv", status="running", policy="fill", mapping={})
    session.add(record)
    session.flush()
    for first, stored in ((1, MAX_STORED_ERRORS - 3), (3, MAX_STORED_ERRORS - 1), (5, MAX_STORED_ERRORS),
                          (7, MAX_STORED_ERRORS + 5)):
        batch = Prepared(counts=Counts(rows=2, rejected=2), errors=[_error(first), _error(first + 1)])
        counts = apply_batch(session, batch, import_id=record.id, policy="fill", actor=None, source="import",
                             stored_errors=stored)
        assert counts == Counts(rows=2, rejected=2)
    assert _report(session, record.id) == [(1, "email", "v1", True, "bad"), (2, "email", "v2", True, "bad"),
                                           (3, "email", "v3", True, "bad")]


def test_a_batch_without_any_email_still_matches_contacts_by_phone(db, session, tmp_path):
    ola = create_contact(session, email="ola@x.com", phone="+15125550401", city=None, tags=[], attributes={})
    session.commit()
    result = run_import(_csv(tmp_path / "p.csv", "Phone,City\n512 555 0401,Oslo\n512 555 0402,Bergen\n"), actor=ADMIN)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    session.expire_all()
    assert _contacts(session) == [("ola@x.com", "+15125550401", "Oslo", "oslo"), (None, "+15125550402", "Bergen",
                                                                                  "bergen")]
    assert session.get(Contact, ola.id).city == "Oslo"


def test_a_probable_duplicate_of_an_earlier_row_of_the_batch_is_reported_with_its_phone(db, session, tmp_path):
    result = run_import(_csv(tmp_path / "t.csv", "Email,Phone\ne1@x.com,512 555 0501\ne2@x.com,512 555 0501\n"),
                        actor=ADMIN)
    assert (result.created, result.probable_duplicates) == (2, 1)
    assert _report(session, result.import_id) == [
        (3, "phone", "+15125550501", False, "probable duplicate of an earlier row in this file: same phone, other "
         "email; imported as a new contact (merge them with 'merge contact A into B' if they are one person)")]


def test_every_unchanged_row_of_a_batch_is_counted(db, session, tmp_path):
    for email in ("u1@x.com", "u2@x.com", "u3@x.com"):
        create_contact(session, email=email, phone=None, tags=[], attributes={})
    session.commit()
    result = run_import(_csv(tmp_path / "u.csv", "Email\nu1@x.com\nu2@x.com\nu3@x.com\nnew@x.com\n"), actor=ADMIN)
    assert (result.rows, result.created, result.updated, result.unchanged) == (4, 1, 0, 3)
