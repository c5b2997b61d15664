"""domain/channels: one rule per channel answers every "which address / opted out / quiet hours" question."""

from types import SimpleNamespace

import pytest

from domain import channels
from domain.audience import address_key


def contact(**kw):
    base = {"email": "Ann@Example.com", "phone": "+15145550100", "opted_out_email": False, "opted_out_sms": True}
    return SimpleNamespace(**(base | kw))


def test_address_and_opt_out_follow_the_channel_rule():
    c = contact()
    assert channels.address_of("email", c) == "Ann@Example.com"
    assert channels.address_of("sms", c) == "+15145550100"
    assert channels.opted_out("sms", c) is True
    assert channels.opted_out("email", c) is False


def test_address_key_folds_case_only_where_the_channel_says():
    assert address_key("email", " Ann@Example.com ") == "ann@example.com"
    assert address_key("sms", " +15145550100 ") == "+15145550100"
    assert address_key("sms", None) is None


def test_usable_is_the_cheap_syntactic_check():
    assert channels.usable("email", "a@b.co") and not channels.usable("email", "a@b")
    assert channels.usable("sms", "+15145550100") and not channels.usable("sms", "5145550100")


def test_normalise_by_channel():
    assert channels.rule("sms").normalise("(514) 555-0100", "CA").value == "+15145550100"
    assert channels.rule("email").normalise(" Ann@Example.COM ", "US").value == "ann@example.com"


def test_quiet_hours_always_for_sms_and_for_email_only_with_the_local_window():
    assert channels.quiet_hours_apply("sms", False)
    assert not channels.quiet_hours_apply("email", False)
    assert channels.quiet_hours_apply("email", True)


def test_an_unknown_channel_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown channel 'fax': use sms or email"):
        channels.rule("fax")


def test_a_channel_without_its_own_column_is_never_opted_out_by_flag():
    channels.RULES["pigeon"] = channels.ChannelRule("pigeon", "phone", channels.RULES["sms"].normalise,
                                                    channels.RULES["sms"].valid, "loft")
    try:
        assert channels.opted_out("pigeon", contact(opted_out_sms=True)) is False
        assert channels.address_of("pigeon", contact()) == "+15145550100"
    finally:
        del channels.RULES["pigeon"]
