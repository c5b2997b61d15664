"""Lasting taint: once third-party text (contacts, CSV cells, web pages, inbound messages: the output of a tool
marked `untrusted_output`) has been shown in a thread, text planted there can steer the model in any later turn
("thanks" -> the change the data asked for). So from then on every change the model proposes waits for an
approval card that names the data it followed, unless the user's own latest message names that change: every
value the call would write or act on appears in the user's words (enum choices, defaults and yes/no flags aside; a phone
number matches on its last ten digits; a filter condition on its value; a call with no values matches when the tool's own words do, e.g. "remove sample
data"). Reads never wait."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.tools import catalogue
from agent.tools.registry import ToolSpec

MAX_SOURCES = 5
WHY = ("Third-party text (contacts, files, web pages or inbound messages) was shown earlier in this conversation, "
       "and this change is not named in your own last message: it may follow instructions planted in that data.")


def data_sources(messages: list[BaseMessage]) -> list[str]:
    """The untrusted reads of the thread, oldest first, as "tool(args)" (at most MAX_SOURCES, the latest)."""
    calls: dict[str, dict[str, Any]] = {}
    out: list[str] = []
    for m in messages:
        if isinstance(m, AIMessage):
            calls.update({c["id"]: c for c in m.tool_calls})
        elif isinstance(m, ToolMessage):
            spec = catalogue.get(m.name or "")
            if spec is not None and spec.untrusted_output:
                args = (calls.get(m.tool_call_id) or {}).get("args") or {}
                label = f"{m.name}({_short(args)})" if args else f"{m.name}"
                if label not in out:
                    out.append(label)
    return out[-MAX_SOURCES:]


def _short(args: dict[str, Any]) -> str:
    text = json.dumps(args, ensure_ascii=False, separators=(", ", ": "), default=str)[1:-1]
    return text if len(text) <= 120 else text[:119] + "…"


def last_user_text(messages: list[BaseMessage]) -> str:
    for m in reversed(messages):
        if isinstance(m, HumanMessage):
            return m.content if isinstance(m.content, str) else json.dumps(m.content, default=str)
    return ""


def _fold(text: str) -> str:
    """Case and accents aside (every other character kept, so a value in another script must still match)."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return re.sub(r"\s+", " ", text)


def _choices(schema: dict[str, Any]) -> set[str]:
    """Every enum value of the argument schema: choosing among fixed options is not a value from data."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "enum" and isinstance(value, list):
                found |= {str(v).lower() for v in value}
            else:
                found |= _choices(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _choices(item)
    return found


def _values(args: Any) -> list[str]:
    if isinstance(args, dict):
        if "field" in args and "op" in args:  # a filter condition: its field and operator are structure
            return _values(args.get("value"))
        return [v for value in args.values() for v in _values(value)]
    if isinstance(args, list | tuple):
        return [v for value in args for v in _values(value)]
    if args is None or isinstance(args, bool):
        return []
    return [str(args)]


def _said(value: str, text: str, digits: str) -> bool:
    folded = _fold(value).strip().lstrip("#")
    if not folded:
        return True
    value_digits = re.sub(r"\D", "", folded)
    if len(value_digits) >= 7 and not re.search(r"[a-z@]", folded):  # a phone: the national part suffices
        return value_digits[-10:] in digits
    return folded in text


def named_by_user(spec: ToolSpec, args: dict[str, Any], user_text: str) -> bool:
    """Does the user's own message name this call (see the module docstring)?"""
    text = _fold(user_text)
    digits = re.sub(r"\D", "", text)
    choices = _choices(spec.args.model_json_schema())
    fields = spec.args.model_fields
    given = {k: v for k, v in (args or {}).items() if not (k in fields and fields[k].default == v)}
    values = [v for v in _values(given) if v.lower() not in choices]
    if not values:
        words = [w for w in spec.name.split("_") if len(w) > 2]
        return bool(words) and all(w in text for w in words)
    return all(_said(v, text, digits) for v in values)


def needs_card(spec: ToolSpec, args: dict[str, Any], messages: list[BaseMessage]) -> list[str]:
    """The data sources to name on an approval card for this call, or [] when none is needed."""
    if spec.read_only:
        return []
    sources = data_sources(messages)
    if not sources or named_by_user(spec, args, last_user_text(messages)):
        return []
    return sources


def card(summary: dict[str, Any] | None, spec: ToolSpec, args: dict[str, Any], sources: list[str]) -> dict[str, Any]:
    """The approval summary of a change proposed after data: its own summary (if it has one) plus which data."""
    base = dict(summary or {"title": f"Change proposed by the assistant: {spec.name}",
                            "action": f"{spec.name}({_short(args)})"})
    details = dict(base.get("details") or {})
    details["Proposed after reading"] = "; ".join(sources)
    details["Why you are asked"] = WHY
    base["details"] = details
    return base
