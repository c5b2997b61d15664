"""SMS length and cost: GSM-7 / UCS-2 segment counting (FIELD.md section 5). Pure functions.

One part carries 140 octets: 160 GSM-7 septets or 70 UCS-2 code units. A multi-part message loses 6 octets per
part to the concatenation header: 153 GSM-7 septets or 67 UCS-2 units per part. GSM extended characters
(``^{}\\[~]|€`` and form feed) take two septets (escape + char) and are never split across parts; a UTF-16
surrogate pair (emoji) is never split either. One character outside GSM-7 turns the whole message into UCS-2.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 10  # 1,530 GSM-7 characters; Twilio caps at 1,600 and advises <= 320


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one part at this length (160/153 or 70/67)
    non_gsm: tuple[str, ...] = ()  # the characters that forced UCS-2


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _pack(sizes: list[int], single: int, multi: int) -> int:
    """Parts needed for characters of the given unit sizes, never splitting a character."""
    total = sum(sizes)
    if total == 0:
        return 0
    if total <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts


def measure(text: str) -> SmsLength:
    """Encoding, length in units and number of segments of an SMS body."""
    if is_gsm7(text):
        sizes = [2 if ch in GSM7_EXTENDED else 1 for ch in text]
        segments = _pack(sizes, 160, 153)
        return SmsLength("GSM-7", sum(sizes), segments, 160 if segments <= 1 else 153)
    sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    segments = _pack(sizes, 70, 67)
    odd = tuple(dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED))
    return SmsLength("UCS-2", sum(sizes), segments, 70 if segments <= 1 else 67, odd)


def segments(text: str) -> int:
    return measure(text).segments


def price_per_segment(phone: str | None, prices_by_country: dict[str, int], default_micros: int) -> int:
    """Price of one segment to this E.164 number: the country's price when configured, else the default."""
    if phone and prices_by_country:
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
        except phonenumbers.NumberParseException:
            region = None
        if region and region.upper() in prices_by_country:
            return int(prices_by_country[region.upper()])
    return default_micros


def cost_micros(text: str, price_micros: int) -> int:
    """cost = segments x price per segment (integer micro-dollars)."""
    return measure(text).segments * price_micros
