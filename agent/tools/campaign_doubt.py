"""Sends in doubt (tools/campaigns/doubt.py): list them, check them again at the provider, resend them anyway
(Approve, with the risk stated: a person may get the message twice)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agent.tools.common import Args, data_text, message, next_steps, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from domain.wording import plural
from tools.campaigns import doubt


class DoubtArgs(Args):
    ref: str = Field(description="The campaign's id or exact name.")
    activity_ids: list[int] | None = Field(None, description="Only these sends (ids from the in-doubt list).")


def _list(session, actor, a: DoubtArgs) -> ToolOutput:
    campaign, rows = doubt.list_in_doubt(session, actor, a.ref)
    review = sum(1 for r in rows if r.state == "review")
    summary = (f"Campaign '{campaign.name}': {plural(len(rows), 'send')} in doubt (request sent, answer lost), {review} left "
               f"for review, {len(rows) - review} being looked up at the provider.")
    data = [{"id": r.activity_id, "to": r.to, "state": r.state, "requested_at": r.requested_at, "note": r.note}
            for r in rows]
    steps = next_steps(("Check again", f"check again the sends in doubt of campaign {campaign.id}"),
                       ("Resend anyway", f"resend anyway the sends in doubt of campaign {campaign.id}")) if review else []
    return ToolOutput(data_text(summary, data), table(summary, ["id", "to", "state", "requested_at", "note"], data,
                                                      next=steps))


def _check(session, actor, a: DoubtArgs) -> ToolOutput:
    r = doubt.check_again(session, actor, a.ref, a.activity_ids)
    return ToolOutput(r.text, message(r.text))


def _resend_summary(session, actor, a: DoubtArgs) -> dict[str, Any]:
    campaign, rows = doubt.list_in_doubt(session, actor, a.ref)
    chosen = [r for r in rows if r.state == "review" and (not a.activity_ids or r.activity_id in a.activity_ids)]
    return {"title": f"Resend {plural(len(chosen), 'send')} in doubt of '{campaign.name}'",
            "action": f"send {campaign.channel} again", "who": ", ".join(r.to or "?" for r in chosen[:10]),
            "count": len(chosen), "details": {"risk": doubt.RISK}}


def _resend(session, actor, a: DoubtArgs) -> ToolOutput:
    r = doubt.resend_anyway(session, actor, a.ref, a.activity_ids)
    return ToolOutput(r.text, message(r.text))


P = Permission.CAMPAIGNS
register(ToolSpec("campaign_in_doubt", "A campaign's sends in doubt: the request went to the provider but its "
                  "answer was lost and its search has not found it (left for review), with check again / "
                  "resend anyway.", DoubtArgs, P, _list, untrusted_output=True, read_only=True))
register(ToolSpec("check_again_in_doubt", "Look a campaign's sends left for review up at the provider again "
                  "(sends nothing).", DoubtArgs, P, _check))
register(ToolSpec("resend_anyway_in_doubt", "Queue a campaign's sends left for review again. RISK: if the first "
                  "request did reach the provider, those people get the message twice. Waits for Approve.",
                  DoubtArgs, P, _resend, summarise=_resend_summary))
