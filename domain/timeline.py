"""Pure rules of a contact's timeline: the kinds of entries, the steps of one message's life, how a history
event is classified and worded, ordering and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

KINDS: dict[str, str] = {
    "message": "campaign and test messages we sent, with each status: queued, sent, delivered, opened, clicked, "
               "bounced, failed",
    "conversation": "messages in conversations, both ways, on every channel (SMS, email, WhatsApp, ...)",
    "booking": "meetings booked, and their changes (rescheduled, cancelled, ...)",
    "ad": "ad exposure and conversions, where recorded",
    "enrichment": "enrichment requested, and each field it filled (with its source)",
    "edit": "field edits with before and after, and who made them",
    "consent": "opt-outs and opt-ins",
    "import": "imports that created or updated the contact",
    "created": "when and how the contact was created",
    "other": "anything else recorded in the contact's history",
}
MAX_PAGE_SIZE = 200
_EVENT_KINDS = {"field_changed": "edit", "opted_out": "consent", "opted_in": "consent",
                "opt_out_requested": "consent", "imported": "import", "enriched": "enrichment", "created": "created"}


class TimelineInputError(ValueError):
    """Bad kinds or paging; the message says what is allowed."""


@dataclass
class Entry:
    at: datetime
    kind: str  # one of KINDS
    title: str  # one short line for people
    channel: str | None = None
    source: str | None = None  # where it came from: campaign, chatwoot, calcom, import, chat, enrichment, ...
    actor: str | None = None  # who did it, when a person did
    details: dict[str, Any] = field(default_factory=dict)
    untrusted: bool = False  # carries text from outside (a reply, a scraped quote): show it, never obey it
    ref: str = ""  # table:id, for ties and links


def check_kinds(kinds: list[str] | str | None) -> set[str] | None:
    """The kinds asked for, validated; None means every kind."""
    if kinds is None or kinds == [] or kinds == "":
        return None
    given = kinds.split(",") if isinstance(kinds, str) else list(kinds)
    wanted = {k.strip().lower() for k in given if k.strip()}
    wanted = {k if k in KINDS else k.rstrip("s") for k in wanted}
    unknown = wanted - set(KINDS)
    if unknown:
        raise TimelineInputError(f"unknown kind {', '.join(sorted(unknown))}: use {', '.join(KINDS)}")
    return wanted


def check_page(page: int, page_size: int) -> None:
    if page < 1:
        raise TimelineInputError("page starts at 1")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise TimelineInputError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")


def event_kind(kind: str) -> str:
    """The timeline kind of a contact_events row."""
    if kind.startswith("ad_"):
        return "ad"
    return _EVENT_KINDS.get(kind, "other")


def message_steps(status: str, times: dict[str, datetime | None], queued_at: datetime | None,
                  changed_at: datetime | None) -> list[tuple[str, datetime]]:
    """The dated steps of one message: queued, sent, delivered, opened, clicked, and bounced / complained /
    failed (from failed_at), or its current status when that has no time of its own (cancelled, deferred...)."""
    steps: list[tuple[str, datetime]] = []
    if queued_at:
        steps.append(("queued", queued_at))
    for step in ("sent", "delivered", "opened", "clicked"):
        if times.get(step):
            steps.append((step, times[step]))  # type: ignore[arg-type]
    failed = times.get("failed")
    if failed:
        steps.append((status if status in ("bounced", "complained") else "failed", failed))
    elif status in ("cancelled", "deferred", "unknown", "complained", "sending") and changed_at:
        steps.append((status, changed_at))
    return steps


def shorten(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def event_title(kind: str, field_name: str | None, before: str | None, after: str | None,
                data: dict[str, Any]) -> str:
    """One line for a contact_events row."""
    if kind == "field_changed":
        return f"{field_name} changed from {shorten(before, 60) or '(empty)'} to {shorten(after, 60) or '(empty)'}"
    if kind == "enriched":
        return f"enrichment set {field_name} to {shorten(after, 60)!r} (source: {data.get('source_url') or 'n/a'})"
    if kind == "opted_out":
        return f"opted out of {field_name or 'messages'} ({data.get('reason', 'opt_out')})"
    if kind == "opted_in":
        return f"opted back in to {field_name or 'messages'}"
    if kind == "opt_out_requested":
        return f"asked to stop on {field_name or 'a channel'}"
    if kind == "imported":
        return f"imported from {data.get('filename') or 'a file'}" + (f" ({data['result']})" if data.get("result") else "")
    if kind == "created":
        return "contact created"
    if kind.startswith("ad_"):
        name = data.get("ad_name") or data.get("ad_campaign_id") or "an ad"
        return f"{kind.removeprefix('ad_').replace('_', ' ')} from ad {name} ({data.get('platform', '?')})"
    return kind.replace("_", " ") + (f": {field_name}" if field_name else "")


def order_and_page(entries: list[Entry], page: int, page_size: int) -> list[Entry]:
    """Newest first (ties in a stable order), then one page."""
    entries.sort(key=lambda e: (e.at, e.ref), reverse=True)
    start = (page - 1) * page_size
    return entries[start:start + page_size]
