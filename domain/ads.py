"""Ad copy rules per platform (FIELD.md section 6): limits, validation with a reason per violation, lengths per
variant, and a repair that shortens at word boundaries (never mid-word). Pure functions.

A variant is a dict of text fields:
- google (responsive search ad): headlines [3-15 x <=30], descriptions [2-4 x <=90], path1/path2 (<=15, optional),
  final_url (optional);
- facebook (Meta): primary_text (~125 shown before "See more"), headline (40), description (30, optional), final_url;
- linkedin (single-image Sponsored Content): intro (150 shown before truncation), headline (70 recommended, 200 max),
  description (100, optional), final_url; the copy may not name LinkedIn.

Lengths are counted in characters (Unicode code points). `limit` is what we write to; `hard_max` is where the platform
refuses the text (None where no hard maximum is documented). Over `limit` but within `hard_max` is a warning (the text
is truncated when shown); over `hard_max`, or over a limit that is itself the hard one, is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from domain.wording import noun

PLATFORMS = ("google", "facebook", "linkedin")
STATUSES = ("draft", "active", "paused", "ended")
_ALIASES = {"meta": "facebook", "fb": "facebook", "instagram": "facebook", "facebook": "facebook",
            "google": "google", "google ads": "google", "adwords": "google", "rsa": "google", "search": "google",
            "linkedin": "linkedin", "li": "linkedin", "linked in": "linkedin"}
# Allowed status changes: a campaign that ended stays ended.
_TRANSITIONS = {"draft": {"active", "ended"}, "active": {"paused", "ended"}, "paused": {"active", "ended"},
                "ended": set()}


class AdRuleError(ValueError):
    """Bad platform, field, status change or copy; the message says what and why."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    limit: int
    hard_max: int | None
    many: bool = False  # a list of texts (Google headlines/descriptions)
    min_count: int = 1  # for a list: how many at least; for a text: 1 = required, 0 = optional
    max_count: int = 1


SPECS: dict[str, tuple[FieldSpec, ...]] = {
    "google": (FieldSpec("headlines", 30, 30, many=True, min_count=3, max_count=15),
               FieldSpec("descriptions", 90, 90, many=True, min_count=2, max_count=4),
               FieldSpec("path1", 15, 15, min_count=0), FieldSpec("path2", 15, 15, min_count=0)),
    "facebook": (FieldSpec("primary_text", 125, 2200), FieldSpec("headline", 40, None),
                 FieldSpec("description", 30, None, min_count=0)),
    "linkedin": (FieldSpec("intro", 150, 600), FieldSpec("headline", 70, 200),
                 FieldSpec("description", 100, 300, min_count=0)),
}
URL_FIELD = "final_url"
_LINKEDIN_NAME = re.compile(r"\blinked\s*-?\s*in\b", re.IGNORECASE)
_LINKEDIN_PHRASE = re.compile(r"\s*\b(?:on|via|from|at|through)?\s*linked\s*-?\s*in\b('s)?", re.IGNORECASE)
_DANGLING = {"a", "an", "and", "or", "the", "for", "with", "to", "of", "in", "on", "at", "by", "from", "your", "our",
             "&", "-", "–", "—", "|", "+", "but", "so", "as", "is", "are", "that"}


@dataclass(frozen=True)
class Violation:
    field: str
    index: int | None  # position in a list field (0-based), None for a text field
    severity: str  # "error" (the platform refuses it) or "warning" (shown truncated)
    reason: str
    length: int | None = None
    limit: int | None = None

    def describe(self) -> str:
        where = self.field if self.index is None else f"{self.field} {self.index + 1}"
        return f"{where}: {self.reason}"


def normalise_platform(name: str) -> str:
    key = " ".join((name or "").lower().replace("_", " ").split())
    if key in _ALIASES:
        return _ALIASES[key]
    raise AdRuleError(f"unknown ad platform {name!r}: use google, facebook (meta) or linkedin")


def check_status_change(current: str, new: str) -> str:
    if new not in STATUSES:
        raise AdRuleError(f"unknown status {new!r}: use one of {', '.join(STATUSES)}")
    if new != current and new not in _TRANSITIONS[current]:
        raise AdRuleError(f"an ad campaign that is {current} cannot become {new}")
    return new


def spec(platform: str, field: str) -> FieldSpec:
    for item in SPECS[platform]:
        if item.name == field:
            return item
    names = ", ".join([s.name for s in SPECS[platform]] + [URL_FIELD])
    raise AdRuleError(f"{platform} ads have no field {field!r}: the fields are {names}")


