"""CSV exports that a spreadsheet cannot turn into formulas (CSV injection, OWASP)."""

from __future__ import annotations

from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """The cell as text; a leading = + - @ tab or CR is neutralised with a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_TRIGGERS) else text


def safe_row(values: list[Any]) -> list[str]:
    return [safe_cell(v) for v in values]
