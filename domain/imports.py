"""Import rules, pure: header synonyms -> contact fields, one row -> a contact dict with per-field problems,
and the merge policy (fill / overwrite / skip) for a contact that already exists.

A row is kept when it has at least one usable address (a valid email or a valid phone); the unusable one is
reported for that line. A row with neither is rejected with its reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from domain.contacts import clean_name, split_full_name
from domain.fastnorm import (
    fast_email,
    fast_phone,
    fast_website,
    known_timezone,
    normalise_country,
    timezone_for_place,
)
from domain.folding import fold
from domain.import_consent import TARGETS as CONSENT_TARGETS
from domain.import_consent import channels, consent_target, reading
from domain.import_headers import AMBIGUOUS, attribute_key, header_key, synonym

POLICIES = ("fill", "overwrite", "skip")
MAX_TAGS = 50
MAX_ATTRIBUTE = 2000
LIMITS = {"email": 320, "phone": 40, "phone_ext": 20, "first_name": 200, "last_name": 200, "name": 400,
          "company": 300, "job_title": 300, "website": 500, "city": 200, "region": 200, "postal_code": 20,
          "country": 100, "timezone": 64, "tags": 4000}
TARGETS = tuple(LIMITS)  # what a column can map to, besides "ignore" and "attributes.<key>"
SCALARS = ("email", "phone", "phone_ext", "first_name", "last_name", "company", "job_title", "website", "domain",
           "city", "region", "postal_code", "country", "timezone")

@dataclass
class Mapping:
    """Column header -> target ("email", ..., "ignore", or "attributes.<key>"), in file order."""

    columns: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    @property
    def has_address(self) -> bool:
        return any(t in ("email", "phone") for t in self.columns.values())


def propose_mapping(headers: list[str]) -> Mapping:
    """Guess a target for each header from its synonyms; unknown columns go to attributes.
    A second column for the same field goes to attributes too (and a warning says so)."""
    columns: dict[str, str] = {}
    warnings: list[str] = []
    used: set[str] = set()
    for index, header in enumerate(headers):
        name, n = header, index + 1
        while name in columns:  # a repeated header gets its position (and more if a header already has that name)
            name, n = f"{header} ({n})", n + 1
        target = synonym(header) or consent_target(header)
        if target and target in used and target not in CONSENT_TARGETS:  # consent columns all apply
            warnings.append(f"column {name!r} looks like {target} too; the first one is used, this one is kept "
                            "in attributes")
            target = ""
        if target:
            used.add(target)
        columns[name] = target or f"attributes.{attribute_key(header, index)}"
    _resolve_ambiguous(columns)
    mapping = Mapping(columns, warnings)
    if not mapping.has_address:
        warnings.append("no email or phone column found: map one (e.g. --map 'Col=email'), or every row is "
                        "rejected")
    return mapping


def _resolve_ambiguous(columns: dict[str, str]) -> None:
    """"Nom" / "Nombre" / "Nome" is half of a name only beside the other half; alone it is the full name."""
    targets = set(columns.values())
    for header, target in columns.items():
        whole = AMBIGUOUS.get(header_key(header))
        other = {"first_name": "last_name", "last_name": "first_name"}.get(target)
        if whole and other and other not in targets and whole not in targets:
            columns[header] = whole
            targets.add(whole)


def apply_overrides(mapping: Mapping, overrides: dict[str, str] | None) -> Mapping:
    """Apply `{"Column": "field"}` changes (from the chat confirmation or `--map col=field`)."""
    columns = dict(mapping.columns)
    by_key = {header_key(h): h for h in columns}
    for column, target in (overrides or {}).items():
        header = column if column in columns else by_key.get(header_key(column))
        if header is None:
            raise ValueError(f"--map: no column {column!r} in the file; columns: {', '.join(columns)}")
        columns[header] = check_target(target)
    result = Mapping(columns, [w for w in mapping.warnings if not w.startswith("no email or phone")])
    if not result.has_address:
        result.warnings.append("no email or phone column is mapped: every row would be rejected")
    return result


def check_target(target: str) -> str:
    target = target.strip()
    if target in TARGETS or target == "ignore" or target in CONSENT_TARGETS:
        return target
    if target.startswith("attributes.") and re.fullmatch(r"attributes\.[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}", target):
        return target
    raise ValueError(f"unknown field {target!r}: use one of {', '.join(TARGETS)}, ignore, attributes.<key>, "
                     f"or a consent column: {', '.join(CONSENT_TARGETS)}")


def parse_map_args(items: list[str] | None) -> dict[str, str]:
    """`["E-mail=email", "Cell=phone"]` -> dict; a clear error for anything without '='."""
    out: dict[str, str] = {}
    for item in items or []:
        column, sep, target = item.partition("=")
        if not sep or not column.strip():
            raise ValueError(f"--map takes COLUMN=FIELD, got {item!r}")
        out[column.strip()] = check_target(target)
    return out


@dataclass(frozen=True)
class Issue:
    column: str | None
    reason: str
    value: str | None = None


@dataclass
class RowOutcome:
    contact: dict[str, Any]  # normalised fields, only the non-empty ones; "attributes" and "tags" when given
    issues: list[Issue]
    rejected: str | None = None  # the reason when the row cannot be imported


_ORDER = {"country": 0, "region": 1}  # country first: it is the phone's default region


def build_plan(mapping: Mapping) -> list[tuple[int, str, str]]:
    """(cell index, header, target) for every mapped column, country first."""
    plan = [(i, h, t) for i, (h, t) in enumerate(mapping.columns.items()) if t != "ignore"]
    return sorted(plan, key=lambda p: _ORDER.get(p[2], 2))


def normalise_row(cells: list[str], plan: list[tuple[int, str, str]], default_region: str = "US") -> RowOutcome:
    """One row's cells -> a contact (normalised, non-empty fields only), the problems per cell, and the reason
    when the row has no usable address."""
    return _normalise(cells, _compile(tuple(plan)), default_region)


def normalise_records(records: list[tuple[int, list[str] | None, str | None]], plan: list[tuple[int, str, str]],
                      default_region: str, width: int) -> list[tuple[int, RowOutcome]]:
    """normalise_row for a batch of (line, cells, read error) records; a record that could not be read is
    rejected with its reason, a ragged one (not `width` cells) is reported but kept. Runs in worker processes
    for large files, so it takes and returns plain picklable data."""
    steps = _compile(tuple(plan))
    out = []
    for line, cells, error in records:
        if error:
            out.append((line, RowOutcome({}, [], error)))
            continue
        outcome = _normalise(cells or [], steps, default_region)
        if cells is not None and len(cells) != width:
            what = "extra cells ignored" if len(cells) > width else "missing cells read as empty"
            outcome.issues.insert(0, Issue(None, f"row has {len(cells)} cells, the header has {width}: {what}"))
        out.append((line, outcome))
    return out


_Setter = Callable[[dict[str, Any], str, dict[str, Any]], "str | None"]


def _normalise(cells: list[str], steps: tuple[tuple[int, str, _Setter, int, bool], ...],
               default_region: str) -> RowOutcome:
    contact: dict[str, Any] = {}
    issues: list[Issue] = []
    state = {"region": default_region, "name": None, "zone": None}
    address_errors: list[str] = []
    width = len(cells)
    for index, header, setter, limit, is_address in steps:
        if index >= width:
            continue
        raw = cells[index]
        if "\x00" in raw:
            raw = raw.replace("\x00", "")  # NUL: never data
        raw = raw.strip()
        if not raw:
            continue
        if raw[0] == "'" and len(raw) > 1 and raw[1] in "=+-@":
            raw = raw[1:]  # a cell neutralised by our own export (domain.csv_safety)
        if len(raw) > limit:
            issues.append(Issue(header, f"value too long ({len(raw):,} characters, at most {limit:,}); dropped",
                                raw[:100]))
            continue
        error = setter(contact, raw, state)
        if error:
            issues.append(Issue(header, error, raw[:200]))
            if is_address:
                address_errors.append(error)
    _finish_names(contact, state["name"])
    if not contact.get("email") and not contact.get("phone"):
        why = "; ".join(address_errors) if address_errors else "no email and no phone"
        return RowOutcome({}, issues, f"no usable address: {why}")
    if "timezone" not in contact:
        zone = state["zone"] or timezone_for_place(contact.get("country"), contact.get("region"))
        if zone:
            contact["timezone"] = zone
    return RowOutcome(contact, issues)


@lru_cache(maxsize=64)
def _compile(plan: tuple[tuple[int, str, str], ...]) -> tuple[tuple[int, str, _Setter, int, bool], ...]:
    """(cell index, header, setter, length limit, is an address) for each mapped column, in plan order."""
    steps = []
    for index, header, target in plan:
        if target.startswith("attributes."):
            steps.append((index, header, _attribute_setter(target.split(".", 1)[1]), MAX_ATTRIBUTE, False))
        elif target in CONSENT_TARGETS:
            steps.append((index, header, _consent_setter(target, header), MAX_ATTRIBUTE, False))
        else:
            steps.append((index, header, _SETTERS.get(target) or _name_setter(target), LIMITS[target],
                           target in ("email", "phone")))
    return tuple(steps)


def _attribute_setter(key: str) -> _Setter:
    def setter(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> None:
        contact.setdefault("attributes", {})[key] = raw
    return setter


def _consent_setter(target: str, header: str) -> _Setter:
    """A consent/opt-out cell: the channels it opts out go to contact["optout"] (channel -> why); an unclear value
    opts out too and is reported (domain.import_consent)."""
    out_of = channels(target)

    def setter(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> str | None:
        opted_out, unclear = reading(target, raw)
        if opted_out:
            why = f"import: {header[:80]} = {raw[:60]}"
            bucket = contact.setdefault("optout", {})
            for channel in out_of:
                bucket.setdefault(channel, why)
        if unclear:
            return (f"unclear consent value {raw[:60]!r}: not read as consent; opted out of "
                    f"{' and '.join(out_of)}")
        return None
    return setter


def _name_setter(target: str) -> _Setter:
    def setter(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> None:
        contact[target] = clean_name(raw)
    return setter


def _set_email(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> str | None:
    value, error = fast_email(raw)
    if value:
        contact["email"] = value
    return error


def _set_phone(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> str | None:
    value, ext, zone, error = fast_phone(raw, state["region"])
    if value:
        contact["phone"] = value
        if ext:
            contact["phone_ext"] = ext
        state["zone"] = zone
    return error


def _set_website(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> str | None:
    value, domain, error = fast_website(raw)
    if value:
        contact["website"], contact["domain"] = value, domain
    return error


def _set_country(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> str | None:
    code = normalise_country(raw)
    if not code:
        return f"unknown country {raw!r}: use a name or a two-letter code"
    contact["country"] = state["region"] = code
    return None


def _set_timezone(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> str | None:
    zone = known_timezone(raw)
    if not zone:
        return f"unknown time zone {raw!r}: use an IANA name like America/Chicago"
    contact["timezone"] = zone
    return None


def _set_tags(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> None:
    contact["tags"] = list(_cell_tags(raw))


@lru_cache(maxsize=4096)  # a file repeats a few tag cells
def _cell_tags(raw: str) -> tuple[str, ...]:
    return tuple(normalise_tags(raw))


def _set_full_name(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> None:
    state["name"] = raw


def _set_phone_ext(contact: dict[str, Any], raw: str, state: dict[str, Any]) -> None:
    contact["phone_ext"] = re.sub(r"\D", "", raw)[:20] or None


_SETTERS: dict[str, _Setter] = {
    "email": _set_email, "phone": _set_phone, "website": _set_website, "country": _set_country,
    "timezone": _set_timezone, "tags": _set_tags, "name": _set_full_name, "phone_ext": _set_phone_ext}


def _finish_names(contact: dict[str, Any], full: str | None) -> None:
    if full:
        first, last = split_full_name(full)
        if first and not contact.get("first_name"):
            contact["first_name"] = first[:200]
        if last and not contact.get("last_name"):
            contact["last_name"] = last[:200]


_TAG_SPLIT = re.compile(r"[,;|]")


def normalise_tags(raw: str | list[str] | None) -> list[str]:
    """Tags lower-case without accents ("Café" -> "cafe", so filters match however people type them), trimmed,
    unique, in order; a text is split on , ; |. At most 50, 64 characters each."""
    items = _TAG_SPLIT.split(raw) if isinstance(raw, str) else list(raw or [])
    out: list[str] = []
    for item in items:
        tag = fold(" ".join(str(item).split()))[:64]
        if tag and tag not in out:
            out.append(tag)
    return out[:MAX_TAGS]


def merge(existing: dict[str, Any], incoming: dict[str, Any], policy: str) -> dict[str, Any]:
    """The changes to make to an existing contact. fill: only blank fields; overwrite: every field the row
    gives; skip: nothing. Tags are always added (never removed); attributes follow the policy key by key.
    The email of an existing contact is never replaced by an import (only filled when blank)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}: use one of {', '.join(POLICIES)}")
    if policy == "skip":
        return {}
    changes: dict[str, Any] = {}
    for name in SCALARS:
        new = incoming.get(name)
        if new in (None, ""):
            continue
        old = existing.get(name)
        blank = old in (None, "")
        if blank or (policy == "overwrite" and name != "email" and old != new):
            if old != new:
                changes[name] = new
    tags = incoming.get("tags") or []
    old_tags = list(existing.get("tags") or [])
    if any(t not in old_tags for t in tags):
        changes["tags"] = old_tags + [t for t in tags if t not in old_tags]
    attrs = incoming.get("attributes") or {}
    old_attrs = dict(existing.get("attributes") or {})
    new_attrs = dict(old_attrs)
    for key, value in attrs.items():
        if key not in old_attrs or old_attrs[key] in (None, "") or policy == "overwrite":
            new_attrs[key] = value
    if new_attrs != old_attrs:
        changes["attributes"] = new_attrs
    return changes
