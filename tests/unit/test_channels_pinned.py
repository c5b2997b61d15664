"""Channel rules pinned where the mutation run (docs/testing.md) found them unpinned: the channels listed, a light row
without the address or opt-out field, and case kept in the addresses of a channel that does not fold it."""

import re
from types import SimpleNamespace

import pytest

from domain import channels
from domain.audience import address_key


def test_the_channels_known_in_their_order():
    assert channels.names() == ("sms", "email")


def test_a_row_without_the_field_has_no_address_and_no_opt_out_flag():
    bare = SimpleNamespace(id=1)
    assert channels.address_of("email", bare) is None
    assert channels.address_of("sms", bare) is None
    assert channels.opted_out("sms", bare) is False
    assert channels.opted_out("email", bare) is False


@pytest.fixture
def handle_channel():
    """A channel whose addresses are case-sensitive handles (no fold_case), as a new channel would add one."""
    channels.RULES["handle"] = channels.ChannelRule(
        "handle", "handle", lambda raw, region: channels.RULES["email"].normalise(raw, region),
        re.compile(r"^@\w+$"), "handle")
    yield
    del channels.RULES["handle"]


def test_a_channel_that_does_not_fold_case_keeps_it_in_the_address_key(handle_channel):
    assert address_key("handle", " @AnnSmith ") == "@AnnSmith"
    assert address_key("email", " @AnnSmith ") == "@annsmith"
    assert channels.usable("handle", "@AnnSmith") is True
    assert channels.usable("handle", "") is False
    with pytest.raises(ValueError) as error:
        channels.rule("fax")
    assert str(error.value) == "unknown channel 'fax': use sms or email or handle"
