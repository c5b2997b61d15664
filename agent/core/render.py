"""Displays (plain JSON from the tools) and approval summaries -> Markdown, for the chat and the terminal.
Cell text is escaped so data from contacts or files cannot break the table or inject links."""

from __future__ import annotations

import re
from typing import Any

from domain.import_consent import TARGETS, describe
from domain.wording import money, plural  # noqa: F401 - re-exported: agent code says render.plural


def cell(value: Any, limit: int = 60) -> str:
    text = "" if value is None else str(value)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


FULL_CELL = 2000  # a table marked "full" shows its cells whole (up to this many characters)
ZWSP = "\u200b"
# Every Markdown construct that loads or links a URL needs one of these pairs written together: "![" (image),
# "](" (inline link or image), "][" (reference), "]:" (link definition). A zero-width space between them leaves
# the text as it reads and makes each construct impossible, however brackets are nested or escaped.
_JOINS = re.compile(r"(?<=!)(?=\[)|(?<=\])(?=[(\[:])")


def neutralise(text: str) -> str:
    """Text as shown in the chat: Markdown images (which a browser would fetch, e.g. a tracking or data-leaking
    URL planted in contact data) and links cannot form; their text, URL included, stays readable as plain text.
    Idempotent. Streamed text goes through `StreamNeutraliser`, which gives the same result token by token."""
    return _JOINS.sub(ZWSP, text or "")


def _joins(before: str, after: str) -> bool:
    return (before == "!" and after == "[") or (before == "]" and after in "([:")


class StreamNeutraliser:
    """`neutralise` for a text that arrives in pieces: each piece is neutralised before it is sent, and a pair
    split across two pieces gets its zero-width space at the start of the second."""

    def __init__(self) -> None:
        self.last = ""

    def feed(self, piece: str) -> str:
        if not piece:
            return ""
        out = neutralise(piece)
        if self.last and _joins(self.last, piece[0]):
            out = ZWSP + out
        self.last = piece[-1]
        return out


def unsaid(markdown: str, answer: str) -> str:
    """The lines of a short text result that the answer does not already say (bold marks aside): what is left
    to show, so nothing is posted twice ("" when the answer says it all)."""
    said = (answer or "").replace("**", "")
    return "\n".join(line for line in markdown.splitlines()
                     if line.strip() and line.replace("**", "").strip() not in said).strip()


def already_said(markdown: str, answer: str) -> bool:
    """Does the answer already say every line of this short text result (bold marks aside)? Then the chat
    shows it once."""
    said = (answer or "").replace("**", "")
    return all(line.strip() in said for line in markdown.replace("**", "").splitlines() if line.strip())


def whole(text: Any) -> str:
    """Text shown in full (a message, a reason): Markdown escaped, line breaks kept, as a quote block."""
    lines = str(text or "").splitlines() or [""]
    return "\n".join("> " + re.sub(r"([\\`*_\[\]<>|#])", r"\\\1", line) for line in lines)


def reason_words(code: str) -> str:
    """An exclusion reason as people say it ("messaged in the last 24 hours", not cap_24h)."""
    from domain.send_rules import REASONS

    return REASONS.get(code, str(code).replace("_", " "))


def markdown_table(columns: list[str], rows: list[list[Any]], limit: int = 60) -> str:
    if not rows:
        return "_(no rows)_"
    head = "| " + " | ".join(columns) + " |\n|" + "---|" * len(columns)
    body = "\n".join("| " + " | ".join(cell(v, limit) for v in row) + " |" for row in rows)
    return f"{head}\n{body}"


def bold_title(title: str) -> str:
    """A title in bold, paragraph by paragraph (bold markers across a blank line show as literal '**')."""
    return "\n\n".join(p if p.startswith("**") and p.endswith("**") else f"**{p.strip()}**"
                         for p in title.split("\n\n") if p.strip())


def display_markdown(display: dict[str, Any], heading: bool = True) -> str:
    """A display as Markdown; `heading=False` leaves a table's title out (the answer says it)."""
    kind = display.get("kind")
    read_as = f"_Read as: {cell(display['understood'], 400)}._" if display.get("understood") else ""
    if kind == "table":
        limit = FULL_CELL if display.get("full") else 60
        table = (read_as + "\n\n" if read_as else "") + markdown_table(display["columns"], display["rows"], limit)
        return neutralise(f"{bold_title(str(display.get('title', '')))}\n\n{table}" if heading else table)
    if kind == "chart":
        return neutralise(str(display.get("markdown") or display.get("title") or ""))
    return neutralise("\n\n".join(part for part in (str(display.get("markdown") or ""), read_as) if part))


def approval_markdown(value: dict[str, Any]) -> str:
    """Who, how many, who is excluded and why, cost, a rendered sample: what Approve will do."""
    s = value.get("summary") or {}
    lines = [f"### Approve: {cell(s.get('title') or value.get('tool'), 200)}"]
    if s.get("action"):
        lines.append(f"**What:** {cell(s['action'], 300)}")
    if s.get("who"):
        lines.append(f"**Who:** {cell(s['who'], 300)}")
    if s.get("count") is not None:
        lines.append(f"**How many:** {s['count']}")
    excluded = s.get("excluded") or {}
    if excluded:
        lines.append("**Excluded:** " + "; ".join(f"{cell(reason_words(reason), 200)}: {n}"
                                                  for reason, n in excluded.items()))
    if s.get("deferred"):
        lines.append(f"**Deferred (quiet hours etc.):** {s['deferred']}")
    if s.get("cost_micros") is not None:
        lines.append(f"**Estimated cost:** {money(s['cost_micros'])}")
    if s.get("rendered"):
        lines.append("**Message (as the first recipient gets it):**\n\n" + whole(s["rendered"]))
    sample = s.get("sample") or []
    if sample and isinstance(sample[0], dict):
        cols = list(sample[0].keys())[:6]
        lines.append("**Sample:**\n\n" + markdown_table(cols, [[r.get(c) for c in cols] for r in sample[:5]], 600))
    for key, val in (s.get("details") or {}).items():
        lines.append(f"**{key}:** {cell(val, 300)}")
    lines.append(f"_Requested by {cell(value.get('requested_by', '?'))}. Nothing happens until you approve._")
    return neutralise("\n\n".join(lines))


def field_label(target: Any) -> str:
    """An import mapping's words for a target: consent and opt-out columns say what their values do."""
    return f"{target} ({describe(target)})" if target in TARGETS else str(target)