def clean(text: Any) -> str:
    """One line of text: whitespace collapsed, ends trimmed."""
    return " ".join(str(text or "").split())


def normalise_variant(platform: str, variant: dict[str, Any]) -> dict[str, Any]:
    """The variant with known fields only, texts cleaned, list fields as lists; unknown fields are an error."""
    known = {s.name for s in SPECS[platform]} | {URL_FIELD}
    unknown = sorted(set(variant) - known - {"lengths"})
    if unknown:
        raise AdRuleError(f"{platform} ads have no {noun(len(unknown), 'field')} {', '.join(unknown)}: the fields are {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    for item in SPECS[platform]:
        value = variant.get(item.name)
        if item.many:
            items = [value] if isinstance(value, str) else list(value or [])
            out[item.name] = [clean(v) for v in items if clean(v)]
        else:
            out[item.name] = clean(value[0] if isinstance(value, list) and value else value or "")
    out[URL_FIELD] = clean(variant.get(URL_FIELD))
    return out


def lengths(platform: str, variant: dict[str, Any]) -> dict[str, Any]:
    """Characters per field: a list of lengths for list fields."""
    out: dict[str, Any] = {}
    for item in SPECS[platform]:
        value = variant.get(item.name)
        out[item.name] = [len(v) for v in value or []] if item.many else len(value or "")
    return out


def validate_variant(platform: str, variant: dict[str, Any]) -> list[Violation]:
    """Every rule the variant breaks, each with a reason. An empty list means the copy fits without truncation."""
    found: list[Violation] = []
    for item in SPECS[platform]:
        value = variant.get(item.name)
        if item.many:
            found += _check_list(item, list(value or []))
        elif value:
            found += _check_text(item, None, value)
        elif item.min_count:
            found.append(Violation(item.name, None, "error", "is required"))
    found += _check_rules(platform, variant)
    return found


def _check_list(item: FieldSpec, values: list[str]) -> list[Violation]:
    found: list[Violation] = []
    if len(values) < item.min_count:
        found.append(Violation(item.name, None, "error", f"needs at least {item.min_count}, has {len(values)}"))
    if len(values) > item.max_count:
        found.append(Violation(item.name, None, "error", f"allows at most {item.max_count}, has {len(values)}"))
    seen: set[str] = set()
    for i, text in enumerate(values):
        found += _check_text(item, i, text)
        if text.lower() in seen:
            found.append(Violation(item.name, i, "error", "repeats an earlier one (each must be unique)"))
        seen.add(text.lower())
    return found


def _check_text(item: FieldSpec, index: int | None, text: str) -> list[Violation]:
    size = len(text)
    if not text.strip():
        return [Violation(item.name, index, "error", "is empty")]
    if item.hard_max is not None and size > item.hard_max:
        return [Violation(item.name, index, "error", f"is {size} characters; the platform allows at most "
                          f"{item.hard_max}", size, item.hard_max)]
    if size > item.limit:
        return [Violation(item.name, index, "warning", f"is {size} characters; only the first {item.limit} are "
                          "shown before it is truncated", size, item.limit)]
    return []


def _check_rules(platform: str, variant: dict[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    if platform == "google":
        for i, text in enumerate(variant.get("headlines") or []):
            if "!" in text:
                found.append(Violation("headlines", i, "error", "has '!' (Google does not allow it in headlines)"))
        if variant.get("path2") and not variant.get("path1"):
            found.append(Violation("path2", None, "error", "needs path1 first"))
        for name in ("path1", "path2"):
            if re.search(r"\s|/", variant.get(name) or ""):
                found.append(Violation(name, None, "error", "may not contain spaces or '/'; join words with '-'"))
    if platform == "linkedin":
        for item in SPECS[platform]:
            if _LINKEDIN_NAME.search(variant.get(item.name) or ""):
                found.append(Violation(item.name, None, "error", "names LinkedIn, which LinkedIn ads may not do"))
    url = variant.get(URL_FIELD)
    if url and not is_web_url(url):
        found.append(Violation(URL_FIELD, None, "error", "must be an http(s) address like https://example.com/offer"))
    return found


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "")


def is_valid(violations: list[Violation]) -> bool:
    return not violations


def errors(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity == "error"]


# --- repair --------------------------------------------------------------------------------------------------------

def shorten(text: str, limit: int) -> str | None:
    """The text within `limit` characters, cut only between words: whole leading sentences when they keep at least
    half the room, else whole words, without a dangling 'and'/'for'/'-' at the end. None if even the first word is
    too long."""
    text = clean(text)
    if len(text) <= limit:
        return text
    sentences = re.split(r"(?<=[.!?])\s+", text)
    kept = ""
    for sentence in sentences:
        candidate = f"{kept} {sentence}".strip()
        if len(candidate) > limit:
            break
        kept = candidate
    if kept and len(kept) * 2 >= limit:
        return kept
    words: list[str] = []
    for word in text.split(" "):
        if len(" ".join([*words, word])) > limit:
            break
        words.append(word)
    while words and words[-1].lower().strip(",;:.") in _DANGLING:
        words.pop()
    result = " ".join(words).rstrip(",;:-–—|&+ ")
    return result or None


def _drop_linkedin(text: str) -> str:
    return clean(_LINKEDIN_PHRASE.sub("", text)).strip(" ,;:-")


def slug(text: str, limit: int) -> str:
    """A display-path slug (words joined by '-') within `limit`, cut between words."""
    short = shorten(re.sub(r"[/\s_]+", " ", text).replace("-", " "), limit)
    return (short or "").replace(" ", "-")


def repair_variant(platform: str, variant: dict[str, Any],
                   fallback: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """A copy of the variant shortened and tidied to fit every limit, and notes saying what was changed. Lists are
    de-duplicated and capped; too few items are topped up from `fallback` (a template variant) when given. What
    cannot be repaired is left for `validate_variant` to report."""
    fixed = normalise_variant(platform, variant)
    notes: list[str] = []
    for item in SPECS[platform]:
        if item.many:
            fixed[item.name] = _repair_list(platform, item, fixed[item.name], (fallback or {}).get(item.name), notes)
        elif fixed[item.name]:
            fixed[item.name] = _repair_text(platform, item, fixed[item.name], notes)
        elif item.min_count and fallback and fallback.get(item.name):
            fixed[item.name] = fallback[item.name]
            notes.append(f"{item.name}: was missing, filled from the template")
    if platform == "google" and fixed.get("path2") and not fixed.get("path1"):
        fixed["path1"], fixed["path2"] = fixed["path2"], ""
        notes.append("path1: moved path2 into path1")
    return fixed, notes


def _repair_text(platform: str, item: FieldSpec, text: str, notes: list[str], index: int | None = None) -> str:
    where = item.name if index is None else f"{item.name} {index + 1}"
    original = text
    if platform == "linkedin" and _LINKEDIN_NAME.search(text):
        text = _drop_linkedin(text)
    if platform == "google" and item.name == "headlines":
        text = clean(text.replace("!", ""))
    if platform == "google" and item.name.startswith("path"):
        text = slug(text, item.limit)
    elif len(text) > item.limit:
        text = shorten(text, item.limit) or ""
    if text != original:
        notes.append(f"{where}: {original!r} -> {text!r}" if text else f"{where}: {original!r} could not be shortened "
                     "without cutting a word; dropped")
    return text


def _repair_list(platform: str, item: FieldSpec, values: list[str], fallback: list[str] | None,
                 notes: list[str]) -> list[str]:
    out: list[str] = []
    for i, text in enumerate(values):
        text = _repair_text(platform, item, text, notes, i)
        if text and text.lower() not in {o.lower() for o in out}:
            out.append(text)
        elif text:
            notes.append(f"{item.name} {i + 1}: duplicate {text!r} dropped")
    if len(out) > item.max_count:
        notes.append(f"{item.name}: kept the first {item.max_count} of {len(out)}")
        out = out[: item.max_count]
    for extra in fallback or []:
        if len(out) >= item.min_count:
            break
        if extra.lower() not in {o.lower() for o in out}:
            out.append(extra)
            notes.append(f"{item.name}: added {extra!r} from the template to reach {item.min_count}")
    return out


def apply_edit(platform: str, variant: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """The variant with one edit: `headlines` (whole list), `headlines.3` (the third, 1-based; an index one past the
    end appends; an empty text removes it), or a text field. Raises AdRuleError for unknown fields or positions."""
    name, _, pos = key.partition(".")
    if name == URL_FIELD:
        return {**variant, URL_FIELD: clean(value)}
    item = spec(platform, name)
    edited = dict(variant)
    if not pos:
        edited[name] = value if item.many else clean(value)
        return edited
    if not item.many or not pos.isdigit():
        raise AdRuleError(f"{key!r}: only list fields take a position, like headlines.3")
    items, index = list(variant.get(name) or []), int(pos) - 1
    if not 0 <= index <= len(items):
        raise AdRuleError(f"{key!r}: there are {len(items)} {name}; use 1 to {len(items) + 1}")
    text = clean(value)
    if index == len(items):
        items.append(text)
    elif text:
        items[index] = text
    else:
        items.pop(index)
    edited[name] = items
    return edited
