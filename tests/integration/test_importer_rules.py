"""What an import gives back (issue 24, the survivors of tools/imports/importer.py): the whole result of a file
import (counts, the first problems with their lines, status "done", warnings, the file's encoding and delimiter,
opt-outs and probable duplicates) and of an API import (no file: no encoding or delimiter); then the rest of the
module's rules: the preview (warnings, five rows, mapping changes), the checks before a run (policy, path length,
the file still there and unchanged), a run given its own engine, progress, failures and Ctrl-C on the row, and the
worker processes (how many, at most one batch each)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from db.models import Contact, ContactEvent, Import, ImportError_, utcnow
from db.session import unit_of_work
from domain.roles import PermissionDenied, Role
from settings import reset_settings
from tests.factories import create_contact
from tools.imports import job as jobs
from tools.imports.batch import Counts
from tools.imports.importer import ImportFileError, ImportTakenOver, import_rows, inspect_csv, run_import, run_job
from tools.imports.results import ImportProgress, ImportRequestError, ImportResult, RowError
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
WHO = "importer@example.com"
TWIN = ("probable duplicate of an earlier row in this file: same phone, other email; imported as a new contact "
        "(merge them with 'merge contact A into B' if they are one person)")


def _csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _only_import(session):
    return session.scalar(sa.select(Import.id))


def test_the_result_of_a_file_import_is_whole(db, session, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Email;Phone;Do Not Call\na@x.com;512 555 0101;yes\nA@x.com;;\nb@x.com;512 555 0101;\n",
                    encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert result == ImportResult(
        _only_import(session), 3, 2, 0, 0, 1, 0,
        [RowError(3, "email", "duplicate of an earlier row in this file (same email); not imported again", "a@x.com",
                  False),
         RowError(4, "phone", TWIN, "+15125550101", False)],
        "done", [], "UTF-8", ";", 1, 1)


def test_a_header_only_file_says_nothing_was_imported(db, session, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Email,Phone\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert result == ImportResult(_only_import(session), 0, 0, 0, 0, 0, 0, [], "done",
                                  ["the file has a header but no data rows", "no data rows: nothing was imported"],
                                  "UTF-8", ",", 0, 0)


def test_the_result_of_an_api_import_is_whole(db, session):
    result = import_rows(session, ADMIN, [{"email": "p@x.com", "phone": "512 555 0102"},
                                          {"email": "q@x.com", "phone": "512 555 0102", "Unsubscribed": "TRUE"}])
    assert result == ImportResult(_only_import(session), 2, 2, 0, 0, 0, 0, [RowError(2, "phone", TWIN, "+15125550102",
                                                                                 False)],
                                  "done", [], None, None, 1, 1)


def test_an_api_import_writes_its_row_done_and_its_contacts_with_their_source(db, session):
    rows = [{"Email": "p@x.com", "First Name": "Pia", "Plan": ["a", "b"]},
            {"email": "q@x.com", "first name": "Quin", "Phone": "512 555 0103", "Pla\x00n": {"k": 1}},
            {"EMAIL": "p@x.com"}]
    result = import_rows(session, ADMIN, rows, mapping={"Plan": "attributes.plan"})
    session.flush()
    assert (result.rows, result.created, result.duplicates) == (3, 2, 1)
    record = session.get(Import, result.import_id)
    assert (record.filename, record.status, record.policy, record.mapping, record.created_by, record.rows,
            record.created, record.duplicates, record.done_line, record.bytes_done) == (
        "api (3 rows)", "done", "fill", {"Email": "email", "First Name": "first_name", "Plan": "attributes.plan",
                                         "Phone": "phone"},
        "importer@example.com", 3, 2, 1, 0, 0)
    assert record.finished_at is not None
    contacts = [tuple(c) for c in session.execute(sa.select(Contact.email, Contact.first_name, Contact.phone,
                                                            Contact.attributes, Contact.source, Contact.import_id)
                                                  .order_by(Contact.id)).all()]
    assert contacts == [("p@x.com", "Pia", None, {"plan": "a,b"}, "api", record.id),
                        ("q@x.com", "Quin", "+15125550103", {"plan": '{"k": 1}'}, "api", record.id)]


def test_an_api_import_refuses_a_bad_policy_rows_that_are_not_objects_and_a_reviewer(db, session):
    with pytest.raises(ImportRequestError) as bad:
        import_rows(session, ADMIN, [{"email": "a@x.com"}], policy="merge")
    assert str(bad.value) == "unknown policy 'merge': use one of fill, overwrite, skip"
    for rows in ({"email": "a@x.com"}, [{"email": "a@x.com"}, "b@x.com"]):
        with pytest.raises(ImportRequestError) as bad:
            import_rows(session, ADMIN, rows)
        assert str(bad.value) == "rows must be a list of objects (one per contact)"
    with pytest.raises(PermissionDenied) as denied:
        import_rows(session, Actor("r@x.com", Role.REVIEWER), [{"email": "a@x.com"}])
    assert str(denied.value) == ("your role (reviewer) does not allow to import contacts: it needs the "
                                 "'contacts:write' permission")
    assert session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


@pytest.fixture
def italian_account(monkeypatch):
    monkeypatch.setenv("MKT_DEFAULT_REGION", "it")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_an_api_import_follows_the_policy_mapping_and_region_and_names_its_actor(db, session, italian_account):
    """Overwrite policy, a mapping change and the account's region (set in lower case) reach the rows; the
    history of the updated contact names the actor; keys that fold to nothing stay separate columns."""
    ada = create_contact(session, email="ada@x.com", phone=None, city="Roma", company="Old", tags=[], attributes={})
    session.commit()
    rows = [{"email": "ada@x.com", "City": "Milano", "Firm": "New", "Tel": "312 345 6789", "?": "q", "#": "h"}]
    result = import_rows(session, ADMIN, rows, policy="overwrite", mapping={"Firm": "company"})
    session.flush()
    assert (result.updated, session.get(Import, result.import_id).policy) == (1, "overwrite")
    session.expire_all()
    ada = session.get(Contact, ada.id)
    assert (ada.city, ada.company, ada.phone, ada.attributes) == ("Milano", "New", "+393123456789", {"column_5": "q", "column_6": "h"})
    assert {tuple(e) for e in session.execute(
        sa.select(ContactEvent.field, ContactEvent.actor).where(ContactEvent.contact_id == ada.id))} == {
        ("attributes", WHO), ("city", WHO), ("company", WHO), ("phone", WHO), (None, WHO)}


def test_the_import_says_when_its_report_was_cut_at_the_cap(db, session, tmp_path, monkeypatch):
    """Past MAX_STORED_ERRORS problems the report stops, and the import's row says so; at exactly the cap, not."""
    import tools.imports.batch
    import tools.imports.importer

    for module in (tools.imports.batch, tools.imports.importer):
        monkeypatch.setattr(module, "MAX_STORED_ERRORS", 2)
    at_cap = run_import(_csv(tmp_path / "two.csv", "Email\nbad1\n"), actor=ADMIN)  # two problems: its cell, the row
    past = run_import(_csv(tmp_path / "four.csv", "Email\nbad1\nbad2\n"), actor=ADMIN, batch_size=1)
    session.expire_all()
    assert [(r.status, r.error) for r in (session.get(Import, at_cap.import_id), session.get(Import, past.import_id))] \
        == [("done", None), ("done", " (only the first 2 problems are in the report)")]


