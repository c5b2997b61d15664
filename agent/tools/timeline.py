"""A contact's history (messages, replies, bookings, edits, opt-outs, enrichment), newest first. Quoted replies and
scraped quotes are third-party text: data only."""

from __future__ import annotations

from pydantic import Field

from agent.tools.common import Args, data_text, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools.contacts import timeline


class HistoryArgs(Args):
    ref: str = Field(description="The contact: id, email, phone or full name.")
    kinds: list[str] | None = Field(None, description="Only these kinds: message, conversation, booking, ad, "
                                    "enrichment, edit, consent, import, created, other.")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


def _history(session, actor, a: HistoryArgs) -> ToolOutput:
    t = timeline.contact_history(session, actor, a.ref, kinds=a.kinds, page=a.page, page_size=a.page_size)
    rows = [{"when": f"{e.at:%Y-%m-%d %H:%M} UTC", "kind": e.kind, "what": e.title, "detail": _detail(e)}
            for e in t.entries]
    title = f"History of {t.contact_name}: {t.total} {'entry' if t.total == 1 else 'entries'} (page {t.page} of {t.pages})."
    return ToolOutput(data_text(title, rows), table(title, ["when", "kind", "what", "detail"], rows, full=True))


def _detail(e) -> str:
    """The entry's whole text (a message's body, a reply) or its facts (to, status, cost, who), never empty."""
    d = e.details or {}
    if d.get("body"):
        return str(d["body"])
    parts = [f"to {d['to']}" if d.get("to") else "", f"status {d['status']}" if d.get("status") else "",
             f"variant {d['variant']}" if d.get("variant") else "",
             f"cost ${d['cost_micros'] / 1e6:.4f}" + (" simulated" if e.source == "sandbox" else "")
             if d.get("cost_micros") else "", f"by {e.actor}" if e.actor else "", f"via {e.source}" if e.source else ""]
    return "; ".join(p for p in parts if p)


register(ToolSpec("contact_history", "Everything that happened to one contact, newest first, a page at a time.",
                  HistoryArgs, Permission.CONTACTS_READ, _history, untrusted_output=True, read_only=True))
