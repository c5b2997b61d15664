"""Offline grammar, "what about ...": a follow-up that asks the previous question again about another place or tag
("how many roofers in austin" -> "what about dallas?" -> how many roofers in Dallas). Pure.

Only a count or a list is asked again (never an action: "tag contacts in austin as vip" -> "and dallas?" is not a
second bulk update), and only when what follows is surely a place or a tag: a US state, a city some contact has
(`Vocabulary.is_city`), or a tag in use. Anything else is left to the grammar, which says it did not understand."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.filters import US_STATES, Vocabulary, _places, _singular
from agent.offline.talk import Call
from domain.folding import fold

_ASKED_AGAIN = ("query_contacts", "count_contacts")
_WHAT_ABOUT = re.compile(r"^(?:(?:and )?(?:what|how) about|and|same for|same in|now|ok(?:ay)? (?:now|and))"
                         r"(?: (?:in|for|with|the))? (.+?)\??$", re.I)


def what_about_form(text: str) -> bool:
    return bool(_WHAT_ABOUT.match(text.strip()))


def _leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    return list(node["all"]) if list(node) == ["all"] else [node]


def _is_place(value: str, vocab: Vocabulary) -> bool:
    pieces = [p for p in re.split(r"\s*(?:\bor\b|\band\b|,|/)\s*", value) if p.strip()]
    return bool(pieces) and all(fold(p) in US_STATES or (len(p) == 2 and p.upper() in US_STATES.values()) or
                                (vocab.is_city is not None and vocab.is_city(p)) for p in pieces)


def what_about(text: str, previous: Call | None, vocab: Vocabulary) -> list[Call] | None:
    """The previous count or list asked again with its place or tag swapped for the one named; None otherwise."""
    m = _WHAT_ABOUT.match(text.strip())
    if not m or previous is None or previous.name not in _ASKED_AGAIN or not isinstance(previous.args.get("filter"), dict):
        return None
    said = m.group(1).strip().rstrip("?").strip()
    leaves = _leaves(previous.args["filter"]) if previous.args["filter"] else []
    if _is_place(said, vocab):
        kept = [c for c in leaves if c.get("field") not in ("city", "region")]
        if len(kept) == len(leaves):
            return None  # the question named no place: "in dallas" would add one, not swap it
        new = kept + _places(said)
    else:
        word = re.fullmatch(r"(?:the )?([a-z][\w-]*s)", said, re.I)
        tag = vocab.tag_for(_singular(word.group(1))) if word and vocab.tags is not None else None
        if not tag:
            return None
        kept = [c for c in leaves if c.get("field") != "tags"]
        if len(kept) == len(leaves):
            return None
        new = [{"field": "tags", "op": "has", "value": tag}, *kept]
    flt = new[0] if len(new) == 1 else {"all": new}
    return [Call(previous.name, {**previous.args, "filter": flt})]