def test_the_result_keeps_the_first_twenty_problems_over_batches(db, session, tmp_path):
    path = _csv(tmp_path / "bad.csv", "Email\n" + "".join(f"bad{i}\n" for i in range(12)))
    result = run_import(path, actor=ADMIN, batch_size=5)
    assert [(e.line, e.rejected) for e in result.errors] == [(line, rejected) for line in range(2, 12)
                                                             for rejected in (False, True)]


def test_a_run_given_its_own_engine_does_all_its_work_there(db, session, tmp_path):
    """`run_import(engine=...)` (the bench): the row is created, written and finished in that database only."""
    from db.models import Base

    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    Base.metadata.create_all(other)
    try:
        result = run_import(_csv(tmp_path / "e.csv", "Email\ne1@x.com\n"), actor=ADMIN, engine=other)
        with other.connect() as conn:
            row = conn.execute(sa.select(Import.status, Import.rows, Import.created, Import.finished_at.is_not(None))
                               .where(Import.id == result.import_id)).one()
            assert tuple(row) == ("done", 1, 1, True)
            assert conn.execute(sa.select(Contact.email)).scalars().all() == ["e1@x.com"]
    finally:
        other.dispose()
    assert session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


class _Killed(BaseException):
    """The process running the import stops after its first batch."""


def _stop(progress):
    raise _Killed


