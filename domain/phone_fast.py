"""A fast path for phone numbers that gives exactly phonenumbers' answers (pure).

phonenumbers spends ~45 us parsing a number and deciding its type with a dozen regular expressions. For a
plainly written number that work depends only on its country calling code and its national digits, and the
regular expressions only look at the first few of those (area code and exchange): `(?:212|...)[2-9]\\d{6}`.
So the answer for one number holds for every number of the same country and length that starts with the same
digits -- *when the patterns provably cannot tell them apart*. This module proves that for each prefix it
caches: each pattern of the country's main region is turned into an automaton over the digits 0-9 and, after
reading the prefix, it must accept either every completion of the remaining length or none. The time zone
table is checked the same way (no longer key starts with the prefix). Only then is phonenumbers' own answer
for the first number (`learn`) reused for the others (`lookup`).

Which inputs take the fast path (anything else goes the full phonenumbers way), see `national_number`:
- digits with spaces, dots, dashes and parentheses only, and an optional leading "+";
- with "+": a country calling code and the rest; without: the default region's country, when the digits do
  not start with its international prefix (00, 011, ...) or its country code; for the US, Canada, the
  Dominican Republic, Jamaica and Puerto Rico also "1" and 10 digits;
- the national digits do not start with the national prefix (0, 1, ...) of the region whose rules parse them,
  and have 2 to 17 digits.
For those inputs phonenumbers' parse yields that country code and those national digits (it ignores the
punctuation allowed here and strips nothing). The answer is reused only where the country's main region
(first in phonenumbers' list, without a leading-digits rule) decides it: a valid number of that region, or an
invalid one in a country with a single region. tests/unit/test_phone_fast.py checks equality on random
inputs over many regions."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

try:  # the parse tree of CPython's own regular expression parser: private, so checked by fast_path_fits()
    from re import _constants as sre
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover - a Python without them: every number takes the full phonenumbers way
    sre = sre_parse = None  # type: ignore[assignment]

from phonenumbers import PhoneMetadata, PhoneNumberType
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.tzdata import TIMEZONE_DATA

DIGITS = "0123456789"
_SHAPE = re.compile(r"\+?[0-9 ().\-]+\Z")
_DROP = str.maketrans("", "", " ().-+")
_DESCS = ("general_desc", "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
          "voicemail", "fixed_line", "mobile")
MIN_PREFIX = 2


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


Answer = tuple[int, tuple[str, ...]]  # phonenumbers' number type, time zones


class CountryPrefixes:
    """One country's (type, time zones) answers by the shortest prefix proven to decide them, per length."""

    def __init__(self, main_region: str, country_code: int) -> None:
        self.metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, main_region)
        self.single_region = len(COUNTRY_CODE_TO_REGION_CODE[country_code]) == 1
        self.automata: dict[str, Automaton] = {}
        code = str(country_code)
        self.zone_inner = {k[len(code):j] for k in TIMEZONE_DATA if k.startswith(code) for j in range(len(code), len(k))}
        self.known: dict[tuple[int, str], Answer] = {}

    def lookup(self, nsn: str) -> Answer | None:
        length, known = len(nsn), self.known
        for k in range(MIN_PREFIX, length + 1):
            found = known.get((length, nsn[:k]))
            if found is not None:
                return found
        return None

    def learn(self, nsn: str, answer: Answer) -> None:
        """Remember phonenumbers' answer for `nsn` under its shortest deciding prefix (if any is shorter than
        the number itself, the whole number is one)."""
        length = len(nsn)
        try:
            patterns = self._patterns(length)
        except ValueError:  # a pattern this module cannot read (none in phonenumbers 9): nothing is proven
            return
        def decided(k: int) -> bool:
            prefix = nsn[:k]
            return prefix not in self.zone_inner and all(a.decided_by(prefix, length) for a in patterns)

        if not decided(length):
            return
        low, high = MIN_PREFIX, length  # deciding is monotone (a longer prefix has fewer completions): bisect
        while low < high:
            middle = (low + high) // 2
            if decided(middle):
                high = middle
            else:
                low = middle + 1
        self.known[(length, nsn[:low])] = answer

    def _patterns(self, length: int) -> list[Automaton]:
        """The automata of every pattern phonenumbers' type check may test on a number of this length."""
        out = []
        for name in _DESCS:
            desc = getattr(self.metadata, name)
            if desc is None or not desc.national_number_pattern:
                continue  # never matches: decided
            if desc.possible_length and length not in desc.possible_length:
                continue  # the length check fails first: decided
            pattern = desc.national_number_pattern
            if pattern not in self.automata:
                self.automata[pattern] = Automaton(pattern)
            out.append(self.automata[pattern])
        return out


