"""CSV import into the real database, property-based (hypothesis): whatever the bytes, inspect_csv and run_import
import or refuse with an ImportFileError, and the accounting always adds up:
rows == created + updated + unchanged + duplicates + rejected, as returned, as stored on the import, and as
contacts and rejected-row reports in the database. Each example starts from empty tables."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from db.models import Contact, Import, ImportError_
from db.session import unit_of_work
from tests.conftest import clean_tables
from tools.imports.csv_files import DELIMITERS
from tools.imports.importer import ImportFileError, ImportRequestError, import_rows, inspect_csv, run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
HEADERS = ["Email", "Phone", "Name", "First Name", "Country", "Tags", "Website", "Company", "Notes", "E-mail", ""]
EMAILS = ["jane@acme.com", "JANE@acme.com", "bob@example.org", "ana@x.io", "not-an-email", "", "a@b", "zoë@exämple.de"]
PHONES = ["+1 512 555 0100", "(512) 555-0101", "+44 20 7183 8750", "555", "", "+1 512 555 0100 x12"]
OTHER = ["Jane Doe", "O'Brien, Ana", "US", "Germany", "Atlantis", "vip; lead", "acme.com", "http://[oops", "'=1+1",
         "<b>x</b>", "x" * 2100, "a\x00b", "\u202e", "Ignore previous instructions", " ", "é€中😀",
         "a" * 300 + ".com", "acme.com/" + "p" * 491, "+1 512 555 0100 ext. 123456"]
CELL = st.one_of(st.sampled_from(EMAILS + PHONES + OTHER), st.text(st.sampled_from("ab@.,;|\t\"'\r\n é"), max_size=8))


@st.composite
def csv_files(draw):
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=6))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=len(header) + 1), max_size=12))
    delimiter = draw(st.sampled_from(DELIMITERS))
    out = io.StringIO()
    if draw(st.booleans()):
        csv.writer(out, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\r\n", "\n"]))).writerows(
            [header, *rows])
    else:  # no quoting at all: stray quotes and embedded delimiters as they come
        out.write("\n".join(delimiter.join(r) for r in [header, *rows]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    data = out.getvalue().encode(encoding, errors="replace")
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        data = data[:draw(st.integers(min_value=0, max_value=len(data)))]
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        data += draw(st.binary(max_size=6))
    return data


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="prop-", suffix=".csv", delete=False)
    with handle:
        handle.write(data)
    return Path(handle.name)


def _check_accounting(result):
    assert result.rows == (result.created + result.updated + result.unchanged + result.duplicates
                           + result.rejected), result
    with unit_of_work() as uow:
        s = uow.session
        stored = s.get(Import, result.import_id)
        assert stored.status == "done"
        assert (stored.rows, stored.created, stored.updated, stored.unchanged, stored.duplicates, stored.rejected) \
            == (result.rows, result.created, result.updated, result.unchanged, result.duplicates, result.rejected)
        rejected = s.scalar(sa.select(sa.func.count()).select_from(ImportError_).where(
            ImportError_.import_id == result.import_id, ImportError_.rejected.is_(True)))
        assert rejected == result.rejected
        return s.scalar(sa.select(sa.func.count()).select_from(Contact))


@SLOW
@given(csv_files(), st.sampled_from(["fill", "overwrite", "skip"]), st.sampled_from([2, 5, 5000]))
@example(b"Email,Website\njane@acme.com,http://[oops\nbob@acme.com,acme.com\n", "fill", 5000)  # one bad cell
@example(b"Email,Name\rjane@acme.com,Jane\rbob@acme.com,Bob\r", "fill", 5000)  # old-Mac line ends
@example(b"City (3),City,City,Email\nA,B,C,jane@acme.com\n", "fill", 5000)  # a header named like a renamed one
@example("Email,Name\njane@acme.com,Ja\x00ne\n".encode("utf-16"), "fill", 5000)  # NUL inside a UTF-16 cell
@example(b'Email,"Notes\n' + b"n" * 300 + b'"\njane@acme.com,' + b"x" * 2001 + b"\n", "fill", 5000)  # a long
# header named in the report of a cell too long for it
@example(b"Email,Website\njane@acme.com," + b"a" * 300 + b".com\nbob@acme.com,acme.com/" + b"p" * 491 + b"\n",
         "fill", 5000)  # a host longer than DNS allows; a URL longer than the column once https:// is added
@example(b"Email,Phone\njane@acme.com,+1 512 555 0100\n,+1 512 555 0100\nbob@acme.com,+1 512 555 0100\n"
         b"JANE@acme.com,\n", "overwrite", 2)
def test_any_file_imports_or_is_refused_and_the_rows_add_up(db, data, policy, batch_size):
    clean_tables()
    path = _write(data)
    try:
        try:
            preview = inspect_csv(path)
        except ImportFileError as exc:
            assert len(str(exc)) > 10
            preview = None
        try:
            result = run_import(path, actor=ADMIN, policy=policy, batch_size=batch_size)
        except ImportFileError as exc:
            assert preview is None, f"inspect_csv accepted the file but run_import refused it: {exc}"
            return
        assert preview is not None, "run_import accepted a file that inspect_csv refused"
        contacts = _check_accounting(result)
        assert contacts == result.created  # empty tables before: every contact is a new one
        # The same file again: nothing new can appear, and the rows still add up.
        again = run_import(path, actor=ADMIN, policy=policy, batch_size=batch_size)
        assert again.rows == result.rows and again.rejected == result.rejected
        assert _check_accounting(again) == contacts + again.created
    finally:
        path.unlink()


API_KEY = st.one_of(st.sampled_from(HEADERS + ["email", "EMAIL", "No\x00tes", "x" * 300]), st.text(max_size=10))
API_VALUE = st.one_of(CELL, st.none(), st.integers(), st.floats(), st.booleans(), st.lists(CELL, max_size=3),
                      st.dictionaries(st.text(max_size=4), CELL, max_size=2))


@SLOW
@given(st.lists(st.dictionaries(API_KEY, API_VALUE, max_size=6), max_size=10), st.sampled_from(["fill", "overwrite"]))
@example([{"Email": "jane@acme.com", "No\x00tes": "x", "Name": "J\x00ane"}], "fill")  # NUL in a key and a value
@example([{"Email": "jane@acme.com", "x" * 300: "y" * 2001}], "fill")  # a long key named in the report
def test_rows_given_as_objects_import_and_add_up(db, rows, policy):
    clean_tables()
    with unit_of_work() as uow:
        try:
            result = import_rows(uow.session, ADMIN, rows, policy=policy)
        except ImportRequestError as exc:
            assert str(exc)
            return
    contacts = _check_accounting(result)
    assert contacts == result.created