def test_a_resumed_run_counts_the_problems_already_stored_toward_the_cap(db, session, tmp_path, monkeypatch):
    """Cap 2: the first run stores two problems (lines 2, 3) and stops; the resumed run stores no more (line 7 is
    past the cap), says so on the row, and still gives the first problems back, the earlier ones too."""
    import tools.imports.batch
    import tools.imports.importer

    for module in (tools.imports.batch, tools.imports.importer):
        monkeypatch.setattr(module, "MAX_STORED_ERRORS", 2)
    path = _csv(tmp_path / "c.csv", "Email,Name\n,A\n,B\nc@x.com,C\nd@x.com,D\ne@x.com,E\n,F\ng@x.com,G\n")
    with pytest.raises(_Killed):
        run_import(path, actor=ADMIN, batch_size=4, progress=_stop)
    import_id = _only_import(session)
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session, utcnow() + timedelta(minutes=11)) == [import_id]
    result = run_job(import_id, batch_size=4)
    assert [(e.line, e.rejected) for e in result.errors] == [(2, True), (3, True), (7, True)]  # not capped
    session.expire_all()
    assert [r.line for r in session.scalars(sa.select(ImportError_).where(ImportError_.import_id == import_id))] \
        == [2, 3]
    assert session.get(Import, import_id).error == " (only the first 2 problems are in the report)"


def test_a_resumed_run_gives_back_only_the_first_twenty_problems(db, session, tmp_path):
    path = _csv(tmp_path / "m.csv", "Email,Name\n" + ",N\n" * 22 + "x@x.com,X\n,Z\n")  # 22 rows with no address
    with pytest.raises(_Killed):
        run_import(path, actor=ADMIN, batch_size=22, progress=_stop)
    import_id = _only_import(session)
    with unit_of_work() as uow:
        jobs.stale_imports(uow.session, utcnow() + timedelta(minutes=11))
    result = run_job(import_id, batch_size=5)  # the 22 rows before the cut re-read in 4 chunks of 5 and one of 2
    assert [e.line for e in result.errors] == list(range(2, 22))


def test_a_run_whose_claim_was_taken_over_stops_at_its_next_batch(db, session, tmp_path):
    """After its first batch the sweep gives the import to another run (a new runner token): the old run's next
    batch is rolled back and the run stops with ImportTakenOver."""
    def take_over(progress):
        with unit_of_work() as uow:
            uow.session.execute(sa.update(Import).values(runner="another run"))

    path = _csv(tmp_path / "t.csv", "Email\nt1@x.com\nt2@x.com\n")
    with pytest.raises(ImportTakenOver):
        run_import(path, actor=ADMIN, batch_size=1, progress=take_over)
    assert session.scalars(sa.select(Contact.email)).all() == ["t1@x.com"]


def test_a_unique_clash_that_comes_back_on_the_retry_fails_the_import(db, session, tmp_path, monkeypatch):
    """A batch whose insert clashes (another writer created the address) is done again once; if it clashes again
    the import fails with that error, after exactly two tries."""
    import tools.imports.importer

    tries = []

    def clash(*args, **kwargs):
        tries.append(1)
        raise sa.exc.IntegrityError("INSERT INTO contacts", {}, Exception("duplicate email"))

    monkeypatch.setattr(tools.imports.importer, "apply_batch", clash)
    with pytest.raises(sa.exc.IntegrityError):
        run_import(_csv(tmp_path / "u.csv", "Email\nu@x.com\n"), actor=ADMIN)
    session.expire_all()
    record = session.get(Import, _only_import(session))
    assert (len(tries), record.status, record.error.split(":")[0]) == (2, "failed", "IntegrityError")


def test_a_resumed_run_given_its_own_engine_reads_its_earlier_problems_there(db, session, tmp_path):
    """`run_job(engine=...)` resuming an import of that database: the problems its first run stored there (line 2)
    come back with the new ones (line 5), and the counts go on from the row; the default database stays empty."""
    from db.models import Base

    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    Base.metadata.create_all(other)
    try:
        path = _csv(tmp_path / "o.csv", "Email,Name\n,A\nb@x.com,B\nc@x.com,C\n,D\ne@x.com,E\n")
        with pytest.raises(_Killed):
            run_import(path, actor=ADMIN, batch_size=3, progress=_stop, engine=other)
        with unit_of_work(other) as uow:
            import_id = uow.session.scalar(sa.select(Import.id))
            assert jobs.stale_imports(uow.session, utcnow() + timedelta(minutes=11)) == [import_id]
        result = run_job(import_id, batch_size=3, engine=other)
        assert result.errors == [RowError(line, None, "no usable address: no email and no phone", None, True)
                                 for line in (2, 5)]
        assert (result.rows, result.created, result.rejected) == (5, 3, 2)
    finally:
        other.dispose()
    assert session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_an_api_import_keeps_a_nested_value_s_letters_and_drops_nul_from_keys(db, session):
    """A dict value is stored as JSON text with its letters as they are (not \\u escapes); a key that folds to
    nothing loses its NUL characters, in the import's mapping too (PostgreSQL refuses NUL in JSON)."""
    result = import_rows(session, ADMIN, [{"email": "zoe@x.com", "Lieu": {"ville": "Bâle"}, "\x00#": "h"}])
    session.flush()
    assert session.get(Import, result.import_id).mapping == {"email": "email", "Lieu": "attributes.lieu",
                                                             "#": "attributes.column_3"}
    assert session.scalar(sa.select(Contact.attributes)) == {"lieu": '{"ville": "Bâle"}', "column_3": "h"}


