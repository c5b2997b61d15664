"""One message per address pinned where the mutation run (docs/testing.md) found it unpinned: contact id order
whatever order the recipients come in, who keeps an address (the first that would be messaged, deferred included;
never one already excluded), recipients without a decision or an address, and addresses carried across chunks."""

from datetime import UTC, datetime

from domain.audience import DUPLICATE, one_per_address
from domain.send_rules import Decision, Outcome

SEND = Decision(Outcome.SEND)
LATER = Decision(Outcome.DEFER, "quiet_hours", datetime(2026, 6, 10, 13, 0, tzinfo=UTC))
OPTED_OUT = Decision(Outcome.EXCLUDE, "opted_out")
DUP = Decision(Outcome.EXCLUDE, DUPLICATE)


def test_the_lowest_contact_id_that_would_be_messaged_keeps_each_address():
    recipients = [(9, "dan@x.com"), (5, "Ann@X.com"), (11, None), (2, " ann@x.com"), (4, "bob@x.com"),
                  (1, "bob@x.com"), (7, "carl@x.com"), (6, "Carl@x.com"), (8, "dan@x.com"), (3, "eve@x.com"),
                  (10, "eve@x.com")]
    decisions = {1: OPTED_OUT, 2: LATER, 4: SEND, 5: SEND, 6: SEND, 7: SEND, 8: SEND, 9: SEND, 10: SEND, 11: SEND}
    # 3 has no decision (not in the audience's answer): it keeps nothing, so 10 keeps eve@x.com
    dropped = one_per_address("email", recipients, decisions)
    assert dropped == {5: 2, 7: 6, 9: 8}
    assert decisions == {1: OPTED_OUT, 2: LATER, 4: SEND, 5: DUP, 6: SEND, 7: DUP, 8: SEND, 9: DUP, 10: SEND,
                         11: SEND}


def test_addresses_given_out_are_carried_from_one_chunk_to_the_next():
    kept: dict[str, int] = {}
    first = {1: SEND, 2: SEND}
    assert one_per_address("sms", [(2, "+15125550100"), (1, "+15125550199")], first, kept) == {}
    assert kept == {"+15125550199": 1, "+15125550100": 2}
    second = {3: SEND, 4: SEND}
    assert one_per_address("sms", [(4, "+15125550100"), (3, "+15125550177")], second, kept) == {4: 2}
    assert second == {3: SEND, 4: DUP}
    assert kept == {"+15125550199": 1, "+15125550100": 2, "+15125550177": 3}


def test_without_a_kept_map_each_call_starts_afresh():
    decisions = {1: SEND}
    assert one_per_address("sms", [(1, "+15125550100")], decisions) == {}
    again = {2: SEND}
    assert one_per_address("sms", [(2, "+15125550100")], again) == {}
    assert again == {2: SEND}
