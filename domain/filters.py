"""The contact filter language: typed JSON, validated here, compiled to SQL in db/filters.py.

A filter is a condition `{"field": ..., "op": ..., "value": ...}` or a combination
`{"all": [filter, ...]}`, `{"any": [filter, ...]}`, `{"not": filter}`. A list at the top means "all".
`None` or `{}` matches every contact. Examples::

    {"field": "city", "op": "eq", "value": "Austin"}
    {"all": [{"field": "tags", "op": "has", "value": "vip"},
             {"not": {"field": "opted_out", "op": "eq", "value": "sms"}},
             {"field": "replied", "op": "within_days", "value": 30}]}

Fields and their operators are listed in FIELDS (see `describe_fields()`); an unknown field, an operator
that a field does not take, or a bad value raises FilterError naming the field and the operator. No SQL text
ever comes from the filter: db/filters.py maps each (field, op) to a fixed SQLAlchemy expression and passes
values as bound parameters.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

MAX_NODES = 200
MAX_DEPTH = 12
MAX_LIST = 5000
MAX_DAYS = 36_500
MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL): a larger number is no id

TEXT_OPS = ("eq", "neq", "in", "not_in", "contains", "starts_with", "present", "missing")
DATE_OPS = ("before", "after", "since", "within_days", "older_than_days", "present", "missing")
EVENT_OPS = DATE_OPS  # replied / booked / contacted: "ever" = present, "never" = missing

# field -> kind. Kinds: text, bool, date, tags, id, channel, campaign, event.
FIELDS: dict[str, str] = {
    "id": "id",
    "email": "text", "phone": "text", "first_name": "text", "last_name": "text", "name": "name",
    "company": "text", "job_title": "text", "website": "text", "domain": "text", "city": "text",
    "region": "text", "postal_code": "text", "country": "text", "timezone": "text", "source": "text",
    "enrichment_status": "text", "email_status": "text",
    "tags": "tags",
    "opted_out_sms": "bool", "opted_out_email": "bool", "is_sample": "bool",
    "opted_out": "channel",
    "created_at": "date", "updated_at": "date", "opted_out_sms_at": "date", "opted_out_email_at": "date",
    "contacted_in_campaign": "campaign",
    "contacted": "event", "texted": "event", "emailed": "event", "replied": "event", "booked": "event",
}

OPS: dict[str, tuple[str, ...]] = {
    "id": ("eq", "neq", "in", "not_in"),
    "text": TEXT_OPS,
    "name": ("eq", "contains", "starts_with", "present", "missing"),
    "tags": ("has", "has_any", "has_all", "present", "missing"),
    "bool": ("eq",),
    "channel": ("eq", "in"),
    "date": DATE_OPS,
    "campaign": ("eq", "in"),
    "event": EVENT_OPS,
}

ENRICHMENT_STATUSES = ("none", "pending", "running", "in_review", "approved", "partly_approved", "rejected", "failed")
CHANNEL_VALUES = ("sms", "email", "any", "all")
_ATTR_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}$")


class FilterError(ValueError):
    """A filter that cannot be used; the message names the field and operator and says what is allowed."""


@dataclass(frozen=True)
class Condition:
    field: str  # a FIELDS key, or "attributes.<key>"
    op: str
    value: Any = None

    @property
    def kind(self) -> str:
        return "text" if self.field.startswith("attributes.") else FIELDS[self.field]


@dataclass(frozen=True)
class All:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


Filter = Condition | All | AnyOf | Not


def describe_fields() -> dict[str, list[str]]:
    """Every field with the operators it takes (for the agent's prompt and for error messages)."""
    out = {name: list(OPS[kind]) for name, kind in FIELDS.items()}
    out["attributes.<key>"] = list(TEXT_OPS)
    return out


def parse(raw: Any) -> Filter | None:
    """Validate a filter given as JSON text or as Python data; None means "every contact"."""
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FilterError(f"the filter is not valid JSON: {exc.msg} at character {exc.pos}") from None
        except RecursionError:
            raise FilterError(f"the filter is nested too deeply: at most {MAX_DEPTH} levels") from None
    if raw is None or raw == {} or raw == []:
        return None
    counter = [0]
    return _node(raw, 0, counter)


def to_data(node: Filter | None) -> dict[str, Any] | None:
    """The JSON form of a parsed filter (what campaigns store in target_filter)."""
    if node is None:
        return None
    if isinstance(node, Condition):
        out: dict[str, Any] = {"field": node.field, "op": node.op}
        if isinstance(node.value, datetime):
            out["value"] = node.value.isoformat()
        elif isinstance(node.value, tuple):
            out["value"] = list(node.value)
        elif node.value is not None:
            out["value"] = node.value
        return out
    if isinstance(node, All):
        return {"all": [to_data(i) for i in node.items]}
    if isinstance(node, AnyOf):
        return {"any": [to_data(i) for i in node.items]}
    return {"not": to_data(node.item)}


def _node(raw: Any, depth: int, counter: list[int]) -> Filter:
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise FilterError(f"the filter is too large: at most {MAX_NODES} conditions")
    if depth > MAX_DEPTH:
        raise FilterError(f"the filter is nested too deeply: at most {MAX_DEPTH} levels")
    if isinstance(raw, list):
        raw = {"all": raw}
    if not isinstance(raw, dict):
        raise FilterError(f"a filter must be an object like {{\"field\", \"op\", \"value\"}}, got {raw!r:.80}")
    keys = set(raw)
    for combo, cls in (("all", All), ("any", AnyOf)):
        if combo in raw:
            if keys != {combo}:
                raise FilterError(f"'{combo}' must be alone in its object, found also {sorted(keys - {combo})}")
            items = raw[combo]
            if not isinstance(items, list) or not items:
                raise FilterError(f"'{combo}' takes a non-empty list of filters")
            return cls(tuple(_node(i, depth + 1, counter) for i in items))
    if "not" in raw:
        if keys != {"not"}:
            raise FilterError(f"'not' must be alone in its object, found also {sorted(keys - {'not'})}")
        return Not(_node(raw["not"], depth + 1, counter))
    return _condition(raw)


def _condition(raw: dict[str, Any]) -> Condition:
    extra = set(raw) - {"field", "op", "value"}
    if extra:
        raise FilterError(f"unknown keys {sorted(extra)} in a condition: use field, op, value (or all/any/not)")
    field, op = raw.get("field"), raw.get("op")
    if not isinstance(field, str) or not field:
        raise FilterError("a condition needs a 'field'; fields: " + ", ".join(sorted(FIELDS)))
    field = field.strip()
    if field.startswith("attributes."):
        key = field.split(".", 1)[1]
        if not _ATTR_KEY.match(key):
            raise FilterError(f"field {field!r}: an attribute key is 1-64 letters, digits, space, _ . -")
        kind = "text"
    elif field in FIELDS:
        kind = FIELDS[field]
    else:
        raise FilterError(f"unknown field {field!r}; fields: {', '.join(sorted(FIELDS))}, attributes.<key>")
    allowed = OPS[kind]
    if not isinstance(op, str) or op not in allowed:
        raise FilterError(f"field {field!r} does not take op {op!r}; it takes: {', '.join(allowed)}")
    value = _value(field, kind, op, raw.get("value"))
    return Condition(field, "after" if op == "since" else op, value)


def _value(field: str, kind: str, op: str, value: Any) -> Any:
    where = f"field {field!r} op {op!r}"
    if op in ("present", "missing"):
        if value not in (None, True):
            raise FilterError(f"{where} takes no value")
        return None
    if op in ("in", "not_in", "has_any", "has_all"):
        return _list(where, kind, field, value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise FilterError(f"{where} takes true or false, got {value!r:.80}")
        return value
    if kind in ("date", "event"):
        return _date_value(where, op, value)
    return _scalar(where, kind, field, value)


def _list(where: str, kind: str, field: str, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise FilterError(f"{where} takes a non-empty list")
    if len(value) > MAX_LIST:
        raise FilterError(f"{where}: at most {MAX_LIST} values")
    return tuple(_scalar(where, kind, field, v) for v in value)


def digits(text: str) -> bool:
    """Whether `text` is a whole number written in ASCII digits ("²" and "١٢" are digits to str.isdigit, and the
    first is no number int() reads)."""
    return text.isascii() and text.isdigit()


def _scalar(where: str, kind: str, field: str, value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise FilterError(f"{where}: the value contains a NUL character")
    if kind == "id":
        if isinstance(value, bool) or not isinstance(value, int | str) or not digits(str(value).strip()) \
                or int(value) > MAX_ID:
            raise FilterError(f"{where} takes a contact id (a whole number), got {value!r:.80}")
        return int(value)
    if kind == "campaign":
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
            raise FilterError(f"{where} takes a campaign id or name, got {value!r:.80}")
        if (isinstance(value, int) and not 0 <= value <= MAX_ID) or (
                isinstance(value, str) and digits(value.strip()) and int(value) > MAX_ID):
            raise FilterError(f"{where}: {value!r:.80} is not a campaign id")
        return value if isinstance(value, int) else value.strip()
    if kind == "channel":
        if value not in CHANNEL_VALUES:
            raise FilterError(f"{where} takes one of {', '.join(CHANNEL_VALUES)}, got {value!r:.80}")
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float) or str(value).strip() == "":
        raise FilterError(f"{where} takes a non-empty text value, got {value!r:.80}")
    text = str(value).strip()
    if len(text) > 500:
        raise FilterError(f"{where}: the value is longer than 500 characters")
    if field == "enrichment_status" and text not in ENRICHMENT_STATUSES:
        raise FilterError(f"{where}: enrichment status is one of {', '.join(ENRICHMENT_STATUSES)}")
    return text


def _date_value(where: str, op: str, value: Any) -> Any:
    if op in ("within_days", "older_than_days"):
        if isinstance(value, bool) or not isinstance(value, int | str) or not digits(str(value).strip()):
            raise FilterError(f"{where} takes a whole number of days, got {value!r:.80}")
        days = int(value)
        if not 0 < days <= MAX_DAYS:
            raise FilterError(f"{where}: days must be between 1 and {MAX_DAYS}")
        return days
    return parse_when(value, where)


def parse_when(value: Any, where: str = "date") -> datetime:
    """A date or datetime (ISO 8601 text, date or datetime) as a timezone-aware UTC datetime.
    A bare date means its start (00:00 UTC); a naive time is taken as UTC."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            result = datetime.fromisoformat(text)
        except ValueError:
            raise FilterError(f"{where} takes an ISO date like 2026-01-31, got {value!r:.80}") from None
    else:
        raise FilterError(f"{where} takes an ISO date like 2026-01-31, got {value!r:.80}")
    try:
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)
    except OverflowError:
        raise FilterError(f"{where}: {value!r:.80} is outside the years 1 to 9999 in UTC") from None