def _big_cell(path, before, after):
    """A file whose record after `before` has a cell past the CSV reader's 16 MB limit (an unreadable line)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write(before)
        handle.write('a@x.com,"' + "x" * (16 * 1024 * 1024 + 1) + '"\n')
        handle.write(after)
    return path


def test_the_preview_reports_an_unreadable_line_and_ragged_rows_and_shows_five_rows(db, tmp_path):
    path = _big_cell(tmp_path / "big.csv", "Email,Notes\n",
                     "".join(f"r{i}@x.com,n{i}{',extra' if i == 1 else ''}\n" for i in range(7)))
    preview = inspect_csv(path)
    assert (preview.headers, preview.mapping) == (["Email", "Notes"], {"Email": "email", "Notes": "attributes.notes"})
    assert preview.sample_rows == [{"Email": f"r{i}@x.com", "Notes": f"n{i}"} for i in range(5)]
    assert preview.warnings == ["line 2: unreadable line: field larger than field limit (16777216)",
                                "line 4 has 3 cells, the header has 2"]


def test_a_file_whose_only_header_is_unreadable_is_refused(db, tmp_path):
    path = _big_cell(tmp_path / "nohead.csv", "", "")
    with pytest.raises(ImportFileError) as refused:
        inspect_csv(path)
    assert str(refused.value) == "the file has no header row"


def test_a_queued_import_with_no_file_fails_and_says_so(db, session):
    record = Import(filename="old.csv", status="queued", policy="fill", mapping={"Email": "email"}, path=None)
    session.add(record)
    session.commit()
    with pytest.raises(ImportFileError) as gone:
        run_job(record.id)
    message = "the file (none) is no longer there (uploads are kept under var/uploads): upload it again"
    assert str(gone.value) == message
    session.expire_all()
    assert (session.get(Import, record.id).status, session.get(Import, record.id).error) == ("failed", message)


def test_a_queued_import_whose_file_changed_fails_and_says_how(db, session, tmp_path):
    """The run checks the file is the one queued: the same size, the same columns."""
    from tools.imports.importer import create_import

    grown = _csv(tmp_path / "grown.csv", "Email,Name\na@x.com,A\n")
    widened = _csv(tmp_path / "widened.csv", "Email,Name\nb@x.com,B\n")
    with unit_of_work() as uow:
        ids = [create_import(uow.session, p, actor=ADMIN) for p in (grown, widened)]
    _csv(grown, "Email,Name\na@x.com,A\nc@x.com,C\n")
    _csv(widened, "Email,Name,X\nb@x.c,B\n")  # the same size, a column more
    messages = ["the file grown.csv changed since the import was queued: import it again",
                "the columns of widened.csv changed since the import was queued: import it again"]
    for import_id, message in zip(ids, messages, strict=True):
        with pytest.raises(ImportFileError) as changed:
            run_job(import_id)
        assert str(changed.value) == message
    session.expire_all()
    assert [(r.status, r.error, r.rows) for r in session.scalars(sa.select(Import).order_by(Import.id))] == [
        ("failed", messages[0], 0), ("failed", messages[1], 0)]
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_worker_processes_only_for_large_files_on_several_cpus(monkeypatch):
    """From 1,500,000 bytes (about 10,000 rows), with at least two CPUs: at most two workers; an unknown CPU count
    counts as one."""
    import os

    from tools.imports.importer import _workers

    answers = {}
    for cpus in (None, 1, 2, 8):
        monkeypatch.setattr(os, "cpu_count", lambda cpus=cpus: cpus)
        answers[cpus] = [_workers(size) for size in (1_499_999, 1_500_000, 10**9)]
    assert answers == {None: [0, 0, 0], 1: [0, 0, 0], 2: [0, 2, 2], 8: [0, 2, 2]}


def test_a_file_import_keeps_its_given_name_and_region(db, session, tmp_path):
    path = _csv(tmp_path / "upload-7f3a.csv", "Email,Phone\nd@x.com,030 1234567\n")
    result = run_import(path, actor=ADMIN, filename="people.csv", default_region="de")
    session.expire_all()
    record = session.get(Import, result.import_id)
    assert (record.filename, record.region, record.path) == ("people.csv", "DE", str(path.resolve()))
    assert session.scalar(sa.select(Contact.phone)) == "+49301234567"


def test_a_reviewer_cannot_queue_a_file_import(db, session, tmp_path):
    with pytest.raises(PermissionDenied) as denied:
        run_import(_csv(tmp_path / "p.csv", "Email\np@x.com\n"), actor=Actor("r@x.com", Role.REVIEWER))
    assert str(denied.value) == ("your role (reviewer) does not allow to import contacts: it needs the "
                                 "'contacts:write' permission")
    assert session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_a_run_given_its_own_engine_fails_there_when_its_file_is_gone(db, session, tmp_path):
    from db.models import Base
    from tools.imports.importer import create_import

    other = sa.create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    Base.metadata.create_all(other)
    try:
        path = _csv(tmp_path / "gone.csv", "Email\ng@x.com\n")
        with unit_of_work(other) as uow:
            import_id = create_import(uow.session, path, actor=ADMIN)
        path.unlink()
        with pytest.raises(ImportFileError):
            run_job(import_id, engine=other)
        with other.connect() as conn:
            assert tuple(conn.execute(sa.select(Import.status, Import.error, Import.runner))
                         .one()) == ("failed", "the file gone.csv is no longer there (uploads are kept under "
                                     "var/uploads): upload it again", None)
    finally:
        other.dispose()
    assert session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_a_file_import_refuses_an_unknown_policy_and_a_path_past_1000_characters(db, session, tmp_path):
    path = _csv(tmp_path / "p.csv", "Email\np@x.com\n")
    with pytest.raises(ImportRequestError) as bad:
        run_import(path, actor=ADMIN, policy="merge")
    assert str(bad.value) == "unknown policy 'merge': use one of fill, overwrite, skip"
    deep = tmp_path.resolve()
    while 1000 - len(str(deep)) > 250:  # names under the system's 255 characters
        deep = deep / ("d" * 200)
    deep.mkdir(parents=True)
    name = "a" * (1000 - len(str(deep)) - len("/.csv"))
    exactly = _csv(deep / f"{name}.csv", "Email\nq@x.com\n")
    assert len(str(exactly)) == 1000
    assert run_import(exactly, actor=ADMIN).created == 1
    longer = _csv(deep / f"{name}a.csv", "Email\nr@x.com\n")
    with pytest.raises(ImportRequestError) as long_path:
        run_import(longer, actor=ADMIN)
    assert str(long_path.value) == "the file's path is longer than 1,000 characters: move it to a shorter one"
    assert session.scalars(sa.select(Import.path)).all() == [str(exactly)]


def test_progress_is_reported_after_each_batch_with_the_import_s_counts(db, session, tmp_path):
    path = _csv(tmp_path / "g.csv", "Email\ng1@x.com\ng2@x.com\nbad\n")
    seen = []
    result = run_import(path, actor=ADMIN, batch_size=2, progress=seen.append)
    size = path.stat().st_size
    assert seen == [ImportProgress(result.import_id, 2, size, size, Counts(rows=2, created=2)),
                    ImportProgress(result.import_id, 3, size, size, Counts(rows=3, created=2, rejected=1))]


def test_a_failure_s_reason_is_kept_to_2000_characters_on_the_row(db, session, tmp_path):
    """A queued import whose mapped column is gone fails with the reason, cut to 2,000 characters."""
    from tools.imports.importer import create_import

    path = _csv(tmp_path / "w.csv", "Email,Name\nw@x.com," + "W" * 3000 + "\n")
    with unit_of_work() as uow:
        import_id = create_import(uow.session, path, actor=ADMIN)
    columns = [f"C{i:03d}{'x' * 20}" for i in range(100)]
    text = "Email," + ",".join(columns) + "\n"
    _csv(path, text + "w" * (path.stat().st_size - len(text)))  # the same size, column Name gone
    reason = f"--map: no column 'Name' in the file; columns: Email, {', '.join(columns)}"
    with pytest.raises(ImportFileError) as gone:
        run_job(import_id)
    assert str(gone.value) == reason
    session.expire_all()
    assert session.get(Import, import_id).error == reason[:2000]


def test_ctrl_c_fails_the_import_with_the_line_it_reached(db, session, tmp_path):
    def stop(progress):
        raise KeyboardInterrupt

    path = _csv(tmp_path / "k.csv", "Email\n" + "".join(f"k{i}@x.com\n" for i in range(1002)))
    with pytest.raises(KeyboardInterrupt):
        run_import(path, actor=ADMIN, batch_size=1000, progress=stop)
    record = session.scalar(sa.select(Import))
    assert (record.status, record.error, record.rows, record.runner) == (
        "failed", "interrupted (Ctrl-C) after line 1,001: the rows up to it are imported. Import the file again to "
        "finish: contacts already in are matched, not duplicated", 1000, None)


def test_a_batch_that_fails_fails_the_import_with_its_error_cut_to_2000_characters(db, session, tmp_path,
                                                                                  monkeypatch):
    import tools.imports.importer

    def broken(*args, **kwargs):
        raise ValueError("v" * 3000)

    monkeypatch.setattr(tools.imports.importer, "apply_batch", broken)
    with pytest.raises(ValueError):
        run_import(_csv(tmp_path / "v.csv", "Email\nv@x.com\n"), actor=ADMIN)
    record = session.scalar(sa.select(Import))
    assert (record.status, record.error, record.runner) == ("failed", "ValueError: " + "v" * 1988, None)


def test_ctrl_c_in_the_first_batch_says_no_line_is_in(db, session, tmp_path, monkeypatch):
    """Ctrl-C while the first batch is being written (here: in its database work): the import fails at line 0."""
    import tools.imports.importer

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tools.imports.importer, "apply_batch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_import(_csv(tmp_path / "z.csv", "Email\nz@x.com\n"), actor=ADMIN)
    record = session.scalar(sa.select(Import))
    assert (record.status, record.error, record.rows) == (
        "failed", "interrupted (Ctrl-C) after line 0: the rows up to it are imported. Import the file again to "
        "finish: contacts already in are matched, not duplicated", 0)


def test_the_preview_applies_the_mapping_changes(db, tmp_path):
    path = _csv(tmp_path / "m.csv", "Email,Firm,Notes\nm@x.com,Acme,hi\n")
    preview = inspect_csv(path, {"Firm": "company", "Notes": "attributes.remark"})
    assert (preview.mapping, preview.sample_rows, preview.encoding, preview.delimiter, preview.size_bytes) == (
        {"Email": "email", "Firm": "company", "Notes": "attributes.remark"},
        [{"Email": "m@x.com", "Firm": "Acme", "Notes": "hi"}], "UTF-8", ",", 33)


def test_the_preview_of_a_file_without_an_address_column_says_how_to_map_one(db, tmp_path):
    preview = inspect_csv(_csv(tmp_path / "n.csv", "Name,City\nAnn,Austin\n"))
    assert preview.warnings == ["no email or phone column found: map one (e.g. --map 'Col=email'), or every row is "
                                "rejected"]


def test_the_preview_pads_a_short_row_with_empty_cells(db, tmp_path):
    preview = inspect_csv(_csv(tmp_path / "s.csv", "Email,Name,City\ns@x.com\n"))
    assert preview.sample_rows == [{"Email": "s@x.com", "Name": "", "City": ""}]
    assert preview.warnings == ["line 2 has 1 cells, the header has 3"]


def test_worker_processes_hold_at_most_one_batch_each(db, session, tmp_path, monkeypatch):
    """With two worker processes the reader waits for a result before sending a third batch: never more than two
    batches in flight, seen from every progress report (the pool of one import at a time is the shared one)."""
    import os

    import tools.imports.importer
    import tools.imports.worker

    monkeypatch.setattr(tools.imports.importer, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    path = _csv(tmp_path / "w.csv", "Email\n" + "".join(f"w{i}@x.com\n" for i in range(12)))
    in_flight = []
    result = run_import(path, actor=ADMIN, batch_size=1,
                        progress=lambda p: in_flight.append(tools.imports.worker._shared[0].in_flight))
    assert len(in_flight) == 12
    assert max(in_flight) <= 2
    assert (result.rows, result.created) == (12, 12)
    assert session.scalars(sa.select(Contact.email).order_by(Contact.id)).all() == [f"w{i}@x.com" for i in range(12)]
