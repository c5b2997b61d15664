"""Erase a contact ("delete jane doe", "forget jane@acme.com"): an approval card names the person, what goes with
them (messages, conversations, bookings, history, enrichment, sequences) and what stays (opt-outs, by address);
Approve runs tools.contacts.erase.erase_contact. It cannot be undone."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agent.tools.common import Args, message
from agent.tools.merge import rows_in_words
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools.contacts import erase as erasing


class EraseArgs(Args):
    contact: str = Field(description="The contact to erase: id (#12), email, phone or name.")


def _summary(session, actor, a: EraseArgs) -> dict[str, Any]:
    plan = erasing.plan_erase(session, actor, a.contact)
    opt_outs = ", ".join(plan.opted_out) or "none on record"
    return {"title": f"Erase contact #{plan.contact_id}", "who": plan.label, "count": 1,
            "action": "delete this person and every record naming them, for good (it cannot be undone)",
            "details": {"deleted with them": rows_in_words(plan.deleted),
                        "opt-outs kept (by address, so a re-import is not messaged)": opt_outs}}


def _erase(session, actor, a: EraseArgs) -> ToolOutput:
    plan = erasing.erase_contact(session, actor, a.contact)
    text = f"Erased contact #{plan.contact_id}: deleted with them {rows_in_words(plan.deleted)}."
    if plan.opted_out:
        text += f" Their opt-outs ({', '.join(plan.opted_out)}) stay on the suppression list, by address."
    return ToolOutput(text, message(text))


register(ToolSpec("erase_contact", "Delete one contact for good (a request to be forgotten, a record that should "
                  "not exist): their campaign messages, conversations, bookings, history, enrichment and sequence "
                  "enrolments go with them; opt-outs stay, by address. Refused while a "
                  "message of theirs is being sent. Waits for Approve.", EraseArgs, Permission.CONTACTS_WRITE,
                  _erase, summarise=_summary))
