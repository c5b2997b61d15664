"""The phone fast path pinned where the mutation run (docs/testing.md) found it unpinned: the guard holds on the
Python and phonenumbers we run (so the fast path is on), and capturing groups, which no phonenumbers pattern uses
(Python's parser flattens `(?:...)`), are read like any other part of a pattern."""

import pytest

from domain.phone_fast import Automaton, fast_path_fits, national_number


def test_the_fast_path_is_on_here():
    assert fast_path_fits() is True
    assert national_number("(512) 456-1234", "US") == (1, "5124561234")


@pytest.mark.parametrize(("prefix", "decided"), [
    ("12", False),   # "1254" only
    ("125", False),  # "1254" only, not "1250"
    ("1254", True), ("345", True), ("3457", True), ("9", True), ("35", True), ("", False),
])
def test_a_capturing_group_is_read_like_the_rest(prefix, decided):
    automaton = Automaton(r"(12|34)(5)4|(345)\d")
    assert automaton.decided_by(prefix, 4) is decided
