"""CSV exports that a spreadsheet cannot turn into formulas (CSV injection, OWASP), while plain numbers stay plain."""

from __future__ import annotations

import re
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A signed number and nothing else ("+15125550100", "-12.50"): a spreadsheet reads it as a number, never as a
# formula, and a phone number in E.164 must survive the round trip into other tools unquoted.
_PLAIN_NUMBER = re.compile(r"[+-][0-9]+(?:\.[0-9]+)?")


def safe_cell(value: Any) -> str:
    """The cell as text; a leading = + - @ tab or CR is neutralised with a leading apostrophe, unless the whole
    cell is a plain signed number (digits with at most one decimal point: `+15125550100`, `-3.5`)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(values: list[Any]) -> list[str]:
    return [safe_cell(v) for v in values]
