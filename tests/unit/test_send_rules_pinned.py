"""Send rules pinned where the mutation run (docs/testing.md) found them unpinned: which zone a contact is in when
its own zone, its phone or the account's zone is missing or unreadable."""

from zoneinfo import ZoneInfo

from domain.send_rules import zones_for


def keys(zones):
    return [z.key for z in zones]


def test_an_unreadable_phone_falls_back_to_the_account_zone():
    assert keys(zones_for(None, "not a phone", "America/Chicago")) == ["America/Chicago"]
    assert keys(zones_for("", "+", "Europe/Paris")) == ["Europe/Paris"]


def test_an_unreadable_account_zone_falls_back_to_utc():
    assert keys(zones_for(None, None, "Not/AZone")) == ["UTC"]
    assert keys(zones_for("Nowhere/Else", "not a phone", "")) == ["UTC"]


def test_the_contacts_own_zone_wins_over_its_phone():
    assert keys(zones_for("Asia/Tokyo", "+442071838750", "UTC")) == ["Asia/Tokyo"]
    assert keys(zones_for(None, "+442071838750", "UTC")) == ["Europe/London"]
    assert zones_for(None, "+442071838750", "UTC") == [ZoneInfo("Europe/London")]
