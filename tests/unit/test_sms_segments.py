"""SMS segments: GSM-7 160/153, UCS-2 70/67, extended characters count twice and are never split."""

from domain.sms import SmsLength, cost_micros, measure, price_per_segment, segments


def test_plain_gsm_fits_160_in_one_segment_and_161_needs_two():
    assert measure("a" * 160).segments == 1
    assert measure("a" * 160).encoding == "GSM-7"
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3


def test_extended_characters_take_two_septets():
    m = measure("€" * 80)
    assert (m.encoding, m.units, m.segments) == ("GSM-7", 160, 1)
    assert segments("€" * 81) == 2
    assert segments("a{") == 1 and measure("a{").units == 3


def test_an_escape_pair_is_not_split_across_parts():
    # 152 plain + one extended (2 septets) = 154 > 153: the pair moves to the second part.
    text = "a" * 152 + "€" + "a" * 10
    assert measure(text).units == 164
    assert segments(text) == 2
    text = "a" * 152 + "€" + "a" * 151  # 152 | 2+151=153
    assert segments(text) == 2
    assert segments(text + "a") == 3


def test_one_non_gsm_character_switches_the_whole_message_to_ucs2():
    m = measure("Hello José, ça va? ✓")
    assert m.encoding == "UCS-2" and "✓" in m.non_gsm and "é" not in m.non_gsm
    assert measure("ç" * 70).encoding == "UCS-2"  # ç is not GSM-7 (only Ç is)
    assert segments("ç" * 70) == 1 and segments("ç" * 71) == 2
    assert segments("✓" * 70) == 1
    assert segments("✓" * 71) == 2
    assert segments("✓" * 134) == 2
    assert segments("✓" * 135) == 3


def test_emoji_count_as_two_units_and_stay_whole():
    m = measure("😀" * 35)
    assert (m.units, m.segments) == (70, 1)
    text = "a" * 66 + "😀" + "a" * 65  # 133 units: 66 | 2+65
    assert segments(text) == 2
    assert segments(text + "a") == 3  # 134 units would fit 2x67 only by splitting the pair


def test_empty_message_has_no_segment_and_costs_nothing():
    assert segments("") == 0 and cost_micros("", 8000) == 0


def test_cost_is_segments_times_price_and_the_price_depends_on_the_country():
    assert cost_micros("a" * 200, 8000) == 16000
    prices = {"GB": 40000}
    assert price_per_segment("+442071838750", prices, 8000) == 40000
    assert price_per_segment("+15125550100", prices, 8000) == 8000
    assert price_per_segment(None, prices, 8000) == 8000


def test_each_length_gives_its_whole_measure():
    """Encoding, units, segments and the capacity of one part, written out: a part of a multi-part GSM-7 message
    carries 153 septets (160 less the concatenation header); U+FFFF is one UTF-16 unit, an emoji two."""
    assert measure("a" * 160) == SmsLength("GSM-7", 160, 1, 160)
    assert measure("a" * 161) == SmsLength("GSM-7", 161, 2, 153)
    assert measure("a" * 306) == SmsLength("GSM-7", 306, 2, 153)
    assert measure("\uffff") == SmsLength("UCS-2", 1, 1, 70, ("\uffff",))
    assert measure("\U0001f600") == SmsLength("UCS-2", 2, 1, 70, ("\U0001f600",))
    assert measure("é" + "ж" * 70) == SmsLength("UCS-2", 71, 2, 67, ("ж",))  # é is GSM-7; ж is not
