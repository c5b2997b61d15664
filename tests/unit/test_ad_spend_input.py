"""The spend a marketer types for an ad's day: dollars with or without '$', whole micro-dollars as the tool's
contract says, and a clear error for anything else (it was a bare ValueError from int())."""

from __future__ import annotations

import pytest

from agent.tools.ads import _spend


@pytest.mark.parametrize(("typed", "read"), [("$120.50", "$120.50"), ("120.50", "$120.50"), (" 1,200.5 ", "$1200.5"),
                                             ("120500000", 120_500_000)])
def test_spend_is_read_as_the_marketer_means_it(typed, read):
    assert _spend(typed) == read


@pytest.mark.parametrize("typed", ["about 100", "12.345", "", "-5", "1e6"])
def test_anything_else_is_refused_with_what_to_write(typed):
    with pytest.raises(ValueError, match=r"write dollars like \$120.50"):
        _spend(typed)
