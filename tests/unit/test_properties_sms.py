"""SMS segment counting, property-based (hypothesis): GSM-7 vs UCS-2, units, the 160/153 and 70/67 boundaries,
extended characters counting two septets, segments never decreasing as a message grows."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.sms import GSM7_BASIC, GSM7_EXTENDED, cost_micros, is_gsm7, measure, segments

BASIC = sorted(GSM7_BASIC)
EXTENDED = sorted(GSM7_EXTENDED)
# Characters outside GSM-7: accented letters that GSM lacks, symbols, CJK, and astral ones (emoji: 2 UTF-16 units).
NON_GSM_BMP = st.characters(min_codepoint=0x80, max_codepoint=0xFFFF, blacklist_categories=("Cs",)).filter(
    lambda ch: ch not in GSM7_BASIC and ch not in GSM7_EXTENDED)
ASTRAL = st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF)
GSM_TEXT = st.text(st.sampled_from(BASIC + EXTENDED), max_size=400)
ANY_TEXT = st.text(st.one_of(st.sampled_from(BASIC), st.sampled_from(EXTENDED), NON_GSM_BMP, ASTRAL,
                             st.characters(blacklist_categories=("Cs",))), max_size=400)
FAST = settings(max_examples=150, deadline=None)


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@FAST
@given(ANY_TEXT)
@example("")
@example("a" * 160)
@example("😀" * 35)
def test_encoding_units_and_capacity_follow_the_characters(text):
    m = measure(text)
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        assert m.encoding == "GSM-7" and is_gsm7(text) and m.non_gsm == ()
        assert m.units == len(text) + sum(ch in GSM7_EXTENDED for ch in text)
        single, multi = 160, 153
    else:
        assert m.encoding == "UCS-2" and not is_gsm7(text)
        assert m.units == _utf16_units(text)
        assert set(m.non_gsm) == {ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED}
        single, multi = 70, 67
    if m.units == 0:
        assert m.segments == 0
    elif m.units <= single:
        assert m.segments == 1 and m.per_segment == single
    else:
        # A part holds `multi` units, minus at most one when a two-unit character would straddle the edge.
        assert math.ceil(m.units / multi) <= m.segments <= math.ceil(m.units / (multi - 1))
        assert m.per_segment == multi
    assert segments(text) == m.segments


@FAST
@given(st.sampled_from(BASIC), st.integers(min_value=1, max_value=1600))
@example("a", 160)
@example("a", 161)
@example("a", 306)
@example("a", 307)
def test_plain_gsm_boundaries_are_160_then_153(ch, n):
    expected = 1 if n <= 160 else math.ceil(n / 153)
    assert segments(ch * n) == expected


@FAST
@given(st.sampled_from(EXTENDED), st.integers(min_value=1, max_value=800))
@example("€", 80)
@example("€", 81)
def test_extended_characters_count_two_septets_and_are_never_split(ch, n):
    m = measure(ch * n)
    assert (m.encoding, m.units) == ("GSM-7", 2 * n)
    # 153 is odd: a part of only two-septet characters holds 76 of them (152 septets).
    assert m.segments == (1 if 2 * n <= 160 else math.ceil(n / 76))


@FAST
@given(GSM_TEXT, st.sampled_from(EXTENDED))
def test_appending_an_extended_character_adds_two_septets(text, ch):
    assert measure(text + ch).units == measure(text).units + 2
    assert measure(text + ch).encoding == "GSM-7"


@FAST
@given(NON_GSM_BMP, st.integers(min_value=1, max_value=700))
@example("✓", 70)
@example("✓", 71)
@example("✓", 134)
@example("✓", 135)
def test_ucs2_boundaries_are_70_then_67(ch, n):
    assert segments(ch * n) == (1 if n <= 70 else math.ceil(n / 67))


@FAST
@given(ASTRAL, st.integers(min_value=1, max_value=400))
@example("😀", 35)
@example("😀", 36)
def test_astral_characters_take_two_units_and_stay_whole(ch, n):
    m = measure(ch * n)
    assert (m.encoding, m.units) == ("UCS-2", 2 * n)
    assert m.segments == (1 if 2 * n <= 70 else math.ceil(n / 33))  # 67 is odd: 33 pairs per part


@FAST
@given(GSM_TEXT, NON_GSM_BMP)
def test_one_non_gsm_character_turns_the_whole_message_to_ucs2(text, odd):
    for at in {0, len(text) // 2, len(text)}:
        m = measure(text[:at] + odd + text[at:])
        assert m.encoding == "UCS-2" and m.non_gsm == (odd,)
        assert m.units == len(text) + 1  # extended characters are one UTF-16 unit each, not two septets


@FAST
@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
@example("", "a" * 160, "a")
@example("", "€" * 80, "✓")
@example("a" * 152, "€", "a" * 151)
def test_segments_never_decrease_as_a_message_grows(before, middle, after):
    assert segments(middle) <= segments(middle + after)
    assert segments(middle) <= segments(before + middle)
    assert segments(middle) <= segments(before + middle + after)


@FAST
@given(ANY_TEXT, st.integers(min_value=0, max_value=1_000_000))
def test_cost_is_segments_times_the_price(text, price):
    assert cost_micros(text, price) == segments(text) * price
