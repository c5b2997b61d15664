"""Normalisation of contact data: email, phone (E.164), website, names, time zone. Pure functions.

Each `normalise_*` returns a `Normalised` (value or None, and a reason when the input was unusable), so
callers can both keep what is good and report exactly what was wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import timezone as phone_timezone


@dataclass(frozen=True)
class Normalised:
    value: str | None
    error: str | None = None
    extra: str | None = None  # e.g. a phone extension kept apart


def normalise_email(raw: str | None) -> Normalised:
    text = (raw or "").strip().strip("<>").strip()
    if not text:
        return Normalised(None)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return Normalised(None, f"invalid email {text!r}: {exc}")
    return Normalised(result.normalized.lower())


_EXT = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)


def split_phone_text(raw: str | None) -> tuple[str, str | None]:
    """(the number's text, extension): trimmed, an extension after the number taken apart, "00" read as "+"."""
    text = (raw or "").strip()
    ext = None
    match = _EXT.search(text)
    if match:
        ext, text = match.group(1), text[: match.start()]
    if text.startswith("00"):
        text = "+" + text[2:]
    return text, ext


def parse_phone(raw: str | None, region: str = "US") -> tuple[phonenumbers.PhoneNumber | None, str | None, str | None]:
    """(parsed number, extension, error): the first step of every phone normalisation. An extension written
    after the number ("ext. 42", "x42", "#42") is kept apart; "00" stands for "+". Validity is not checked."""
    if not (raw or "").strip():
        return None, None, None
    text, ext = split_phone_text(raw)
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        return None, None, f"invalid phone {raw!r}: {exc}"
    return number, ext or number.extension, None


def normalise_phone(raw: str | None, default_region: str = "US") -> Normalised:
    """E.164, with any extension returned apart in `extra`."""
    number, ext, error = parse_phone(raw, default_region)
    if number is None:
        return Normalised(None, error)
    if not phonenumbers.is_valid_number(number):
        return Normalised(None, f"invalid phone {raw!r}: not a valid number")
    return Normalised(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), extra=ext)


def normalise_website(raw: str | None) -> tuple[Normalised, str | None]:
    """A canonical https URL and its domain (without www.)."""
    text = (raw or "").strip()
    if not text:
        return Normalised(None), None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:  # "[oops" (an unclosed IPv6 bracket), characters that change under NFKC in the host
        return Normalised(None, f"invalid website {raw!r}"), None
    if parts.scheme not in ("http", "https") or "." not in host or " " in host or len(host) > 253:
        return Normalised(None, f"invalid website {raw!r}"), None  # 253: the longest name DNS allows
    domain = host[4:] if host.startswith("www.") else host
    url = f"https://{host}{parts.path.rstrip('/')}"
    if len(url) > 500:  # the column's size
        return Normalised(None, f"website too long ({len(url):,} characters, at most 500)"), None
    return Normalised(url), domain


def clean_name(raw: str | None) -> str | None:
    text = " ".join((raw or "").split())
    return text or None


def split_full_name(raw: str | None) -> tuple[str | None, str | None]:
    """'Jane Doe' -> ('Jane', 'Doe'); 'Doe, Jane' -> ('Jane', 'Doe'); 'Jane' -> ('Jane', None)."""
    text = clean_name(raw)
    if not text:
        return None, None
    if "," in text:
        last, _, first = text.partition(",")
        return clean_name(first), clean_name(last)
    first, _, last = text.partition(" ")
    return first, clean_name(last)


def timezone_for_phone(e164: str | None) -> str | None:
    """The IANA zone of a phone number when the number pins down exactly one."""
    if not e164:
        return None
    try:
        zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    zones = [z for z in zones if z != "Etc/Unknown"]
    return zones[0] if len(zones) == 1 else None

