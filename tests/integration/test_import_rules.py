"""Import rules against the real database: de-duplication in the file and against existing contacts, merge
policies, suppressions that win, history entries, the error report export, the API twin import_rows."""

import csv

import pytest
import sqlalchemy as sa

from db.models import Contact, ContactEvent, Import
from domain.roles import PermissionDenied, Role
from tests.factories import create_contact
from tools.contacts.optouts import opt_out
from tools.contacts.timeline import contact_history
from tools.imports.importer import ImportRequestError, export_import_errors, import_rows, list_import_errors, run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _contact(session, email):
    session.expire_all()
    return session.scalar(sa.select(Contact).where(Contact.email == email))


def test_duplicates_in_the_file_by_email_else_phone(db, session, tmp_path):
    path = _csv(tmp_path / "d.csv", "Email,Phone,Name\n"
                "a@x.com,512-555-0100,Ann\n"
                "A@X.com ,,Ann again\n"          # same email
                ",(512) 555-0100,Phone only\n"  # no email, same phone
                "b@x.com,512-555-0100,Bea\n"    # another email with that phone: another person
                ",512-555-0199,Cy\n")
    result = run_import(path, actor=ADMIN)
    assert (result.rows, result.created, result.duplicates) == (5, 3, 2)
    dups = [(e.line, e.column) for e in result.errors if e.reason.startswith("duplicate")]
    assert dups == [(3, "email"), (4, "phone")]


def test_existing_contacts_are_matched_and_the_fill_policy_fills_blanks(db, session, tmp_path):
    ann = create_contact(session, email="a@x.com", first_name="Ann", company=None, tags=["old"], attributes={})
    phone_only = create_contact(session, phone="+15125550100", first_name="Pat", tags=[], attributes={})
    session.commit()
    path = _csv(tmp_path / "f.csv", "Email,Phone,First Name,Company,Tags\n"
                "a@x.com,,Annie,Acme,new\n"          # match by email: fill company, add tag, keep name
                "p@x.com,512-555-0100,Patty,,\n"     # match by phone (contact has no email): fill email
                "a@x.com,,Ann,,\n"                   # duplicate in the file
                "z@x.com,,Zed,,\n")
    result = run_import(path, actor=ADMIN)
    assert (result.created, result.updated, result.unchanged, result.duplicates) == (1, 2, 0, 1)
    ann = _contact(session, "a@x.com")
    assert (ann.first_name, ann.company, ann.tags) == ("Ann", "Acme", ["old", "new"])
    assert session.get(Contact, phone_only.id).email == "p@x.com"
    events = session.execute(sa.select(ContactEvent.kind, ContactEvent.field, ContactEvent.before,
                                       ContactEvent.after, ContactEvent.data)
                             .where(ContactEvent.contact_id == ann.id).order_by(ContactEvent.id)).all()
    assert [(k, f, b, a) for k, f, b, a, _ in events] == [
        ("field_changed", "company", None, "Acme"), ("field_changed", "tags", "old", "old, new"),
        ("imported", None, None, None)]
    assert events[-1].data == {"import_id": result.import_id, "result": "updated"}
    zed = _contact(session, "z@x.com")  # created: the contact row names its import, no history row is written
    assert zed.import_id == result.import_id and zed.source == "import"
    assert session.scalar(sa.select(sa.func.count()).select_from(ContactEvent)
                          .where(ContactEvent.contact_id == zed.id)) == 0
    history = contact_history(session, ADMIN, zed.id)
    assert [(e.kind, e.title) for e in history.entries] == [
        ("import", "imported from f.csv (created)"), ("created", "contact created (source: import)")]


def test_overwrite_and_skip_policies_and_unchanged_rows(db, session, tmp_path):
    create_contact(session, email="a@x.com", first_name="Ann", city="Austin", tags=[], attributes={})
    session.commit()
    path = _csv(tmp_path / "o.csv", "Email,First Name,City\na@x.com,Annie,Boston\n")
    skipped = run_import(path, actor=ADMIN, policy="skip")
    assert (skipped.updated, skipped.unchanged) == (0, 1)
    assert _contact(session, "a@x.com").city == "Austin"
    over = run_import(path, actor=ADMIN, policy="overwrite")
    assert over.updated == 1
    assert (_contact(session, "a@x.com").first_name, _contact(session, "a@x.com").city) == ("Annie", "Boston")
    again = run_import(path, actor=ADMIN, policy="overwrite")
    assert (again.updated, again.unchanged) == (0, 1)
    with pytest.raises(ImportRequestError, match="unknown policy 'merge'"):
        run_import(path, actor=ADMIN, policy="merge")


def test_suppressed_addresses_stay_suppressed_whatever_the_file_says(db, session, tmp_path):
    opt_out(session, "email", "gone@x.com", source="email_unsubscribe")
    opt_out(session, "sms", "+15125550100", source="sms_keyword")
    kept = create_contact(session, email="kept@x.com", tags=[], attributes={})
    session.commit()
    opt_out(session, "email", "kept@x.com")
    kept.opted_out_email = False  # as if an old bug had lost the flag: the suppression still wins
    session.commit()
    path = _csv(tmp_path / "s.csv", "Email,Phone,Opted Out\ngone@x.com,,no\nnew@x.com,512-555-0100,no\n"
                "kept@x.com,,no\n")
    result = run_import(path, actor=ADMIN, policy="overwrite")
    assert (result.created, result.updated) == (2, 1)
    gone, new, kept = (_contact(session, e) for e in ("gone@x.com", "new@x.com", "kept@x.com"))
    assert gone.opted_out_email and not gone.opted_out_sms
    assert new.opted_out_sms and not new.opted_out_email and new.opted_out_sms_reason == "suppressed address"
    assert kept.opted_out_email


