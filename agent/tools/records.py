"""Record views for the agent (all read-only): the contact card, the campaign list and card, the inbox and one
conversation, bookings, ad campaigns. Each returns a compact card or table with next-step buttons; text from
contacts (replies, scraped values) is data only."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from agent.core.render import cell, markdown_table, plural, whole
from agent.tools.common import Args, NoArgs, data_text, money, next_steps, plain
from agent.tools.registry import ToolOutput, ToolSpec, register
from domain.filter_words import in_words
from domain.roles import Permission
from tools.campaigns import views as cv
from tools.contacts import card as cc
from tools.inbox import views as inbox


class ContactArgs(Args):
    contact: str = Field(description="The contact: a name, email, phone, '#12' or '12'.")


class CampaignListArgs(Args):
    status: str | None = Field(None, description="draft, running, paused, completed or cancelled; omit for all.")
    channel: Literal["sms", "email"] | None = Field(None, description="sms or email; omit for both.")


class CampaignArgs(Args):
    campaign: str = Field(description="The campaign's id or name (case and accents ignored; a unique part works).")


class InboxArgs(Args):
    status: Literal["open", "answered", "all"] | None = Field(
        "open", description="open (waiting for our answer), answered, or all.")
    channel: str | None = Field(None, description="Only this channel: sms, email, whatsapp, ...")


class ConversationArgs(Args):
    conversation: str = Field(description="The conversation id from the inbox, or a contact (their latest one).")


class BookingArgs(Args):
    when: Literal["upcoming", "past", "all"] = Field("upcoming", description="upcoming, past or all.")


def _when(at: Any) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else "-"


# --- contact card ---------------------------------------------------------------------------------------------------

def _contact_card(session, actor, a: ContactArgs) -> ToolOutput:
    try:
        card = cc.contact_card(session, actor, a.contact)
    except cc.AmbiguousContact as exc:
        rows = [{"id": c.id, "name": c.display_name, "company": c.company, "city": c.city} for c in exc.candidates]
        title = f"{plural(len(rows), 'contact')} match {a.contact!r}: which one?"
        steps = next_steps(*((f"Open #{r['id']}", f"open contact #{r['id']}") for r in rows[:5]))
        return ToolOutput(data_text(title, rows), {"kind": "table", "title": title, "columns": list(rows[0]),
                                                   "rows": [list(r.values()) for r in rows], "next": steps})
    summary = f"Contact card of {card.name} (#{card.id})."
    steps = next_steps(("Full timeline", f"history for #{card.id}"),
                       ("Conversation", f"open conversation #{card.id}"))
    return ToolOutput(data_text(summary, card), {"kind": "card", "title": summary, "markdown": contact_markdown(card),
                                                 "next": steps})


def contact_markdown(card: cc.ContactCard) -> str:
    f = card.fields
    sample = " _(sample contact)_" if f.get("is_sample") else ""
    lines = [f"### {cell(card.name, 200)} · #{card.id}{sample}"]
    shown = [(k, v) for k, v in f.items() if v not in (None, "", False) and k not in ("id", "is_sample")]
    lines.append(markdown_table(["field", "value"], [[k.replace("_", " "), v] for k, v in shown]))
    lines.append("**Tags:** " + (", ".join(cell(t) for t in card.tags) or "none"))
    if card.attributes:
        lines.append("**Attributes:** " + "; ".join(f"{cell(k)}: {cell(v, 200)}" for k, v in card.attributes.items()))
    lines.append("**Consent:**\n" + "\n".join(_consent_line(c) for c in card.consent))
    lines.append(_enrichment_md(card.enrichment))
    lines.append(_messages_md(card))
    if card.conversations:
        lines.append(f"**Conversation messages** (last {len(card.conversations)} of "
                     f"{card.totals['conversation messages']}):\n" + "\n".join(
                         f"- {_when(m.at)} {m.channel}, {'they wrote' if m.direction == 'inbound' else 'we replied'}:"
                         f"\n{whole(m.text)}" for m in card.conversations))
    if card.bookings:
        lines.append(f"**Bookings** ({card.totals['bookings']}):\n" + "\n".join(
            f"- {cell(b.title, 120)}, {_when(b.start_at)}, {b.status}"
            + (f" (campaign {cell(b.campaign, 120)})" if b.campaign else "") for b in card.bookings))
    if card.sequences:
        lines.append("**Sequences:**\n" + "\n".join(f"- {cell(s.name, 120)}: {cell(s.step, 200)}" for s in card.sequences))
    return "\n\n".join(lines)


def _consent_line(c: cc.Consent) -> str:
    if not c.address:
        return f"- {c.channel}: no address"
    state = "opted out" if c.opted_out else "can be messaged"
    why = f" on {_when(c.at)}" if c.opted_out and c.at else ""
    why += f" ({cell(c.reason, 200)})" if c.opted_out and c.reason else ""
    supp = "; ".join(f"suppressed: {s['reason'].replace('_', ' ')} via {s['source']} on {_when(s['at'])}"
                     for s in c.suppressions)
    return f"- {c.channel} {cell(c.address)}: {state}{why}" + (f"; {supp}" if supp else "")


def _enrichment_md(info: dict[str, Any]) -> str:
    text = f"**Enrichment:** {info.get('status', 'none')}"
    if info.get("error"):
        text += f" (last attempt: {cell(info['error'], 500)})"
    for s in info.get("found") or []:
        verdict = {True: "accepted", False: "rejected", None: "waiting for review"}[s.get("accepted")]
        sources = ", ".join(cell(u, 120) for u in s.get("sources") or [] if u)
        text += f"\n- {cell(s.get('field'))}: {cell(s.get('value'), 200)} ({verdict}; source {sources or 'unknown'})"
    return text


def _messages_md(card: cc.ContactCard) -> str:
    if not card.messages:
        return "**Messages:** none sent yet"
    out = [f"**Messages** (last {len(card.messages)} of {card.totals['messages']}):"]
    for m in card.messages:
        head = f"- {_when(m.at)} {m.channel} '{cell(m.campaign or 'no campaign', 120)}': {m.status}"
        out.append(head + (f" ({cell(m.error, 300)})" if m.error else "") + (f"\n{whole(m.text)}" if m.text else ""))
    return "\n".join(out)


# --- campaigns ------------------------------------------------------------------------------------------------------

def _sample_label(name: str, is_sample: bool) -> str:
    """The name, marked as sample data once (the sample rows' own names already end in "(sample)")."""
    return name if not is_sample or name.endswith("(sample)") else f"{name} (sample)"


def _list_campaigns(session, actor, a: CampaignListArgs) -> ToolOutput:
    rows = cv.list_campaigns(session, actor, status=a.status, channel=a.channel)
    cols = ["campaign", "status", "audience", "sent", "delivered", "replies", "opt-outs", "cost", "created"]
    data = [[f"#{r.id} {_sample_label(r.name, r.is_sample)} ({r.channel})",
             r.status + (" · simulated" if r.simulated else ""), r.audience, r.sent, r.delivered, r.replies,
             r.opt_outs, money(r.cost_micros) + (" simulated" if r.simulated else ""), f"{r.created_at:%Y-%m-%d}"]
            for r in rows]
    title = f"{plural(len(rows), 'campaign')}" + (f" ({a.status})" if a.status else "") + ", newest first."
    if any(r.simulated for r in rows):
        title += " Simulated: sandbox sends, only recorded (their delivery and cost are simulated too)."
    steps = next_steps(*((f"Open {r.name}", f"open campaign #{r.id}") for r in rows[:4]))
    return ToolOutput(data_text(title, [dict(zip(cols, d, strict=True)) for d in data]),
                      {"kind": "table", "title": title, "columns": cols, "rows": data, "next": steps})


def _open_campaign(session, actor, a: CampaignArgs) -> ToolOutput:
    from agent.core import charts

    card = cv.campaign_card(session, actor, a.campaign)
    display = charts.campaign_display(card.report, "funnel", card.simulated)
    summary = f"Campaign '{card.name}' (#{card.id}): {card.status}."
    display.update(kind="chart", title=display["title"], markdown=campaign_markdown(card), next=_campaign_steps(card))
    return ToolOutput(data_text(summary, {"status": card.status, "report": plain(card.report),
                                          "excluded": card.excluded}), display)


def _campaign_steps(card: cv.CampaignCard) -> list[dict[str, str]]:
    ref = f"campaign {card.id}"
    if card.status == "draft":
        return next_steps(("Preview", f"preview {ref}"), ("Launch", f"launch {ref}"))
    if card.status == "running":
        return next_steps(("Status", f"status of {ref}"), ("Pause", f"pause {ref}"))
    if card.status == "paused":
        return next_steps(("Resume", f"resume {ref}"), ("Cancel", f"cancel {ref}"))
    return next_steps(("All campaigns", "list campaigns"))


def campaign_markdown(card: cv.CampaignCard) -> str:
    r, t = card.report, card.report.total
    sample = " _(sample data)_" if card.is_sample else ""
    lines = [f"### {cell(card.name, 200)} · #{card.id} · {card.channel} · {card.status}{sample}"]
    if card.pause_reason:
        lines.append(f"**Paused:** {cell(card.pause_reason, 500)}")
    sim = (f"\n\n_{plural(card.simulated, 'send')} simulated (sandbox): nothing left the building; "
           "delivered and cost are simulated too._") if card.simulated else ""
    lines.append(f"**Who:** {cell(in_words(card.filter or None), 600)}")
    if card.status == "draft" and not (t.sent or card.excluded):  # nothing counted yet: no "audience 0"
        lines.append(f"**Not launched yet:** the audience is counted when you preview or launch it (`preview "
                     f"campaign {card.id}`).")
    else:
        lines.append(f"**Audience** {r.audience} · **sent** {t.sent} · **delivered** {t.delivered} · **replies** "
                     f"{t.responded} · **booked** {t.booked} · **cost** {money(t.cost_micros)}"
                     f"{' simulated' if card.simulated else ''}{sim}")
        excluded = "; ".join(f"{reason}: {n}" for reason, n in card.excluded) or "nobody"
        lines.append(f"**Excluded:** {cell(excluded, 2000)}")
    lines.append("**Message:**" + (f"\n\nSubject: {cell(card.subject, 500)}" if card.subject else "")
                 + f"\n\n{whole(card.body_text)}")
    for v in card.variants:
        lines.append(f"**Variant {cell(v.get('name'))}** (weight {v.get('weight', '-')}):"
                     + (f"\n\nSubject: {cell(v.get('subject'), 500)}" if v.get("subject") else "")
                     + f"\n\n{whole(v.get('body_text') or card.body_text)}")
    clicks = getattr(card, "link_clicks", None) or {}
    if clicks:
        lines.append("**People who clicked each link:**\n" + "\n".join(
            f"- {cell(url, 300)}: {n}" for url, n in clicks.items()))
    if card.problems:
        lines.append(f"**Failed or in doubt** ({card.problem_total}):\n" + "\n".join(
            f"- {cell(p.to)} (contact #{p.contact_id}): {p.status}" + (f", {cell(p.error, 300)}" if p.error else "")
            + f". What to do: {p.what_to_do}" for p in card.problems))
    lines.append(f"_Created {_when(card.created_at)}" + (f", launched {_when(card.launched_at)}" if card.launched_at
                                                          else "") + "._")
    return "\n\n".join(lines)


def _list_ads(session, actor, a: NoArgs) -> ToolOutput:
    rows = cv.list_ad_campaigns(session, actor)
    cols = ["id", "name", "platform", "status", "spend", "impressions", "clicks", "conversions", "per conversion"]
    data = [[r.id, _sample_label(r.name, r.is_sample), r.platform, r.status, money(r.spend_micros),
             r.impressions, r.clicks, r.conversions,
             money(r.cost_per_conversion_micros) if r.conversions else "-"] for r in rows]
    title = f"{plural(len(rows), 'ad campaign')}, newest first."
    return ToolOutput(data_text(title, [dict(zip(cols, d, strict=True)) for d in data]),
                      {"kind": "table", "title": title, "columns": cols, "rows": data})


# --- inbox and bookings ---------------------------------------------------------------------------------------------

def _list_conversations(session, actor, a: InboxArgs) -> ToolOutput:
    rows = inbox.list_conversations(session, actor, status=a.status, channel=a.channel)
    cols = ["id", "contact", "channel", "status", "last message", "when", "messages"]
    data = [[r.key, r.contact, r.channel + (" · simulated" if r.key.startswith("-") else ""), r.status,
             ("they: " if r.last_direction == "inbound" else "us: ")
             + r.last_text, _when(r.last_at), r.messages] for r in rows]
    status = a.status or "all"
    title = f"{plural(len(rows), 'conversation')}" + ("" if status == "all" else f" {status}") + ", newest first."
    steps = next_steps(*((f"Open {r.contact}", f"open conversation {r.key}") for r in rows[:4]))
    return ToolOutput(data_text(title, [dict(zip(cols, d, strict=True)) for d in data]),
                      {"kind": "table", "title": title, "columns": cols, "rows": data, "next": steps, "full": True})


def _open_conversation(session, actor, a: ConversationArgs) -> ToolOutput:
    v = inbox.open_conversation(session, actor, a.conversation)
    simulated = " · simulated: a sample conversation, replies are recorded, never sent" if v.key.startswith("-") \
        else ""
    summary = (f"Conversation with {v.contact} on {v.channel} ({v.status}, {plural(len(v.messages), 'message')})"
               f"{simulated}.")
    body = "\n\n".join(f"**{cell(m['who'], 120)}**, {_when(m['at'])}"
                       + (f" (campaign {cell(m['campaign'], 120)})" if m["campaign"] else "") + f":\n{whole(m['text'])}"
                       for m in v.messages)
    ref = f"#{v.contact_id}" if v.contact_id else v.contact
    steps = next_steps(("Contact card", f"open contact {ref}"), ("Reply", f"reply to {ref} by {v.channel}"))
    return ToolOutput(data_text(summary, v), {"kind": "card", "title": summary,
                                              "markdown": f"### {cell(summary, 300)}\n\n{body}", "next": steps,
                                              "reply_to": ref, "channel": v.channel})


def _list_bookings(session, actor, a: BookingArgs) -> ToolOutput:
    rows = inbox.list_bookings(session, actor, when=a.when)
    cols = ["id", "when", "contact", "title", "status", "campaign"]
    data = [[r.id, _when(r.start_at), r.contact, r.title, r.status, r.campaign or "-"] for r in rows]
    title = f"{plural(len(rows), 'booking')} ({a.when})."
    return ToolOutput(data_text(title, [dict(zip(cols, d, strict=True)) for d in data]),
                      {"kind": "table", "title": title, "columns": cols, "rows": data})


R = dict(read_only=True)
register(ToolSpec("open_contact", "Open one contact's card: every field, tags, attributes, consent per channel with "
                  "when and why, enrichment with sources, last messages with their text, conversations, bookings.",
                  ContactArgs, Permission.CONTACTS_READ, _contact_card, untrusted_output=True, **R))
register(ToolSpec("list_campaigns", "List campaigns newest first: channel, status, audience, sent, delivered, "
                  "replies, opt-outs, cost, created.", CampaignListArgs, Permission.CAMPAIGNS, _list_campaigns, **R))
register(ToolSpec("open_campaign", "Open one campaign's card: funnel chart, variants, exclusions by reason, the "
                  "whole message, rows failed or in doubt with what to do.", CampaignArgs, Permission.CAMPAIGNS,
                  _open_campaign, untrusted_output=True, **R))
register(ToolSpec("list_conversations", "The inbox: conversations newest first with contact, channel and the last "
                  "message.", InboxArgs, Permission.INBOX, _list_conversations, untrusted_output=True, **R))
register(ToolSpec("open_conversation", "Open one conversation with every message whole.", ConversationArgs,
                  Permission.INBOX, _open_conversation, untrusted_output=True, **R))
register(ToolSpec("list_bookings", "Bookings (upcoming, past or all) with contact and attributed campaign.",
                  BookingArgs, Permission.CONTACTS_READ, _list_bookings, **R))
register(ToolSpec("list_ad_campaigns", "Ad campaigns with spend, impressions, clicks, conversions.", NoArgs,
                  Permission.ADS, _list_ads, **R))
