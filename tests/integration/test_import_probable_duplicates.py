"""The import reports probable duplicates (issue 17 item 6): a new contact with the phone of an existing contact
(or of an earlier row of the file) and another email is imported as its own contact, counted in the summary and
reported with its line, once, whatever the batch it falls in."""

import pytest
import sqlalchemy as sa

from db.models import Contact, ImportError_
from tests.factories import create_contact
from tools.imports.importer import run_import
from tools.users import Actor

ADMIN = Actor.system("importer@example.com")


@pytest.mark.parametrize("batch_size", [1, 5000])
def test_same_phone_other_email_is_reported_once_per_row(db, session, tmp_path, batch_size):
    jane = create_contact(session, email="jane@acme.com", phone="+15125550100")
    session.commit()
    path = tmp_path / "leads.csv"
    path.write_text("Email,Phone\njane.doe@gmail.com,(512) 555-0100\nx@y.com,512 555 0199\nz@y.com,512-555-0199\n"
                    "jane@acme.com,512 555 0100\nsolo@y.com,512 555 0142\n", encoding="utf-8")
    result = run_import(path, actor=ADMIN, batch_size=batch_size)
    assert (result.created, result.updated + result.unchanged, result.probable_duplicates) == (4, 1, 2), result
    rows = session.execute(sa.select(ImportError_.line, ImportError_.reason).where(
        ImportError_.import_id == result.import_id).order_by(ImportError_.line)).all()
    assert [line for line, _ in rows] == [2, 4]
    first = session.execute(sa.select(ImportError_.column, ImportError_.value, ImportError_.rejected,
                                      ImportError_.reason).where(ImportError_.import_id == result.import_id,
                                                                 ImportError_.line == 2)).one()
    assert tuple(first) == ("phone", "+15125550100", False, (
        f"probable duplicate of contact #{jane.id} (jane@acme.com): same phone, other email; imported as a new "
        "contact (merge them with 'merge contact A into B' if they are one person)"))
    assert rows[0].reason.startswith(f"probable duplicate of contact #{jane.id} (jane@acme.com): same phone, other "
                                     "email; imported as a new contact")
    earlier = "an earlier row in this file" if batch_size > 1 else "contact #"  # that row is in the database
    assert rows[1].reason.startswith(f"probable duplicate of {earlier}"), rows[1].reason
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact).where(
        Contact.phone == "+15125550100")) == 2
