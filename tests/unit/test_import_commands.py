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


def test_typed_changes_read_whole_answers():
    from domain.import_commands import CardAnswer
    from domain.import_consent import TARGETS as CONSENT_TARGETS

    columns = [*COLUMNS, "#"]
    cases = {
        "MAP Société TO Company": {"Société": "company"},
        "map Société to company AND SKIP Notes internes": {"Société": "company", "Notes internes": "ignore"},
        "map Société to ignore.; skip Nom!": {"Société": "ignore", "Nom": "ignore"},
        "map Société to attribute X": {"Société": "attributes.x"},
        "map Société to attribute remarks": {"Société": "attributes.remarks"},
        "keep # as an attribute": {"#": "attributes.column_7"},
        "map # to attribute": {"#": "attributes.column_7"},
        "map Prénom to skip; map Nom to nothing; map Courriel to none; map Société to IGNORE": {
            "Prénom": "ignore", "Nom": "ignore", "Courriel": "ignore", "Société": "ignore"},
        "map Société to address": {"Société": "attributes.address"},  # a header synonym that is an attribute
        "map Notes internes to DNC": {"Notes internes": "optout.sms"},  # a consent header, as a target
        "map Raison sociale to GDPR consent": {"Raison sociale": "consent.all"},
    }
    for text, changes in cases.items():
        assert read_answer(text, columns, TARGETS) == CardAnswer("change", changes), text
    assert read_answer("map Notes internes to consent.all", columns, TARGETS + CONSENT_TARGETS) == CardAnswer(
        "change", {"Notes internes": "consent.all"})  # a target named as the card shows it


def test_what_cannot_be_done_is_said_in_words():
    from domain.import_commands import CardAnswer

    columns = [*COLUMNS, "#"]
    listed = "Prénom, Nom, Courriel, Société, Notes internes, Raison sociale, #"
    assert read_answer("map Foo to company", columns, TARGETS) == CardAnswer(
        "error", errors=[f"there is no column 'Foo' in the file (columns: {listed})"])
    assert read_answer("skip ¿", columns, TARGETS) == CardAnswer(  # no letters: no column, not "#"
        "error", errors=[f"there is no column '¿' in the file (columns: {listed})"])
    assert read_answer("map Société to wizard", columns, TARGETS) == CardAnswer(
        "error", errors=[f"'wizard' is not a contact field: use one of {', '.join(TARGETS)}, ignore, or an attribute"])
    assert read_answer("map Société to company; hello there", columns, TARGETS) == CardAnswer(
        "error", {"Société": "company"}, ["I did not understand 'hello there'"])
