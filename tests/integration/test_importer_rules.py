"""What an import gives back (issue 24, the survivors of tools/imports/importer.py): the whole result of a file
import (counts, the first problems with their lines, status "done", warnings, the file's encoding and delimiter,
opt-outs and probable duplicates) and of an API import (no file: no encoding or delimiter)."""

import sqlalchemy as sa

from db.models import Import
from tools.imports.importer import import_rows, run_import
from tools.imports.results import ImportResult, RowError
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")
TWIN = ("probable duplicate of an earlier row in this file: same phone, other email; imported as a new contact "
        "(merge them with 'merge contact A into B' if they are one person)")


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
