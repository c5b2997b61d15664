"""Fast paths and small tables for import normalisation (pure).

`fast_email` gives exactly the result of domain.contacts.normalise_email, faster on plain ASCII addresses:
the domain is checked once per distinct domain (cached) with the full validator and the local part with a
strict dot-atom pattern that the full validator also accepts; anything else goes the full way.
Countries and time zones: names or codes to ISO 3166 alpha-2; a zone from the country when the country has
only one, or from a US state (its main zone)."""

from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from phonenumbers import timezone as phone_timezone

from domain.contacts import normalise_email, normalise_website, parse_phone, split_phone_text
from domain.countries import country_code
from domain.phone_fast import cached_answer, national_number

_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")


_LDH_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+\Z")


@lru_cache(maxsize=200_000)
def _domain_ok(domain: str) -> bool:
    """Whether email-validator accepts "a@<domain>". Plain lower-case letter-digit-hyphen names with a dot, a
    last label ending in a letter, no "--" (so no punycode) and no special-use name pass without it: its
    IDNA and Unicode steps leave such names unchanged and its other checks are these (email_validator 2,
    syntax.validate_email_domain_name)."""
    if (len(domain) <= 252 and _LDH_DOMAIN.match(domain) and domain[-1].isalpha() and "--" not in domain
            and not any(domain == d or domain.endswith("." + d) for d in SPECIAL_USE_DOMAIN_NAMES)):
        return True
    return normalise_email("a@" + domain).value == "a@" + domain


def fast_email(raw: str) -> tuple[str | None, str | None]:
    """(normalised email, None) or (None, reason); the same answers as normalise_email."""
    text = raw.strip().strip("<>").strip()
    lowered = text.lower()
    if lowered.startswith("mailto:"):
        lowered = lowered[7:]
    local, sep, domain = lowered.rpartition("@")
    if (sep and local and domain and len(local) <= 64 and len(lowered) <= 254 and lowered.isascii()
            and _LOCAL.match(local) and _domain_ok(domain)):
        return lowered, None
    result = normalise_email(raw)
    return result.value, result.error


_WEBSITE = re.compile(r"(?:https?://)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?(/[A-Za-z0-9._~%+/-]*)?\Z")


def fast_website(raw: str) -> tuple[str | None, str | None, str | None]:
    """(canonical https URL, domain, error): normalise_website's answers, without urlsplit for the plain
    shapes ("www.acme.com", "https://acme.com/", "acme.com/about"): a host of letters, digits, dashes and
    dots and a plain path, which urlsplit would split at the first "/" and leave as they are."""
    text = raw.strip()
    match = _WEBSITE.match(text)
    if match:
        host, path = match.group(1).lower(), match.group(2) or ""
        url = f"https://{host}{path.rstrip('/')}"
        if "." in host and len(host) <= 253 and len(url) <= 500:
            return url, host[4:] if host.startswith("www.") else host, None
    result, domain = normalise_website(raw)
    return result.value, domain, result.error


@lru_cache(maxsize=65_536)  # repeated numbers (duplicate rows, shared switchboards) are parsed once
def fast_phone(raw: str, region: str = "US") -> tuple[str | None, str | None, str | None, str | None]:
    """(E.164, extension, time zone, error): normalise_phone and timezone_for_phone in one parse and one
    number-type check (the same answers); plainly written numbers take the proven prefix fast path of
    domain.phone_fast (the same answers again, several times faster)."""
    region = region.upper()
    if raw.strip():
        text, ext = split_phone_text(raw)
        predicted = national_number(text, region) if text else None
        if predicted:
            code, nsn = predicted
            answer = cached_answer(code, nsn, lambda: _full_answer(raw, region, code, nsn))
            if answer is not None:
                if answer[0] == phonenumbers.PhoneNumberType.UNKNOWN:
                    return None, None, None, f"invalid phone {raw!r}: not a valid number"
                return f"+{code}{nsn}", ext, _one_zone(answer[1]), None
    number, ext, error = parse_phone(raw, region)
    if number is None:
        return None, None, None, error
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        return None, None, None, f"invalid phone {raw!r}: not a valid number"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, ext, _one_zone(_zones_for(number, kind)), None


