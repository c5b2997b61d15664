"""CSV files people really have, imported into the real database: encodings, delimiters, quoting, ragged rows,
and every kind of bad file (clear message, nothing lost, valid rows still imported)."""

import zipfile

import pytest
import sqlalchemy as sa

from db.models import Contact, Import, ImportError_
from domain.roles import PermissionDenied, Role
from tools.imports.csv_files import ImportFileError
from tools.imports.importer import inspect_csv, run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
HEADER = ["Email", "First Name", "Last Name", "City"]
ROWS = [["zoë@example.com", "Zoë", "Müller", "Zürich"], ["jose@example.com", "José", "García", "São Paulo"],
        ["ana@example.com", "Ana", "O'Brien", "Köln"]]


def _write(path, encoding, delimiter, rows=ROWS, header=HEADER, bom=b""):
    text = "\r\n".join(delimiter.join(r) for r in [header, *rows]) + "\r\n"
    path.write_bytes(bom + text.encode(encoding))
    return path


def _names(session):
    return sorted(session.scalars(sa.select(Contact.first_name + " " + Contact.last_name + " / " + Contact.city)))


@pytest.mark.parametrize(("encoding", "bom", "delimiter", "label"), [
    ("utf-8", b"", ",", "UTF-8"),
    ("utf-8", b"\xef\xbb\xbf", ";", "UTF-8 with BOM"),
    ("utf-16-le", b"\xff\xfe", "\t", "UTF-16"),
    ("utf-16-be", b"\xfe\xff", "|", "UTF-16"),
    ("cp1252", b"", ";", "Windows-1252 / Latin-1"),
    ("latin-1", b"", "\t", "Windows-1252 / Latin-1"),
])
def test_each_encoding_and_delimiter_imports_the_same_contacts(db, session, tmp_path, encoding, bom, delimiter, label):
    rows = ROWS if encoding != "utf-16-be" else [[c.replace("zoë", "zoe") for c in r] for r in ROWS]
    path = _write(tmp_path / "c.csv", encoding, delimiter, rows, bom=bom)
    preview = inspect_csv(path)
    assert (preview.encoding, preview.delimiter) == (label, delimiter)
    assert preview.mapping == {"Email": "email", "First Name": "first_name", "Last Name": "last_name", "City": "city"}
    result = run_import(path, actor=ADMIN)
    assert (result.rows, result.created, result.rejected) == (3, 3, 0)
    assert _names(session) == ["Ana O'Brien / Köln", "José García / São Paulo", "Zoë Müller / Zürich"]