@lru_cache(maxsize=1)
def fast_path_fits() -> bool:
    """Whether the private APIs this module reads still look as it expects: CPython's re._parser tree (a known
    pattern's automaton gives known verdicts) and phonenumbers' metadata internals. When not, national_number
    answers None and every number takes the full phonenumbers way: the same answers, slower. pyproject.toml
    bounds both (requires-python, phonenumbers) to the versions tests/unit/test_phone_fast.py passed on."""
    if sre_parse is None:
        return False
    try:
        probe = Automaton(r"(?:212|3[0-4]5)[2-9]\d{2}")
        verdicts = (probe.decided_by("2122", 6), probe.decided_by("4", 6), probe.decided_by("212", 6))
        us = PhoneMetadata.metadata_for_region("US")
        return (verdicts == (True, True, False) and COUNTRY_CODE_TO_REGION_CODE[1][0] == "US"
                and us is not None and us.country_code == 1 and hasattr(us, "leading_digits")
                and isinstance(TIMEZONE_DATA.get("1212"), tuple))
    except Exception:  # noqa: BLE001 - any surprise in a private API means: do not use it
        return False


def national_number(text: str, region: str) -> tuple[int, str] | None:
    """(country calling code, national digits) when `text` (extension and "00" already handled) is written
    plainly enough that phonenumbers' parse is known to give exactly that; else None (see the module doc)."""
    if not _SHAPE.match(text) or not fast_path_fits():
        return None
    digits = text.translate(_DROP)
    if text[0] == "+":
        code, rest = _split_country_code(digits)
        if not code:
            return None
        rules = PhoneMetadata.metadata_for_region_or_calling_code(code, COUNTRY_CODE_TO_REGION_CODE[code][0])
        if rules is None:
            return None
    else:
        rules = PhoneMetadata.metadata_for_region(region)
        if rules is None:
            return None
        code, rest = rules.country_code, digits
        if code == 1 and region in _plain_nanp_regions() and len(digits) == 11 and digits[0] == "1":
            rest = digits[1:]  # "1" and 10 digits: the country code, stripped (no NANP number has 11 digits)
        elif _starts_international(rules, digits) or digits.startswith(str(code)):
            return None
    prefix = rules.national_prefix_for_parsing
    if not 2 <= len(rest) <= 17 or (prefix and _compiled(prefix).match(rest)):
        return None
    return code, rest


def _split_country_code(digits: str) -> tuple[int, str]:
    if not digits or digits[0] == "0":
        return 0, digits
    for size in range(1, min(len(digits), 3) + 1):
        code = int(digits[:size])
        if code in COUNTRY_CODE_TO_REGION_CODE:
            return code, digits[size:]
    return 0, digits


def _starts_international(rules: PhoneMetadata, digits: str) -> bool:
    return bool(rules.international_prefix and _compiled(rules.international_prefix).match(digits))


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


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


_COUNTRIES: dict[int, CountryPrefixes | None] = {}


def country_prefixes(code: int) -> CountryPrefixes | None:
    """The prefix cache of a country calling code; None when its main region has a leading-digits rule (its
    numbers are then not decided by the main region's patterns alone)."""
    if code not in _COUNTRIES:
        main = COUNTRY_CODE_TO_REGION_CODE[code][0]
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, main)
        _COUNTRIES[code] = CountryPrefixes(main, code) if metadata and metadata.leading_digits is None else None
    return _COUNTRIES[code]


def cached_answer(code: int, nsn: str, full: Callable[[], tuple[Answer, bool] | None]) -> Answer | None:
    """(type, time zones) of +`code` `nsn`: from a proven prefix, else from `full()` -- the full phonenumbers
    way, giving the answer and whether the country's main region decided it -- learnt for its prefix when
    it was. None when `full` says the parse was not the predicted one (the caller then goes the full way)."""
    prefixes = country_prefixes(code)
    if prefixes is None:
        return None
    found = prefixes.lookup(nsn)
    if found is None:
        result = full()
        if result is None:
            return None
        found, decided = result
        if decided and (found[0] != PhoneNumberType.UNKNOWN or prefixes.single_region):
            prefixes.learn(nsn, found)
    return found