def _full_answer(raw: str, region: str, code: int, nsn: str) -> tuple[tuple[int, tuple[str, ...]], bool] | None:
    """phonenumbers' (type, zones) for `raw` and whether the country's main region decided it; None unless
    the parse gave the predicted country code and national digits."""
    number, _, _ = parse_phone(raw, region)
    if number is None or number.country_code != code or phonenumbers.national_significant_number(number) != nsn:
        return None
    kind = phonenumbers.number_type(number)
    main = phonenumbers.region_code_for_country_code(code)
    decided = kind == phonenumbers.PhoneNumberType.UNKNOWN or phonenumbers.region_code_for_number(number) == main
    return (kind, _zones_for(number, kind) if kind != phonenumbers.PhoneNumberType.UNKNOWN else ()), decided


def _zones_for(number: phonenumbers.PhoneNumber, kind: int) -> tuple[str, ...]:
    if phonenumbers.is_number_type_geographical(kind, number.country_code):
        return tuple(phone_timezone.time_zones_for_geographical_number(number))
    return tuple(phone_timezone._country_level_time_zones_for_number(number))


def _one_zone(zones: tuple[str, ...]) -> str | None:
    known = [z for z in zones if z != "Etc/Unknown"]
    return known[0] if len(known) == 1 else None




@lru_cache(maxsize=4096)  # a file repeats a few countries
def normalise_country(raw: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code from a code (alpha-2 or alpha-3) or a name in English or a local language
    (domain.countries, from pycountry); None when unknown."""
    text = " ".join((raw or "").split()).strip().lower()
    if not text:
        return None
    if len(text) == 2 and text.upper() in phonenumbers.SUPPORTED_REGIONS:
        return text.upper()  # phone regions outside ISO too (XK)
    return country_code(text)


_STATE_ZONES = {
    "America/New_York": "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV",
    "America/Chicago": "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI",
    "America/Denver": "CO ID MT NM UT WY",
    "America/Phoenix": "AZ",
    "America/Los_Angeles": "CA NV OR WA",
    "America/Anchorage": "AK",
    "Pacific/Honolulu": "HI",
}
_STATE_CODES = {code: zone for zone, codes in _STATE_ZONES.items() for code in codes.split()}
_STATE_NAMES = dict(zip(
    "alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho "
    "illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi "
    "missouri montana nebraska nevada newhampshire newjersey newmexico newyork northcarolina northdakota ohio "
    "oklahoma oregon pennsylvania rhodeisland southcarolina southdakota tennessee texas utah vermont virginia "
    "washington westvirginia wisconsin wyoming districtofcolumbia".split(),
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK "
    "OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split(), strict=True))


@lru_cache(maxsize=512)
def _country_zone(country: str) -> str | None:
    example = phonenumbers.example_number(country)
    if example is None:
        return None
    zones = [z for z in phone_timezone._country_level_time_zones_for_number(example) if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None


@lru_cache(maxsize=4096)
def timezone_for_place(country: str | None, region: str | None) -> str | None:
    """The zone of a single-zone country, or the main zone of a US state (country US or not given)."""
    if country and country != "US":
        return _country_zone(country)
    if region:
        key = re.sub(r"[^a-z]", "", region.lower())
        code = key.upper() if len(key) == 2 else _STATE_NAMES.get(key)
        if code in _STATE_CODES:
            return _STATE_CODES[code]
    return None


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in zoneinfo.available_timezones()}


def known_timezone(raw: str | None) -> str | None:
    """The IANA name (right case) of a zone given in any case; None when unknown."""
    return _zones().get((raw or "").strip().lower())