def test_quoted_fields_with_commas_and_newlines_and_line_numbers(db, session, tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('Email,Notes,Phone\n"a@x.com","one, two\nthree lines\nhere",\nbroken,,12\n"b@x.com","say ""hi""",\n',
                    encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert (result.rows, result.created, result.rejected) == (3, 2, 1)
    notes = session.scalar(sa.select(Contact.attributes).where(Contact.email == "a@x.com"))
    assert notes == {"notes": "one, two\nthree lines\nhere"}
    rejected = [e for e in result.errors if e.rejected]
    assert [(e.line, e.reason) for e in rejected] == [
        (5, "no usable address: invalid email 'broken': An email address must have an @-sign.; "
            "invalid phone '12': not a valid number")]


def test_ragged_rows_are_reported_not_fatal(db, session, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("email,name\na@x.com,Ann,extra,cells\nb@x.com\nc@x.com,Cy\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN)
    assert result.created == 3 and result.rejected == 0
    assert [(e.line, e.reason) for e in result.errors] == [
        (2, "row has 4 cells, the header has 2: extra cells ignored"),
        (3, "row has 1 cells, the header has 2: missing cells read as empty")]


def test_empty_file_header_only_and_blank_lines(db, session, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"\r\n  \n")
    with pytest.raises(ImportFileError, match="the file is empty"):
        inspect_csv(empty)
    header = tmp_path / "header.csv"
    header.write_text("Email,Name\n\n", encoding="utf-8")
    assert "the file has a header but no data rows" in inspect_csv(header).warnings
    result = run_import(header, actor=ADMIN)
    assert result.rows == 0 and "no data rows: nothing was imported" in result.warnings
    assert session.scalar(sa.select(Import.status)) == "done"


def test_zip_xlsx_and_binary_files_are_refused_clearly(db, tmp_path):
    book = tmp_path / "book.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ImportFileError, match=r"zip archive \(an .xlsx"):
        inspect_csv(book)
    blob = tmp_path / "blob.csv"
    blob.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ImportFileError, match="binary file"):
        run_import(blob, actor=ADMIN)


@pytest.mark.parametrize(("encoding", "text"), [
    ("koi8-r", "email,имя,город\na@x.com,Александр Пушкин,Москва\nb@x.com,Фёдор Достоевский,Санкт-Петербург\n"
               "c@x.com,Лев Толстой,Ясная Поляна\n"),
    ("shift_jis", "email,名前\na@x.com,山田太郎\nb@x.com,佐藤花子\nc@x.com,鈴木一郎\n"),
    ("gb18030", "email,姓名\na@x.com,张伟\nb@x.com,王芳\nc@x.com,李娜\n"),
])
def test_an_unknown_encoding_is_refused_not_guessed(db, session, tmp_path, encoding, text):
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ImportFileError, match="cannot tell the file's encoding|not CSV text"):
        run_import(path, actor=ADMIN)
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_a_broken_utf16_file_is_refused(db, tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(b"\xff\xfe" + "email\na@x.com\n".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate at the end
    with pytest.raises(ImportFileError, match="is not valid UTF-16"):
        inspect_csv(path)


def test_a_10mb_field_is_dropped_and_the_other_rows_import(db, session, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("email,notes\na@x.com,short\n")
        handle.write('b@x.com,"' + "x" * 10_000_000 + '"\nc@x.com,fine\n')
    result = run_import(path, actor=ADMIN)
    assert (result.rows, result.created, result.rejected) == (3, 3, 0)
    [issue] = result.errors
    assert (issue.line, issue.column) == (3, "notes") and "value too long (10,000,000 characters" in issue.reason


def test_no_email_or_phone_column_rejects_every_row_with_the_reason(db, session, tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("Name,City\nAnn,Austin\nBob,Berlin\n", encoding="utf-8")
    assert any("no email or phone column" in w for w in inspect_csv(path).warnings)
    result = run_import(path, actor=ADMIN)
    assert (result.rows, result.created, result.rejected) == (2, 0, 2)
    assert result.errors[0].reason == "no usable address: no email and no phone"
    assert any("no email or phone" in w for w in result.warnings)
    mapped = run_import(path, actor=ADMIN, mapping={"City": "ignore", "Name": "email"})
    assert mapped.rejected == 2 and "invalid email 'Ann'" in mapped.errors[0].reason


def test_reviewers_cannot_import(db, tmp_path):
    path = _write(tmp_path / "c.csv", "utf-8", ",")
    with pytest.raises(PermissionDenied, match="contacts:write"):
        run_import(path, actor=Actor("r@example.com", Role.REVIEWER))


def test_batches_commit_one_by_one_and_report_progress(db, session, tmp_path):
    rows = [[f"p{i}@x.com", "P", str(i), "Austin"] for i in range(10)]
    path = _write(tmp_path / "c.csv", "utf-8", ",", rows)
    seen = []
    result = run_import(path, actor=ADMIN, batch_size=4, progress=seen.append)
    assert result.created == 10
    assert [p.rows for p in seen] == [4, 8, 10] and seen[-1].fraction == 1.0 and str(seen[-1]) == "10"
    record = session.get(Import, result.import_id)
    assert (record.status, record.rows, record.created, record.encoding, record.delimiter) == (
        "done", 10, 10, "UTF-8", ",")
    assert session.scalar(sa.select(sa.func.count()).select_from(ImportError_)) == 0


def test_worker_processes_give_the_same_result_in_file_order(db, session, tmp_path, monkeypatch):
    import tools.imports.importer

    rows = [[f"p{i % 7}@x.com" if i % 5 else "bad", "P", str(i), "Austin"] for i in range(23)]
    path = _write(tmp_path / "c.csv", "utf-8", ",", rows)
    inline = run_import(path, actor=ADMIN, batch_size=4)
    session.execute(sa.delete(Contact))
    session.commit()
    monkeypatch.setattr(tools.imports.importer, "PARALLEL_FROM_BYTES", 0)
    seen = []
    pooled = run_import(path, actor=ADMIN, batch_size=4, progress=seen.append)
    fields = ("rows", "created", "updated", "unchanged", "duplicates", "rejected", "errors")
    assert [getattr(pooled, f) for f in fields] == [getattr(inline, f) for f in fields]
    assert (pooled.created, pooled.duplicates, pooled.rejected) == (7, 11, 5)
    assert [p.rows for p in seen] == [4, 8, 12, 16, 20, 23]


def test_a_file_mixing_utf8_and_windows_1252_is_refused_with_the_line(db, session, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("email,name\na@x.com,José\nb@x.com,Zoë\n".encode() + "c@x.com,Müller\n".encode("cp1252"))
    with pytest.raises(ImportFileError, match="mixes encodings: it is mostly UTF-8, but line 4 is not"):
        run_import(path, actor=ADMIN)
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_imports_in_a_row_reuse_the_worker_processes_and_a_broken_pool_is_replaced(db, session, tmp_path,
                                                                                    monkeypatch):
    import tools.imports.importer
    from tools.imports import worker as import_worker

    monkeypatch.setattr(tools.imports.importer, "PARALLEL_FROM_BYTES", 0)
    paths = [_write(tmp_path / f"{n}.csv", "utf-8", ",", [[f"{n}{i}@x.com", "P", str(i), "Austin"] for i in range(9)])
             for n in "abcd"]
    assert run_import(paths[0], actor=ADMIN, batch_size=4).created == 9
    first = [p.pid for p in import_worker._shared[0].procs]
    assert run_import(paths[1], actor=ADMIN, batch_size=4).created == 9
    assert [p.pid for p in import_worker._shared[0].procs] == first  # started once, reused
    with import_worker.worker_pool(2) as busy:  # another import holds the shared pool: this one gets its own
        assert run_import(paths[2], actor=ADMIN, batch_size=4).created == 9
        assert busy is import_worker._shared[0]
    import_worker._shared[0].procs[0].kill()
    import_worker._shared[0].procs[0].wait()
    assert run_import(paths[3], actor=ADMIN, batch_size=4).created == 9  # a dead worker: a fresh pool
    assert [p.pid for p in import_worker._shared[0].procs] != first
