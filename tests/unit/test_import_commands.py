"""Messages typed while the mapping card waits: start, cancel, or change the mapping."""

from domain.import_commands import read_answer
from domain.imports import TARGETS

COLUMNS = ["Prénom", "Nom", "Courriel", "Société", "Notes internes", "Raison sociale"]


def _read(text):
    return read_answer(text, COLUMNS, TARGETS)


def test_yes_and_cancel():
    assert _read("Yes!").kind == "go" and _read("import").kind == "go" and _read("oui").kind == "go"
    assert _read("cancel").kind == "cancel" and _read("No.").kind == "cancel"


def test_map_skip_and_keep_change_the_mapping():
    assert _read("map Société to company").changes == {"Société": "company"}
    assert _read("map societe to Company").changes == {"Société": "company"}
    assert _read("map 'Raison sociale' to the company field").changes == {"Raison sociale": "company"}
    assert _read("Nom -> last name").changes == {"Nom": "last_name"}
    assert _read("map Nom to full name").changes == {"Nom": "name"}
    assert _read("map Courriel to e-mail").changes == {"Courriel": "email"}
    assert _read("skip column Notes internes").changes == {"Notes internes": "ignore"}
    assert _read("ignore the Raison sociale column").changes == {"Raison sociale": "ignore"}
    assert _read("keep Société as an attribute").changes == {"Société": "attributes.societe"}
    assert _read("keep Notes internes as attribute remarks").changes == {"Notes internes": "attributes.remarks"}
    assert _read("map Société to attribute").changes == {"Société": "attributes.societe"}
    both = _read("map Raison sociale to company; skip Société")
    assert both.kind == "change" and both.changes == {"Raison sociale": "company", "Société": "ignore"}
    assert _read("map Raison sociale to company and skip Société").changes == {"Raison sociale": "company",
                                                                               "Société": "ignore"}


def test_mistakes_are_said_and_change_nothing():
    wrong = _read("map Shoe to company")
    assert wrong.kind == "error" and "no column 'Shoe'" in wrong.errors[0] and "Société" in wrong.errors[0]
    unknown = _read("map Société to shoe size")
    assert unknown.kind == "error" and "'shoe size' is not a contact field" in unknown.errors[0]
    assert unknown.changes == {}


def test_other_messages_are_not_about_the_card():
    for text in ("how many contacts", "show contacts in Austin", "note: call me", "launch campaign 3", ""):
        assert _read(text).kind == "other", text
