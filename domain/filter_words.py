"""A contact filter said back in words ("tagged roofer and city is Austin and replied in the last 30 days"), so
the person sees how their request was read before trusting a count. Pure; the filter is validated by
domain.filters.parse first, so every field and operator here is one the language has."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.filters import All, Condition, Filter, FilterError, Not, parse

EVERYONE = "every contact"


def in_words(raw: Any) -> str:
    """The filter (JSON text or data, as tools take it) in words; EVERYONE for no filter. A filter that does not
    validate is described by its error, never guessed."""
    try:
        node = parse(raw)
    except FilterError as exc:
        return f"(not a valid filter: {exc})"
    return EVERYONE if node is None else _words(node, top=True)


def _words(node: Filter, top: bool = False) -> str:
    if isinstance(node, Condition):
        return condition_words(node)
    if isinstance(node, Not):
        item = node.item
        if isinstance(item, Condition) and item.kind == "event" and item.op == "present":
            return f"never {_EVENT[item.field]}"  # not "not (ever emailed)"
        return f"not ({_words(item, top=True)})"  # its own brackets: "not (a or b)", never "not ((a or b))"
    if isinstance(node, All):
        return " and ".join(_all_words(node.items))
    text = " or ".join(_words(item) for item in node.items)
    return text if top else f"({text})"


def _all_words(items: tuple[Filter, ...]) -> list[str]:
    """The items of an `all`; time tests on one activity side by side are one event in that range (db/filters.py),
    said once: "replied after 2026-11-30 and before 2026-12-07"."""
    ranged: dict[str, list[Condition]] = {}
    for item in items:
        if isinstance(item, Condition) and item.kind == "event" and item.op in _RANGE:
            ranged.setdefault(item.field, []).append(item)
    out, said = [], set()
    for item in items:
        field = item.field if isinstance(item, Condition) else None
        if field in ranged and len(ranged[field]) > 1:
            if field not in said:
                said.add(field)
                out.append(f"{_EVENT[field]} " + " and ".join(_RANGE[c.op].format(v=_value(c.value))
                                                               for c in ranged[field]))
        else:
            out.append(_words(item))
    return out


def _value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else \
            value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _label(field: str) -> str:
    return field.removeprefix("attributes.").replace("_", " ")


_OPTED_OUT_AT = {"opted_out_sms_at": "opted out of SMS", "opted_out_email_at": "opted out of email"}
_OPTED_OUT_WHEN = {"present": "{f}", "missing": "not {f}", "before": "{f} before {v}", "after": "{f} after {v}",
                   "since": "{f} since {v}", "within_days": "{f} in the last {v} days",
                   "older_than_days": "{f} more than {v} days ago"}


_EVENT = {"contacted": "contacted", "texted": "texted", "emailed": "emailed", "replied": "replied",
          "booked": "booked a meeting"}
_TAGS = {"has": "tagged {v}", "has_any": "tagged any of {v}", "has_all": "tagged all of {v}",
         "present": "with tags", "missing": "without tags"}
_TEXT = {"eq": "{f} is {v}", "neq": "{f} is not {v}", "in": "{f} is one of {v}", "not_in": "{f} is none of {v}",
         "contains": "{f} contains {v}", "starts_with": "{f} starts with {v}", "present": "with {a} {f}",
         "missing": "without {a} {f}", "before": "{f} before {v}", "after": "{f} after {v}", "since": "{f} since {v}",
         "within_days": "{f} in the last {v} days", "older_than_days": "{f} more than {v} days ago"}
_EVENTS = {"present": "ever {f}", "missing": "never {f}", "before": "{f} before {v}", "after": "{f} after {v}",
           "since": "{f} since {v}", "within_days": "{f} in the last {v} days",
           "older_than_days": "{f} more than {v} days ago"}  # once at least: "not in the last N days" is `not`
_RANGE = {"before": "before {v}", "after": "after {v}", "since": "since {v}", "within_days": "in the last {v} days",
          "older_than_days": "more than {v} days ago"}


def condition_words(c: Condition) -> str:
    """One condition in words."""
    v = _value(c.value)
    if c.kind == "tags":
        return _TAGS[c.op].format(v=v)
    if c.kind == "event":
        return _EVENTS[c.op].format(f=_EVENT[c.field], v=v)
    if c.kind == "bool":
        flag = {"opted_out_sms": "opted out of SMS", "opted_out_email": "opted out of email",
                "is_sample": "sample data"}[c.field]
        return flag if c.value else f"not {flag}"
    if c.kind == "channel":
        if c.value in ("any", "all"):
            return "opted out of any channel" if c.value == "any" else "opted out of every channel"
        return f"opted out of {v}" if c.op == "eq" else f"opted out of any of {v}"
    if c.kind == "campaign":
        return f"contacted in campaign {v}" if c.op == "eq" else f"contacted in any of campaigns {v}"
    if c.field in _OPTED_OUT_AT:  # "opted out of SMS in the last 7 days"
        return _OPTED_OUT_WHEN[c.op].format(f=_OPTED_OUT_AT[c.field], v=v)
    label = _label(c.field)
    return _TEXT[c.op].format(f=label, v=v, a="an" if label[:1] in "aeiou" else "a")
