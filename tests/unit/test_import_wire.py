"""The packed form of an import batch reads back exactly (tools.imports.wire)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.folding import FOLDED_FIELDS, fold_key
from domain.imports import Issue, RowOutcome
from tools.imports.wire import COPY_OPTIONS, ROW_FIELDS, copy_text, pack, unpack

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                max_size=30) | st.sampled_from(["\\N", "\\", "a\tb", "x\ny", "\r\n", "\\t", "é☃", "\\."])
_CONTACTS = st.fixed_dictionaries({}, optional={
    **{name: _TEXT for name in ROW_FIELDS if name not in ("tags", "attributes", *FOLDED_FIELDS.values())},
    "tags": st.lists(_TEXT, min_size=1, max_size=3),
    "attributes": st.dictionaries(_TEXT, _TEXT, min_size=1, max_size=3)})


@given(_CONTACTS)
def test_unpack_gives_back_the_packed_contact(contact):
    text = copy_text(contact)
    assert text.count("\t") == len(ROW_FIELDS) - 1 and "\n" not in text and "\r" not in text
    assert unpack(text) == contact


def test_the_folded_copies_are_written_next_to_their_fields():
    contact = {"city": "  Montréal ", "company": "Café\tNoir", "region": "QC"}
    cells = dict(zip(ROW_FIELDS, copy_text(contact).split("\t"), strict=True))
    assert cells["city_folded"] == "montreal" and cells["region_folded"] == "qc"
    assert cells["company_folded"] == fold_key("Café\tNoir").replace("\t", "\\t") == "cafe noir"
    assert copy_text({"email": "a@x.com"}).split("\t")[len(ROW_FIELDS) - 5:-2] == ["", "", ""]


def test_absent_fields_are_empty_copy_fields_and_tags_attributes_default_to_empty_json():
    cells = copy_text({"email": "a@x.com", "phone_ext": None}).split("\t")
    assert cells[0] == "a@x.com" and cells[1:-2] == [""] * (len(ROW_FIELDS) - 3) and cells[-2:] == ["[]", "{}"]
    assert "NULL ''" in COPY_OPTIONS  # how COPY reads those empty fields


def test_pack_keeps_rows_and_turns_problems_into_error_rows():
    outcomes = [(2, RowOutcome({"email": "a@x.com", "phone": "+15125550100"}, [Issue("Web", "invalid website", "x")])),
                (3, RowOutcome({}, [Issue("Email", "invalid email", "nope")], "no usable address: invalid email"))]
    packed = pack(outcomes)
    assert (packed.read, packed.rejected) == (2, 1)
    assert [(line, email, phone) for line, email, phone, _ in packed.rows] == [(2, "a@x.com", "+15125550100")]
    assert packed.errors == [(2, "Web", "invalid website", "x", False), (3, "Email", "invalid email", "nope", False),
                             (3, None, "no usable address: invalid email", None, True)]
