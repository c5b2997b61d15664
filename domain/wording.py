"""Counts in words people read: "1 contact", "2 contacts", "1 reply", "3 replies", never "contact(s)". Pure."""

from __future__ import annotations


def noun(n: int, one: str, many: str | None = None) -> str:
    """The noun for `n` things: `one` for exactly 1, else `many` (default: `one` + "s")."""
    return one if n == 1 else (many or one + "s")


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 booking', '2 bookings' ('1 reply', '2 replies' with many="replies")."""
    return f"{n} {noun(n, one, many)}"
