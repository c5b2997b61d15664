"""Import fast paths pinned where the mutation run (docs/testing.md) found them unpinned: inputs on the edges of the
fast e-mail and website checks (where a wrong fast answer would differ from the full validator's), and the phone
fast path from cold caches, where it learns number prefixes, against the full phonenumbers way."""

import pytest

from domain import phone_fast
from domain.contacts import normalise_phone, timezone_for_phone
from domain.fastnorm import fast_email, fast_phone, fast_website

DOMAIN = "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + ".com"  # 195 characters


def test_fast_email_on_the_edges():
    assert fast_email("Xavier@Acme.com") == ("xavier@acme.com", None)
    assert fast_email("mailto:Ann@acme.com") == ("ann@acme.com", None)
    assert fast_email("<mailto:ann@acme.com>") == ("ann@acme.com", None)
    at_limit = "a" * 58 + "@" + DOMAIN  # 254 characters: the longest address
    assert fast_email(at_limit) == (at_limit, None)
    too_long = "a" * 59 + "@" + DOMAIN
    assert fast_email(too_long) == (
        None, f"invalid email {too_long!r}: The email address is too long (1 character too many).")


def test_fast_website_on_the_edges():
    assert fast_website("acme.com/INDEX/") == ("https://acme.com/INDEX", "acme.com", None)
    assert fast_website("www.acme.com/X") == ("https://www.acme.com/X", "acme.com", None)
    longest = "acme.com/" + "p" * 483  # "https://" + 492: 500 characters
    assert fast_website(longest) == ("https://" + longest, "acme.com", None)
    assert fast_website(longest + "p") == (None, None, "website too long (501 characters, at most 500)")
    host = "a" * 62 + "." + ".".join(["a" * 62] * 3) + ".io"  # 254 characters: one too many
    assert fast_website(host) == (None, None, f"invalid website {host!r}")
    host = "a" * 61 + "." + ".".join(["a" * 62] * 3) + ".io"  # 253 characters: the longest name DNS allows
    assert fast_website(host) == (f"https://{host}", host, None)


@pytest.fixture
def cold_caches():
    """No prefix learnt, no answer cached: the fast path asks phonenumbers (fastnorm._full_answer) and learns."""
    saved = dict(phone_fast._COUNTRIES)
    phone_fast._COUNTRIES.clear()
    fast_phone.cache_clear()
    yield
    phone_fast._COUNTRIES.clear()
    phone_fast._COUNTRIES.update(saved)
    fast_phone.cache_clear()


NUMBERS = [
    ("(512) 555-0100", "US", ("+15125550100", None, "America/Chicago", None)),
    ("512 555 0199 ext. 4", "US", ("+15125550199", "4", "America/Chicago", None)),
    ("(416) 555-0100", "US", ("+14165550100", None, "America/Toronto", None)),  # +1, but Canada
    ("(416) 555-0123", "CA", ("+14165550123", None, "America/Toronto", None)),
    ("030 1234567", "DE", ("+49301234567", None, "Europe/Berlin", None)),
    ("+49 30 7654321", "US", ("+49307654321", None, "Europe/Berlin", None)),
    ("+44 20 7946 0958", "US", ("+442079460958", None, "Europe/London", None)),
    ("+44 20 7946 0000", "DE", ("+442079460000", None, "Europe/London", None)),
    ("+7 495 123-45-67", "US", ("+74951234567", None, "Europe/Moscow", None)),
    ("+61 2 9374 4000", "US", ("+61293744000", None, "Australia/Sydney", None)),
    ("(512) 155-0100", "US", (None, None, None, "invalid phone '(512) 155-0100': not a valid number")),
]


def test_the_phone_fast_path_learns_prefixes_and_answers_as_phonenumbers(cold_caches):
    for _ in range(2):  # from cold caches, then from what was learnt
        for raw, region, answer in NUMBERS:
            assert fast_phone(raw, region) == answer, raw
            want = normalise_phone(raw, region)
            assert answer == (want.value, want.extra, timezone_for_phone(want.value), want.error)
        fast_phone.cache_clear()  # the learnt prefixes stay
