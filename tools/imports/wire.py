"""The compact form of a normalised import batch: what a normalisation worker sends back, and what COPY writes.

A kept row travels as (line, email, phone, text) where `text` is the contact's fields (domain.imports.ROW_FIELDS)
in PostgreSQL's COPY text format, escaped and tab-separated: the importing process appends the columns it
knows (source, times, import id) and hands it to COPY as is, instead of unpickling a dict, converting each
value and escaping it again. The rows it must look into (an existing contact to merge, a suppressed address,
SQLite) are read back with `unpack`, which gives exactly the contact dict that was packed.
Problems travel as import_errors rows without their import id: (line, column, reason, value, rejected)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from domain.folding import FOLDED_FIELDS, fold_key
from domain.imports import SCALARS, RowOutcome

# the folded copies (contacts.<field>_folded) travel with the row: the workers fold, COPY writes them
ROW_FIELDS = (*SCALARS, *FOLDED_FIELDS.values(), "tags", "attributes")
_SLOT = {name: i for i, name in enumerate(SCALARS)}
_FOLDED_SLOTS = tuple(_SLOT[name] for name in FOLDED_FIELDS)
_UNESCAPE = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
_ESCAPED = re.compile(r"\\(.)")
COPY_OPTIONS = "(FORMAT text, NULL '')"  # an empty field is NULL: a normalised contact never holds ""

Row = tuple[int, str | None, str | None, str]  # line, email, phone, COPY text of ROW_FIELDS
ErrorRow = tuple[int, str | None, str, str | None, bool]  # line, column, reason, value, rejected
OptOut = tuple[int, str | None, str | None, tuple[tuple[str, str], ...]]  # line, email, phone, ((channel, why), ...)


@dataclass
class Packed:
    """One batch after normalisation: kept rows, problems, and how many rows were read and rejected."""

    rows: list[Row] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)
    read: int = 0
    rejected: int = 0
    optouts: list[OptOut] = field(default_factory=list)  # rows whose consent columns opt them out


def pack(outcomes: list[tuple[int, RowOutcome]]) -> Packed:
    """RowOutcomes -> the compact form (column names and reasons cut to the import_errors sizes)."""
    packed = Packed(read=len(outcomes))
    for line, outcome in outcomes:
        for issue in outcome.issues:
            packed.errors.append((line, issue.column and issue.column[:200], issue.reason[:500], issue.value, False))
        if outcome.rejected:
            packed.rejected += 1
            packed.errors.append((line, None, outcome.rejected[:500], None, True))
            continue
        contact = outcome.contact
        optout = contact.pop("optout", None)
        if optout:
            packed.optouts.append((line, contact.get("email"), contact.get("phone"), tuple(sorted(optout.items()))))
        packed.rows.append((line, contact.get("email"), contact.get("phone"), copy_text(contact)))
    return packed


def copy_text_value(value: str) -> str:
    """Text escaped for COPY's text format (replace, not str.translate: translate is slow on non-ASCII text)."""
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    return value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_text(contact: dict[str, Any]) -> str:
    """ROW_FIELDS of a contact in COPY text format with NULL as the empty field (the folded copies of FOLDED's
    columns computed here, tags and attributes as JSON, [] and {} when absent). The values are joined with NUL, which no value holds (cells lose their NULs on
    reading and JSON escapes control characters), and escaped in one go, NUL turning into the tab."""
    cells = [""] * len(SCALARS)
    for name, value in contact.items():
        slot = _SLOT.get(name)
        if slot is not None and value:
            cells[slot] = value
    cells.extend([_fold_cell(cells[slot]) if cells[slot] else "" for slot in _FOLDED_SLOTS])
    tags, attributes = contact.get("tags"), contact.get("attributes")
    cells.append(_tags_json(tuple(tags)) if tags else "[]")
    cells.append(_JSON(attributes) if attributes else "{}")
    return copy_text_value("\x00".join(cells)).replace("\x00", "\t")


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # json.dumps without its per-call set-up


_fold_cell = lru_cache(maxsize=16384)(fold_key)  # cities and regions repeat down a file


@lru_cache(maxsize=4096)  # a file repeats a few tag lists
def _tags_json(tags: tuple[str, ...]) -> str:
    return _JSON(list(tags))


def unpack(text: str) -> dict[str, Any]:
    """The contact dict `copy_text` was made from (fields that were absent stay absent)."""
    cells = text.split("\t")
    contact: dict[str, Any] = {}
    for name, cell in zip(SCALARS, cells, strict=False):
        if cell:
            contact[name] = _ESCAPED.sub(_unescape, cell) if "\\" in cell else cell
    tags, attributes = (json.loads(_ESCAPED.sub(_unescape, c)) for c in cells[-2:])
    if tags:
        contact["tags"] = tags
    if attributes:
        contact["attributes"] = attributes
    return contact


def _unescape(match: re.Match[str]) -> str:
    return _UNESCAPE[match.group(1)]
