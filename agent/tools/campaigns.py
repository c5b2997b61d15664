"""Campaign tools: draft, preview, launch (Approve, with the preview), status, pause, resume (Approve: it sends
again), cancel, test send (Approve: it sends)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from agent.core.render import reason_words
from agent.tools.common import Args, FilterField, data_text, message, money, next_steps, plain, table
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.roles import Permission
from domain.wording import plural
from settings import get_settings
from tools.campaigns import drafting
from tools.campaigns import lifecycle as campaigns
from tools.campaigns.lookup import find_campaign


class DraftArgs(Args):
    name: str = Field(description="A unique campaign name.")
    channel: Literal["sms", "email"]
    filter: dict[str, Any] | None = FilterField()
    body_text: str = Field(description="The message. Merge fields like {first_name|there} are filled per contact. "
                           "Email: Markdown (# headings, **bold**, [links](https://...), lists, ![alt](https://img), "
                           "a button [Book a call](https://...){.button}); it becomes branded HTML and the text version.")
    subject: str | None = Field(None, description="Email subject (email only; merge fields allowed).")
    body_html: str | None = Field(None, description="Optional HTML instead of the Markdown's (email only; sanitised). "
                                  "Leave empty: the Markdown is rendered in the brand's layout.")
    send_rules: dict[str, Any] | None = Field(None, description='Optional {"cap_24h", "cap_7d", "quiet_start", '
                                              '"quiet_end", "stop_on_reply"}.')
    track_opens: bool | None = Field(None, description="Email: count opens (Postmark pixel). Omit for the default.")
    track_links: bool | None = Field(None, description="Email: count clicks per link. Omit for the account default.")
    send_at: str | None = Field(None, description="When to start sending, once launched: an ISO 8601 date-time "
                                "(without an offset it is read in the account's time zone). Omit: at launch.")


class RefArgs(Args):
    ref: str = Field(description="The campaign's id or exact name.")


class TestArgs(RefArgs):
    to: str | None = Field(None, description="Your own phone number or email address for the test (email: omit to "
                           "send it to your own login address).")


def _notice(result: Any) -> str:
    return f"\n\n**{result.notice}**" if getattr(result, "notice", None) else ""


def _send_at(text: str | None) -> datetime | None:
    """The draft's start time as aware UTC: a time without an offset is in the account's time zone."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise campaigns.CampaignError(f"send_at {text!r} is not a date-time like 2026-12-08T09:00") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(get_settings().account_timezone or "UTC"))
    if when <= datetime.now(UTC):
        raise campaigns.CampaignError(f"{when:%Y-%m-%d %H:%M} has already passed: say a later time, or leave it out to send at "
                         "launch")
    return when.astimezone(UTC)


def _draft(session, actor, a: DraftArgs) -> ToolOutput:
    when = _send_at(a.send_at)
    view = drafting.draft_campaign(session, actor, name=a.name, channel=a.channel, filter=a.filter,
                                    body_text=a.body_text, subject=a.subject, body_html=a.body_html,
                                    send_rules=a.send_rules, track_opens=a.track_opens, track_links=a.track_links,
                                    schedule_at=when)
    seg = f", {plural(view.sms_segments, 'SMS segment')} ({view.sms_encoding})" if view.sms_segments else ""
    if view.tracking:
        seg += ", tracking " + " and ".join(f"{k.removeprefix('track_')} {'on' if v else 'off'}"
                                            for k, v in view.tracking.items())
    text = f"Drafted {view.channel} campaign '{view.name}' (#{view.id}){seg}. Nothing is sent until you launch it."
    if when is not None:
        zone = get_settings().account_timezone or "UTC"
        text += f" Once launched, it starts sending at {when.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone})."
    md = text + "".join(f"\n- warning: {w}" for w in view.warnings)
    steps = next_steps(("Preview it", f"preview campaign {view.id}"), ("Launch it", f"launch campaign {view.id}"))
    return ToolOutput(data_text(text, {"warnings": view.warnings}), message(md, next=steps))


def _preview_lines(p: Any) -> list[str]:
    excluded = "; ".join(f"{reason_words(k)}: {v}" for k, v in p.excluded.items()) or "none"
    return [f"Audience {p.audience}, eligible now {p.eligible}, deferred (quiet hours) {p.deferred}.",
            f"Excluded: {excluded}.", f"Estimated cost: {money(p.estimated_cost_micros)}"
            + (f" ({plural(p.segments, 'segment')} per SMS)" if p.segments else "") + "."]


def email_preview(sample: Any) -> dict[str, Any] | None:
    """What the chat's EmailPreview element shows: the email as the recipient gets it, and its text version."""
    if sample is None or not getattr(sample, "html", None):
        return None
    return {"to": sample.to, "subject": sample.subject, "html": sample.html, "text": sample.body}


def _preview(session, actor, a: RefArgs) -> ToolOutput:
    p = campaigns.preview_campaign(session, actor, a.ref)
    summary = f"Preview of '{p.name}': " + " ".join(_preview_lines(p))
    summary += "".join(f" Warning: {w}." for w in p.warnings)
    rows = [{"to": s.to, "subject": s.subject, "message": s.body} for s in p.samples]
    email = email_preview(p.samples[0] if p.samples else None)
    steps = ([("Send me a test", f"send me a test of campaign {p.campaign_id}")] if email else []) + [
        ("Launch it", f"launch campaign {p.campaign_id}")]
    display = table(summary + _notice(p), ["to", "subject", "message"], rows, full=True,  # messages whole
                    next=next_steps(*steps), **({"email": email} if email else {}))
    return ToolOutput(data_text(summary, rows), display)


