"""The phone fast path (domain.phone_fast) gives exactly phonenumbers' answers."""

from __future__ import annotations

import itertools
import random
import re

import pytest
from phonenumbers import PhoneMetadata

from domain import fastnorm
from domain.contacts import normalise_phone, timezone_for_phone
from domain.phone_fast import DIGITS, Automaton, CountryPrefixes, national_number


def _us_patterns() -> list[str]:
    metadata = PhoneMetadata.metadata_for_region("US")
    names = ("general_desc", "premium_rate", "toll_free", "personal_number", "fixed_line", "mobile")
    return [getattr(metadata, n).national_number_pattern for n in names]


@pytest.mark.parametrize("pattern", [*_us_patterns(), r"(?:12|3[4-6])\d{2}|7?8{1,3}|[^0-8]9*"])
def test_the_automaton_decides_prefixes_as_brute_force_does(pattern):
    automaton, regex, rng = Automaton(pattern), re.compile(pattern), random.Random(5)
    length = 10 if "\\d{9}" in pattern or "\\d{6}" in pattern else 5
    for _ in range(300):
        remaining = rng.choice([1, 2, 3])
        prefix = "".join(rng.choice(DIGITS) for _ in range(length - remaining))
        matches = [bool(regex.fullmatch(prefix + "".join(tail)))
                   for tail in itertools.product(DIGITS, repeat=remaining)]
        states = automaton.start
        for digit in prefix:
            states = automaton.step(states, digit)
        assert automaton.verdict(states, remaining) == (all(matches), not any(matches)), prefix


def test_a_prefix_is_learnt_only_once_it_decides_every_pattern():
    prefixes = CountryPrefixes("US", 1)
    prefixes.learn("2125550123", (1, ("America/New_York",)))
    ((length, learnt),) = prefixes.known
    assert length == 10 and "2125550123".startswith(learnt) and len(learnt) >= 4  # "212" does not decide the exchange
    assert prefixes.lookup("2125550199") == (1, ("America/New_York",))
    assert prefixes.lookup("2135550123") is None and prefixes.lookup("212555012") is None


@pytest.mark.parametrize(("text", "region", "predicted"), [
    ("(512) 456-1234", "US", (1, "5124561234")), ("+1 512.456.1234", "DE", (1, "5124561234")),
    ("15124561234", "US", (1, "5124561234")), ("512-456-1234", "CA", (1, "5124561234")),
    ("512-456-1234", "FR", (33, "5124561234")), ("+44 20 7946 0958", "US", (44, "2079460958")),
    ("+49 151 12345678", "US", (49, "15112345678")),
    ("1234567890", "US", None),  # starts with the national prefix 1
    ("0151 12345678", "DE", None),  # starts with the national prefix 0
    ("0049 151 1234567", "DE", None), ("3312345678", "FR", None),  # international prefix, country code
    ("512/456/1234", "US", None), ("+1-800-FLOWERS", "US", None), ("+0 123", "US", None), ("+", "US", None),
])
def test_only_plainly_written_numbers_take_the_fast_path(text, region, predicted):
    assert national_number(text, region) == predicted


def _random_phone(rng: random.Random) -> str:
    area = rng.choice([rng.randint(100, 999), 212, 415, 800, 900, 905, 416, 264, 268, 787, 151, 170, 20, 6, 7])
    exchange, line = rng.randint(0, 999), rng.randint(0, 9999)
    a, b, c = f"{area:03d}", f"{exchange:03d}", f"{line:04d}"
    shape = rng.choice(["({0}) {1}-{2}", "{0}-{1}-{2}", "+1 {0} {1} {2}", "1{0}{1}{2}", "{0}.{1}.{2} x12",
                        "001 {0} {1} {2}", "+1({0}){1}{2}", "{0}{1}{2}", " 1 ({0}) {1} - {2} ", "+{0}{1}{2}",
                        "{0}{1}{2}9", "+49 151 {1}{2}", "0{0}{1}{2}", "{0} {1} {2} ext. 7", "+33 6 {1} {2}",
                        "+44 7{1}{2}", "+44 20 {1} {2}", "+81 90 {1} {2}", "+61 4{1}{2}", "+91 98{1}{2}",
                        "+39 3{1}{2}", "+39 06 {1}{2}", "+7 9{1}{2}", "+800 {1}{2}", "+34 6{1}{2}", "+55 11 9{1}{2}",
                        "{1}{2}", "{1} {2}", "+{1}{2}", "0{1}{2}", "00{1}{2}", "+52 1 55 {1}{2}", "+{0}"])
    return shape.format(a, b, c)


def test_fast_phone_equals_the_full_phonenumbers_way_on_random_numbers():
    rng = random.Random(11)
    fastnorm.fast_phone.cache_clear()
    regions = ["US", "US", "US", "CA", "DE", "GB", "DO", "JM", "PR", "AG", "FR", "IT", "JP", "AU", "IN", "BR", "MX",
               "GG", "ES", "RU", "KZ", "NL", "CH", "AR"]
    for _ in range(12000):
        raw, region = _random_phone(rng), rng.choice(regions)
        e164, ext, zone, error = fastnorm.fast_phone(raw, region)
        full = normalise_phone(raw, region)
        assert (e164, ext if e164 else None) == (full.value, full.extra if full.value else None), (raw, region)
        assert zone == timezone_for_phone(full.value), (raw, region)
        assert error == full.error, (raw, region)


def test_every_pattern_of_every_country_can_be_read_and_an_unreadable_one_proves_nothing():
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

    from domain.phone_fast import _DESCS

    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0])
        for name in _DESCS:
            desc = metadata and getattr(metadata, name)
            if desc is not None and desc.national_number_pattern:
                Automaton(desc.national_number_pattern)  # raises ValueError on an element it cannot read
    with pytest.raises(ValueError, match="unsupported"):
        Automaton(r"(?=1)\d{3}")
    prefixes = CountryPrefixes("US", 1)
    prefixes._patterns = lambda length: Automaton(r"(?=1)\d")  # what a future, unreadable pattern does
    prefixes.learn("2125550123", (1, ()))
    assert prefixes.known == {}


def test_private_api_guard_falls_back_to_the_full_way(monkeypatch):
    from domain import fastnorm, phone_fast

    assert phone_fast.fast_path_fits()  # the versions pinned in the lock fit
    plain = "+1 212 555 0100"
    assert phone_fast.national_number(plain, "US") == (1, "2125550100")
    expected = fastnorm.fast_phone.__wrapped__(plain, "US")

    class ChangedParser:  # what a future CPython could do to re._parser
        @staticmethod
        def parse(_pattern):
            return [("NEW_NODE", None)]

    monkeypatch.setattr(phone_fast, "sre_parse", ChangedParser)
    phone_fast.fast_path_fits.cache_clear()
    try:
        assert not phone_fast.fast_path_fits()
        assert phone_fast.national_number(plain, "US") is None
        assert fastnorm.fast_phone.__wrapped__(plain, "US") == expected == ("+12125550100", None, "America/New_York", None)
    finally:
        monkeypatch.undo()
        phone_fast.fast_path_fits.cache_clear()
    assert phone_fast.fast_path_fits()
