"""Accent- and case-insensitive text: "José Martínez" and "jose martinez", "Montréal" and "MONTREAL" fold to the
same text. Pure.

`fold(text)` lower-cases and maps each accented Latin letter to its plain letter, one character for one (so the
same mapping can be written in SQL with `translate()`: see db/filters.py `folded()`). FOLD_FROM / FOLD_TO are that
mapping, upper- and lower-case letters both (SQLite's and PostgreSQL's C-locale lower() leave non-ASCII alone)."""

from __future__ import annotations

import unicodedata

_EXTRA = {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i", "ħ": "h", "Ħ": "h"}


def _build() -> tuple[str, str]:
    src, dst = [], []
    for code in list(range(0xC0, 0x250)):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        if ch in _EXTRA:
            base = _EXTRA[ch]
        if len(base) == 1 and base.isascii() and base.isalpha() and base != ch:
            src.append(ch)
            dst.append(base)
    return "".join(src), "".join(dst)


FOLD_FROM, FOLD_TO = _build()
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str | None) -> str:
    """`text` lower-cased with accents removed (one character for one); None -> ""."""
    if not text:
        return ""
    return text.lower().translate(_TABLE)


def sql_fold(text: str | None) -> str | None:
    """The same fold, for a SQL function (None stays None)."""
    return None if text is None else text.lower().translate(_TABLE)


# Contact fields that filters compare folded through a stored copy (db.models.contacts: <field>_folded, indexed):
# field -> its folded column. The import's workers fold them too (tools.imports.wire), so this stays pure.
FOLDED_FIELDS = {"city": "city_folded", "region": "region_folded", "company": "company_folded"}


def fold_key(value: object) -> str | None:
    """A value as filters compare it: folded, runs of spaces made one and the ends trimmed; None stays None."""
    return None if value is None else fold(" ".join(str(value).split()))
