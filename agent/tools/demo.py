"""Sample data tools: load (no approval: adds marked rows only) and remove (deletes many rows: Approve)."""

from __future__ import annotations

from agent.core.render import plural
from agent.tools.common import NoArgs, message, next_steps
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from tools import demo


def _load(session, actor, _a: NoArgs) -> ToolOutput:
    r = demo.load_sample_data(session, actor)
    if r.already_loaded:
        text = "Sample data is already loaded (say 'remove sample data' to delete it)."
        return ToolOutput(text, message(text))
    text = (f"Loaded sample data: {plural(r.contacts, 'contact')}, {plural(r.campaigns, 'past campaign')} with "
            f"{plural(r.activities, 'send')}, {plural(r.replies, 'reply', 'replies')} and "
            f"{plural(r.bookings, 'booking')}, {plural(r.ad_campaigns, 'ad campaign')} with a week of metrics. "
            "Every sample row is marked as sample; 'remove sample data' deletes them.")
    steps = next_steps(("Show the roofers", "show roofers"), ("Count roofers in Texas", "how many roofers in Texas"),
                       ("History for jane@acmeroofing.example", "history for jane@acmeroofing.example"),
                       ("Analytics, last 14 days", "analytics last 14 days"),
                       ("Campaign report", f"report for campaign {demo.SAMPLE_CAMPAIGN}"))
    return ToolOutput(text, message(text, next=steps))


def _remove(session, actor, _a: NoArgs) -> ToolOutput:
    r = demo.remove_sample_data(session, actor)
    text = (f"Removed sample data: {plural(r.contacts, 'contact')}, {plural(r.campaigns, 'campaign')}, "
            f"{plural(r.ad_campaigns, 'ad campaign')}, {plural(r.messages, 'message')}, "
            f"{plural(r.bookings, 'booking')}. Real data was not touched.")
    return ToolOutput(text, message(text))


def _remove_summary(session, _actor, _a: NoArgs) -> dict:
    counts = demo.sample_counts(session)
    return {"title": "Remove the sample data", "action": "delete every row marked as sample",
            "count": counts["contacts"], "who": f"{counts['contacts']} sample contacts, {counts['campaigns']} "
            f"sample campaigns, {counts['ad_campaigns']} sample ad campaigns"}


register(ToolSpec("load_sample_data", "Load realistic sample contacts and a past campaign, all marked as sample.",
                  NoArgs, Permission.CONTACTS_WRITE, _load))
register(ToolSpec("remove_sample_data", "Delete all sample data (only rows marked as sample). Waits for Approve.",
                  NoArgs, Permission.CONTACTS_WRITE, _remove, summarise=_remove_summary))
