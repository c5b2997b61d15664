"""One message per address per campaign (pure): when several contacts of an audience share the address a campaign
sends to (two people records with one phone number, say), only the first of them (lowest contact id) among those
that would be messaged keeps it; the others are excluded with the reason "duplicate_address"."""

from __future__ import annotations

from collections.abc import Iterable

from domain.channels import address_key
from domain.send_rules import Decision, Outcome

DUPLICATE = "duplicate_address"
__all__ = ["DUPLICATE", "address_key", "one_per_address"]


def one_per_address(channel: str, recipients: Iterable[tuple[int, str | None]],
                    decisions: dict[int, Decision], kept: dict[str, int] | None = None) -> dict[int, int]:
    """Exclude (in `decisions`, in place) every recipient whose address a recipient before it (in contact id
    order) is already messaged at. `recipients`: (contact id, address on the campaign's channel).
    Returns {excluded contact id: the contact id that keeps the address}. `kept` (address key -> contact id)
    carries the addresses already given out from one call to the next (an audience taken in chunks)."""
    kept = {} if kept is None else kept
    dropped: dict[int, int] = {}
    for contact_id, address in sorted(recipients, key=lambda r: r[0]):
        decision = decisions.get(contact_id)
        key = address_key(channel, address)
        if decision is None or decision.outcome is Outcome.EXCLUDE or key is None:
            continue
        if key in kept:
            decisions[contact_id] = Decision(Outcome.EXCLUDE, DUPLICATE)
            dropped[contact_id] = kept[key]
        else:
            kept[key] = contact_id
    return dropped
