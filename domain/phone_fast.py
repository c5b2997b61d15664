"""A fast path for US (NANP) phone numbers that gives exactly phonenumbers' answers (pure).

phonenumbers spends ~45 us parsing a number and deciding its type with a dozen regular expressions. For a US
number that work depends only on its ten digits, and the regular expressions only look at the first few of
them (area code and exchange): `(?:212|...)[2-9]\\d{6}`. So the answer for one number holds for every
number of the same length that starts with the same digits -- *when the patterns provably cannot tell them
apart*. This module proves that for each prefix it caches: each of the US metadata's patterns is turned into
an automaton over the digits 0-9 and, after reading the prefix, it must accept either every completion of the
remaining length or none. The time zone table is checked the same way (no longer key starts with the prefix).
Only then is phonenumbers' own answer for the first number reused for the others.

Which inputs take the fast path (anything else goes the full phonenumbers way):
- digits with spaces, dots, dashes and parentheses only, and an optional leading "+";
- "+1" and 10 digits, or -- with the US, Canada, the Dominican Republic, Jamaica or Puerto Rico as the
  default region -- 10 digits, or "1" and 10 digits;
- the 10-digit national number starts with 2-9 (so no national prefix can be stripped from it), and the
  US metadata (first in the NANP list, no leading-digits rule) gives it a type: numbers of the other NANP
  countries (Canada, the Caribbean) go the full way.
For those inputs phonenumbers' parse yields country code 1 and those 10 digits (it ignores the punctuation
allowed here), so the answers are equal; tests/unit/test_phone_fast.py checks this on random inputs."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from re import _constants as sre  # the parse tree of the stdlib's own regular expression parser
from re import _parser as sre_parse

from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.tzdata import TIMEZONE_DATA

DIGITS = "0123456789"
_SHAPE = re.compile(r"\+?[0-9 ().\-]+\Z")
_DROP = str.maketrans("", "", " ().-+")
_DESCS = ("general_desc", "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")
NSN_LENGTH = 10
MIN_PREFIX = 3


class Automaton:
    """The language of a regular expression over the digits, as a Thompson NFA; `step` and `verdict` are
    memoised, so repeated questions about the same states cost a dict look-up."""

    def __init__(self, pattern: str) -> None:
        self.eps: list[list[int]] = []
        self.moves: list[list[tuple[frozenset[str], int]]] = []
        start, self.final = self._state(), self._state()
        self._build(sre_parse.parse(pattern), start, self.final)
        self.start = self._closure({start})
        self._steps: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._verdicts: dict[tuple[frozenset[int], int], tuple[bool, bool]] = {}

    def _state(self) -> int:
        self.eps.append([])
        self.moves.append([])
        return len(self.eps) - 1

    def _build(self, tree: list, start: int, end: int) -> None:
        """Wire the sequence `tree` (a re._parser SubPattern) from `start` to `end`."""
        current = start
        for op, arg in tree:
            nxt = self._state()
            self._item(op, arg, current, nxt)
            current = nxt
        self.eps[current].append(end)

    def _item(self, op: object, arg: object, start: int, end: int) -> None:
        if op is sre.LITERAL:
            self.moves[start].append((frozenset(chr(arg)) & frozenset(DIGITS), end))
        elif op is sre.IN:
            self.moves[start].append((_digit_set(arg), end))
        elif op is sre.SUBPATTERN:
            self._build(arg[-1], start, end)
        elif op is sre.BRANCH:
            for branch in arg[1]:
                self._build(branch, start, end)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            self._repeat(*arg, start, end)
        else:
            raise ValueError(f"unsupported regular expression element {op}")

    def _repeat(self, low: int, high: int, body: list, start: int, end: int) -> None:
        current = start
        for _ in range(low):
            nxt = self._state()
            self._build(body, current, nxt)
            current = nxt
        if high is sre.MAXREPEAT:
            loop = self._state()
            self.eps[current].append(loop)
            self._build(body, loop, loop)
            self.eps[loop].append(end)
            return
        for _ in range(high - low):
            nxt = self._state()
            self.eps[current].append(end)
            self._build(body, current, nxt)
            current = nxt
        self.eps[current].append(end)

    def _closure(self, states: set[int]) -> frozenset[int]:
        todo, seen = list(states), set(states)
        while todo:
            for nxt in self.eps[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def step(self, states: frozenset[int], digit: str) -> frozenset[int]:
        key = (states, digit)
        found = self._steps.get(key)
        if found is None:
            found = self._closure({t for s in states for chars, t in self.moves[s] if digit in chars})
            self._steps[key] = found
        return found

    def verdict(self, states: frozenset[int], remaining: int) -> tuple[bool, bool]:
        """(every string of `remaining` digits is accepted from `states`, none is)."""
        key = (states, remaining)
        found = self._verdicts.get(key)
        if found is None:
            if remaining == 0:
                accepted = self.final in states
                found = (accepted, not accepted)
            elif not states:
                found = (False, True)
            else:
                parts = [self.verdict(self.step(states, d), remaining - 1) for d in DIGITS]
                found = (all(p[0] for p in parts), all(p[1] for p in parts))
            self._verdicts[key] = found
        return found

    def decided_by(self, prefix: str, length: int) -> bool:
        """Whether all strings of `length` digits starting with `prefix` are in the language, or none is."""
        states = self.start
        for digit in prefix:
            states = self.step(states, digit)
        every, none = self.verdict(states, length - len(prefix))
        return every or none


def _digit_set(items: list) -> frozenset[str]:
    chars: set[str] = set()
    negate = False
    for op, arg in items:
        if op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre.CATEGORY and arg is sre.CATEGORY_DIGIT:
            chars.update(DIGITS)
        elif op is sre.NEGATE:
            negate = True
        else:
            raise ValueError(f"unsupported character class element {op}")
    digits = frozenset(DIGITS)
    return digits - chars if negate else digits & chars


class UsPrefixes:
    """US numbers' (type, time zones) by the shortest prefix proven to decide them."""

    def __init__(self) -> None:
        metadata = PhoneMetadata.metadata_for_region("US")
        self.automata: list[Automaton] = []
        for name in _DESCS:
            desc = getattr(metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue  # never matches: decided
            if desc.possible_length and NSN_LENGTH not in desc.possible_length:
                continue  # the length check fails first: decided
            self.automata.append(Automaton(desc.national_number_pattern))
        keys = [k for k in TIMEZONE_DATA if k.startswith("1")]
        self.zone_inner = {k[1:j] for k in keys for j in range(1, len(k))}  # national prefixes a longer key extends
        self.known: dict[str, tuple[int, tuple[str, ...]]] = {}

    def lookup(self, nsn: str) -> tuple[int, tuple[str, ...]] | None:
        for k in range(MIN_PREFIX, NSN_LENGTH + 1):
            found = self.known.get(nsn[:k])
            if found is not None:
                return found
        return None

    def learn(self, nsn: str, answer: tuple[int, tuple[str, ...]]) -> None:
        """Remember phonenumbers' answer for `nsn` under its shortest deciding prefix."""
        for k in range(MIN_PREFIX, NSN_LENGTH + 1):
            prefix = nsn[:k]
            if prefix not in self.zone_inner and all(a.decided_by(prefix, NSN_LENGTH) for a in self.automata):
                self.known[prefix] = answer
                return


def us_national_number(text: str, region: str) -> str | None:
    """The 10-digit national number when `text` (extension and "00" already handled) is a plainly written
    NANP number that phonenumbers would parse as country code 1 and those digits; else None."""
    if not _SHAPE.match(text):
        return None
    digits = text.translate(_DROP)
    if text[0] == "+":
        nsn = digits[1:] if len(digits) == 11 and digits[0] == "1" else None
    elif region in _plain_nanp_regions():
        nsn = digits if len(digits) == 10 else digits[1:] if len(digits) == 11 and digits[0] == "1" else None
    else:
        nsn = None
    return nsn if nsn and nsn[0] in "23456789" else None


@lru_cache(maxsize=1)
def _plain_nanp_regions() -> frozenset[str]:
    """NANP regions where a number without "+" parses as phonenumbers does for the US: the national prefix
    for parsing is "1" with no rewriting rule, and no national number is 11 digits long (so "1" and 10 digits
    always loses its "1"). US, CA, DO, JM, PR; the Caribbean islands that prepend their area code to 7-digit
    local numbers are not."""
    plain = set()
    for region in COUNTRY_CODE_TO_REGION_CODE[1]:
        metadata = PhoneMetadata.metadata_for_region(region)
        lengths = metadata.general_desc.possible_length or (0,)
        if (metadata.national_prefix_for_parsing in (None, "1") and metadata.national_prefix_transform_rule is None
                and max(lengths) < 11):
            plain.add(region)
    return frozenset(plain)


_PREFIXES: list[UsPrefixes] = []


def us_answer(nsn: str, slow: Callable[[], tuple[int, tuple[str, ...]] | None]) -> tuple[int, tuple[str, ...]] | None:
    """(phone number type, time zones) of the US number `nsn`: from a proven prefix, else from `slow()` (the
    full phonenumbers way), learnt for its prefix when the type is not UNKNOWN. None when `slow` says the
    number is not a US one (let the caller go the full way)."""
    if not _PREFIXES:
        _PREFIXES.append(UsPrefixes())
    prefixes = _PREFIXES[0]
    found = prefixes.lookup(nsn)
    if found is None:
        found = slow()
        if found is None or found[0] == PhoneNumberType.UNKNOWN:
            return None
        prefixes.learn(nsn, found)
    return found