def test_the_error_report_is_stored_and_exported_formula_safe(db, session, tmp_path):
    path = _csv(tmp_path / "e.csv", "Email,Phone\n=HYPERLINK(\"http://evil\"),+1 nonsense\nok@x.com,\n")
    result = run_import(path, actor=ADMIN)
    assert result.rejected == 1
    stored = list_import_errors(session, ADMIN, result.import_id)
    assert [(e.line, e.column, e.rejected) for e in stored] == [(2, "Email", False), (2, "Phone", False),
                                                                (2, None, True)]
    out = tmp_path / "report.csv"
    assert export_import_errors(session, ADMIN, result.import_id, out) == 3
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["value"] == "'=HYPERLINK(\"http://evil\")" and rows[1]["value"] == "'+1 nonsense"
    assert rows[2]["rejected"] == "yes" and rows[2]["reason"].startswith("no usable address")
    with pytest.raises(ImportRequestError, match="no import #999"):
        export_import_errors(session, ADMIN, 999, out)


def test_import_rows_applies_the_same_rules_in_the_callers_transaction(db, session):
    create_contact(session, email="a@x.com", first_name=None, tags=[], attributes={})
    result = import_rows(session, ADMIN, [
        {"Email": "A@x.com", "First Name": "Ann", "plan": "gold"},
        {"email": "b@x.com", "phone": "512-555-0100", "tags": ["vip", "Lead"]},
        {"email": "b@x.com"},
        {"name": "No Address"},
    ], source="api")
    assert (result.rows, result.created, result.updated, result.duplicates, result.rejected) == (4, 1, 1, 1, 1)
    assert [e.line for e in result.errors if e.rejected] == [4]
    ann = _contact(session, "a@x.com")
    assert ann.first_name == "Ann" and ann.attributes == {"plan": "gold"}
    assert _contact(session, "b@x.com").tags == ["vip", "lead"] and _contact(session, "b@x.com").source == "api"
    with pytest.raises(ImportRequestError, match="list of objects"):
        import_rows(session, ADMIN, ["a@x.com"])
    with pytest.raises(PermissionDenied):
        import_rows(session, Actor("r@x.com", Role.REVIEWER), [{"email": "c@x.com"}])


def test_a_batch_that_meets_a_concurrent_insert_is_done_again(db, session, tmp_path, monkeypatch):
    """Another writer creates an address between our look-up and our insert: the unique email stops the batch,
    which is rolled back and redone once, and then matches the contact instead of failing the import."""
    import tools.imports.batch as batch

    create_contact(session, email="race@x.com", tags=[], attributes={})
    session.commit()
    real, calls = batch._existing, []

    def blind_once(s, rows):
        calls.append(1)
        return ({}, {}) if len(calls) == 1 else real(s, rows)

    monkeypatch.setattr(batch, "_existing", blind_once)
    result = run_import(_csv(tmp_path / "r.csv", "Email,City\nrace@x.com,Rome\nnew@x.com,Oslo\n"), actor=ADMIN)
    assert len(calls) == 2 and (result.created, result.updated) == (1, 1)
    assert _contact(session, "race@x.com").city == "Rome"


def test_backslashes_tabs_line_breaks_and_copy_markers_are_stored_exactly(db, session, tmp_path):
    nasty = ['Acme \\N Inc', 'back\\slash\\', 'tab\there', 'two\nlines', '\\.', 'Zoë "quoted" ☃', 'x\\ty']
    path = tmp_path / "nasty.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Email", "Company", "City", "Notes", "Tags"])
        for i, value in enumerate(nasty):
            writer.writerow([f"n{i}@x.com", value, value, value, value.replace(",", "")])
    result = run_import(path, actor=ADMIN)
    assert (result.created, result.rejected) == (len(nasty), 0)
    for i, value in enumerate(nasty):
        contact = _contact(session, f"n{i}@x.com")
        cleaned = " ".join(value.split())  # names and places are trimmed to single spaces; attributes are kept
        assert (contact.company, contact.city) == (cleaned, cleaned)
        assert contact.attributes == {"notes": value.strip()}
        assert contact.import_id == result.import_id and contact.opted_out_email is False


def test_a_batch_that_fails_in_the_writer_fails_the_import_and_keeps_the_batches_before_it(db, session, tmp_path,
                                                                                           monkeypatch):
    import tools.imports.importer

    real, calls = tools.imports.importer.apply_batch, []

    def broken_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(tools.imports.importer, "apply_batch", broken_second)
    rows = "".join(f"w{i}@x.com,Rome\n" for i in range(10))
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(_csv(tmp_path / "w.csv", "Email,City\n" + rows), actor=ADMIN, batch_size=4)
    record = session.scalar(sa.select(Import).order_by(Import.id.desc()))
    assert (record.status, record.rows, record.created) == ("failed", 4, 4) and "disk full" in record.error
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 4