def _launch_summary(session, actor, a: RefArgs) -> dict[str, Any]:
    campaigns.check_launch(session, actor, a.ref)  # what would fail after Approve is said now, with how to fix it
    p = campaigns.preview_campaign(session, actor, a.ref)
    return {"title": f"Launch campaign '{p.name}' ({p.channel})", "action": f"send {p.channel} now",
            "who": f"{p.eligible} eligible of an audience of {p.audience}", "count": p.eligible,
            "excluded": p.excluded, "deferred": p.deferred, "cost_micros": p.estimated_cost_micros,
            "rendered": p.samples[0].body if p.samples else None,
            "sample": [{"to": s.to, "message": s.body} for s in p.samples],
            "email": email_preview(p.samples[0] if p.samples else None),
            "details": ({"mode": p.notice} if p.notice else {}) | {
                f"warning {n}": w for n, w in enumerate(getattr(p, "warnings", []), 1)}}


def _launch(session, actor, a: RefArgs) -> ToolOutput:
    r = campaigns.launch_campaign(session, actor, a.ref)
    excluded = "; ".join(f"{reason_words(k)}: {n}" for k, n in r.excluded.items())
    start = find_campaign(session, r.campaign_id).schedule_at
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    zone = get_settings().account_timezone or "UTC"
    until = (f"its start, {start.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({zone}), or their quiet-hours end"
             if start is not None and start > datetime.now(UTC) else "quiet-hours end")
    text = (f"Launched campaign #{r.campaign_id}: {r.queued} queued, {r.deferred} deferred to {until}, "
            f"{sum(r.excluded.values())} excluded" + (f" ({excluded})" if excluded else "") + ". Estimated "
            f"{'simulated ' if r.notice else ''}cost {money(r.estimated_cost_micros)}.")
    steps = next_steps(("Status", f"status of campaign {r.campaign_id}"),
                       ("Pause it", f"pause campaign {r.campaign_id}"))
    text += f" {r.worker_note}" if getattr(r, "worker_note", None) else ""
    return ToolOutput(text + (f" {r.notice}" if r.notice else ""), message(text + _notice(r), next=steps,
                                                                           follow={"kind": "campaign",
                                                                                   "ref": r.campaign_id}))


def _progress(verb: str):
    def run(session, actor, a: RefArgs) -> ToolOutput:
        fn = getattr(campaigns, {"status": "campaign_status"}.get(verb, f"{verb}_campaign"))
        p = fn(session, actor, a.ref)
        sim = "simulated " if p.notice else ""  # sandbox: nothing left the building, say so on every number
        counts = ", ".join(f"{sim if k not in ('queued', 'deferred', 'cancelled') else ''}{k} {v}"
                           for k, v in p.counts.items()) or "nothing sent yet"
        text = (f"Campaign '{p.name}' is {p.status}"
                + (f" ({p.pause_reason})" if p.pause_reason else "")
                + f": {p.done} of {p.total} done; {counts}; {sim}cost so far {money(p.cost_micros)}.")
        links = getattr(p, "link_clicks", None) or {}
        if links:
            text += " People who clicked each link: " + "; ".join(f"{url} {n}" for url, n in links.items()) + "."
        return ToolOutput(text, message(text + _notice(p), progress=plain(p)))
    return run


def _resume_summary(session, actor, a: RefArgs) -> dict[str, Any]:
    p = campaigns.campaign_status(session, actor, a.ref)
    return {"title": f"Resume campaign '{p.name}'", "action": "sending starts again",
            "who": f"{p.total - p.done} messages still to send", "count": p.total - p.done}


def _test_summary(session, actor, a: TestArgs) -> dict[str, Any]:
    p = campaigns.preview_campaign(session, actor, a.ref)
    return {"title": f"Send a test of '{p.name}'", "action": f"send one {p.channel} test",
            "who": a.to or f"you ({actor.email})", "count": 1, "rendered": p.samples[0].body if p.samples else None,
            "email": email_preview(p.samples[0] if p.samples else None),
            "details": {"mode": p.notice} if p.notice else {}}


def _test(session, actor, a: TestArgs) -> ToolOutput:
    r = campaigns.send_test(session, actor, a.ref, a.to)
    text = f"Test {'queued' if r.queued else 'not sent'} to {r.to}." + (f" {r.notice}" if r.notice else "")
    return ToolOutput(text, message(text))


P = Permission.CAMPAIGNS
register(ToolSpec("draft_campaign", "Create a DRAFT sms or email campaign for the contacts matching a filter "
                  "(nothing is sent).", DraftArgs, P, _draft))
register(ToolSpec("preview_campaign", "Who would get a campaign now: eligible, excluded by reason, deferred, "
                  "rendered samples, SMS segments, estimated cost.", RefArgs, P, _preview, untrusted_output=True, read_only=True))
register(ToolSpec("launch_campaign", "Start sending a campaign. Waits for the user's Approve, which shows the "
                  "preview.", RefArgs, P, _launch, summarise=_launch_summary))
register(ToolSpec("campaign_status", "Progress of a campaign: counts by status, cost so far.", RefArgs, P,
                  _progress("status"), read_only=True))
register(ToolSpec("pause_campaign", "Pause a sending campaign.", RefArgs, P, _progress("pause")))
register(ToolSpec("resume_campaign", "Resume a paused campaign (it sends again: waits for Approve).", RefArgs, P,
                  _progress("resume"), summarise=_resume_summary))
register(ToolSpec("cancel_campaign", "Cancel a campaign: nothing more is sent.", RefArgs, P, _progress("cancel")))
register(ToolSpec("send_test", "Send one test message of a campaign to your own address (waits for Approve).",
                  TestArgs, P, _test, summarise=_test_summary))
