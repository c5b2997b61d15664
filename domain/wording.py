"""Counts in words people read: "1 contact", "2 contacts", "1 reply", "3 replies", never "contact(s)". Pure."""

from __future__ import annotations


def noun(n: int, one: str, many: str | None = None) -> str:
    """The noun for `n` things: `one` for exactly 1, else `many` (default: `one` + "s")."""
    return one if n == 1 else (many or one + "s")


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 booking', '2 bookings' ('1 reply', '2 replies' with many="replies")."""
    return f"{n} {noun(n, one, many)}"


def money(micros: int | None, missing: str = "n/a") -> str:
    """Micro-dollars as dollars for people, rounded half up to the cent: 1_234_567 -> '$1.23', -1_235_000 ->
    '-$1.24', -4_999 -> '$0.00' (no negative zero); None -> `missing` (a figure nobody knows is not $0)."""
    if micros is None:
        return missing
    cents = (int(abs(micros)) + 5_000) // 10_000
    sign = "-" if micros < 0 and cents else ""
    return f"{sign}${cents // 100:,}.{cents % 100:02d}"
