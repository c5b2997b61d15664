"""Merge two contact records of one person ("merge contact A into B"): an approval card shows both contacts, what
moves, the fields B gets and the opt-outs B ends with; Approve runs tools.contacts.merge.merge_contacts."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agent.tools.common import Args, message, next_steps
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from domain.wording import plural
from tools.contacts import merge as merging

TABLE_WORDS = {"marketing_activities": ("campaign message", None), "conversation_messages": ("conversation message", None),
               "calendar_bookings": ("booking", None), "enrichment_queue": ("enrichment job", None),
               "contact_events": ("history entry", "history entries"),
               "sequence_enrolments": ("sequence enrolment", None)}


def rows_in_words(rows: dict[str, int]) -> str:
    """{"calendar_bookings": 1, "contact_events": 2} -> "1 booking, 2 history entries" ("nothing" when empty)."""
    said = [plural(n, *TABLE_WORDS.get(table, (table.replace("_", " ").rstrip("s"), None))) for table, n in rows.items()]
    return ", ".join(said) or "nothing"


class MergeArgs(Args):
    source: str = Field(description="The contact to merge away (A): id (#12), email, phone or name. It is deleted.")
    target: str = Field(description="The contact that stays (B): id, email, phone or name.")


def _moves(moves: dict[str, int]) -> str:
    return rows_in_words(moves)


def _summary(session, actor, a: MergeArgs) -> dict[str, Any]:
    plan = merging.plan_merge(session, actor, a.source, a.target)
    outs = [ch for ch, out in plan.opted_out.items() if out]
    details = {"moves to B": _moves(plan.moves),
               "B gets from A": ", ".join(f"{k} = {v}" for k, v in plan.fields.items()) or "nothing (B has it all)",
               "B's opt-outs after": ", ".join(outs) or "none"}
    if plan.notes:
        details["note"] = "; ".join(plan.notes)
    return {"title": f"Merge contact #{plan.source_id} into #{plan.target_id}",
            "action": f"move everything of {plan.source_label} to {plan.target_label}, then delete #{plan.source_id}",
            "who": f"A: {plan.source_label}; B (stays): {plan.target_label}", "count": 1, "details": details}


def _merge(session, actor, a: MergeArgs) -> ToolOutput:
    plan = merging.merge_contacts(session, actor, a.source, a.target)
    text = (f"Merged contact #{plan.source_id} into #{plan.target_id}: moved {_moves(plan.moves)}; "
            f"#{plan.source_id} is deleted.")
    if plan.notes:
        text += " " + "; ".join(plan.notes) + "."
    return ToolOutput(text, message(text, next=next_steps(("Open the contact", f"open contact #{plan.target_id}"))))


register(ToolSpec("merge_contacts", "Merge two contact records of one person: everything of the first (source) "
                  "moves to the second (target), which keeps its values, fills its blanks and keeps the stricter "
                  "opt-outs; the source is deleted. Waits for Approve.", MergeArgs, Permission.CONTACTS_WRITE,
                  _merge, summarise=_summary))
