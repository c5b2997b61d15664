"""The offline model's grammar: plain commands -> the same tool calls a language model would make.

Pure (no database, no LangChain). `parse(text)` returns a list of `Call(name, args)`, or an empty list
when the text is not understood (the offline model then says so and shows examples). Filters are the
JSON filter language of `domain.filters` ({"field","op","value"}, {"all": [...]}).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agent.offline_filters import parse_audience


@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


EXAMPLES = [
    "show contacts in Austin without email",
    "how many roofers in Texas",
    "set Jane Doe's phone to 512 555 0100",
    "tag contacts in Austin as roofer",
    "opt out +15125550100 from sms",
    "enrich contacts tagged roofer",
    "review enrichment",
    "draft an sms campaign to roofers in Texas: Hi {first_name}, ...",
    "preview campaign Spring",
    "launch campaign Spring",
    "draft facebook ads for roofers",
    "analytics last 7 days",
    "history for jane@acme.com",
    "export contacts tagged roofer",
    "load sample data",
]

_FIELD_WORDS = {
    "phone": "phone", "mobile": "phone", "cell": "phone", "email": "email", "e-mail": "email",
    "company": "company", "title": "job_title", "job title": "job_title", "role": "job_title",
    "website": "website", "site": "website", "city": "city", "state": "region", "region": "region",
    "country": "country", "first name": "first_name", "last name": "last_name", "zip": "postal_code",
    "postal code": "postal_code", "timezone": "timezone", "time zone": "timezone",
}


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).rstrip(".!?").strip()


def _show(text: str) -> list[Call] | None:
    m = re.match(r"^(?:show|list|find|search|get|display)(?: me)?(?: all)?(?: the)? (.*)$", text, re.I)
    if not m:
        return None
    rest = m.group(1)
    page = 1
    pm = re.search(r"\s*,?\s*page (\d+)$", rest, re.I)
    if pm:
        page, rest = int(pm.group(1)), rest[: pm.start()]
    if not re.match(r"^(contacts?|people|leads?|everyone|\w+s\b)", rest, re.I):
        return None
    audience = parse_audience(rest)
    if audience is None:
        return None
    args: dict[str, Any] = {"filter": audience}
    if page != 1:
        args["page"] = page
    return [Call("query_contacts", args)]


def _count(text: str) -> list[Call] | None:
    m = re.match(r"^(?:how many|count|number of)(?: of)?(?: the)? (.*?)(?: are there| do we have| do i have)?$",
                 text, re.I)
    if not m:
        return None
    audience = parse_audience(m.group(1))
    return None if audience is None else [Call("count_contacts", {"filter": audience})]


def _set_field(text: str) -> list[Call] | None:
    m = re.match(r"^(?:set|change|update)\s+(.+?)(?:'s|’s)\s+(.+?)\s+to\s+(.+)$", text, re.I)
    if not m:
        m = re.match(r"^(?:set|change|update)\s+(?:the\s+)?(.+?)\s+of\s+(.+?)\s+to\s+(.+)$", text, re.I)
        if not m:
            return None
        ref, word, value = m.group(2), m.group(1), m.group(3)
    else:
        ref, word, value = m.group(1), m.group(2), m.group(3)
    column = _FIELD_WORDS.get(word.lower().strip())
    if column is None:
        return None
    return [Call("update_contact", {"ref": ref.strip(), "changes": {column: value.strip()}})]


def _tag(text: str) -> list[Call] | None:
    m = re.match(r"^(un)?tag (.+?) (?:as|with) ([\w\- ]+)$", text, re.I) or \
        re.match(r"^(remove) tag ([\w\- ]+) from (.+)$", text, re.I)
    if not m:
        return None
    if m.group(1) and m.group(1).lower() == "remove":
        tag, who = m.group(2), m.group(3)
        key = "remove_tags"
    else:
        who, tag = m.group(2), m.group(3)
        key = "remove_tags" if m.group(1) else "add_tags"
    audience = parse_audience(who)
    if audience is None:
        return None
    return [Call("bulk_update", {"filter": audience, key: [tag.strip().lower()]})]


def _opt(text: str) -> list[Call] | None:
    m = re.match(r"^opt[ -]?(out|in) (\S+(?: \S+)*?)(?: (?:from|for|on|to) (sms|text|texts|email|emails))?$",
                 text, re.I)
    if not m:
        return None
    address = m.group(2).strip()
    channel = (m.group(3) or ("email" if "@" in address else "sms")).lower()
    channel = "email" if channel.startswith("email") else "sms"
    return [Call("opt_out" if m.group(1).lower() == "out" else "opt_in", {"channel": channel, "address": address})]


def _enrich(text: str) -> list[Call] | None:
    if re.match(r"^(?:review|approve)(?: the)? enrichments?(?: results?| queue)?$", text, re.I) or \
            re.match(r"^next (?:enrichment )?review$", text, re.I):
        return [Call("next_review_item", {})]
    if re.match(r"^(?:show )?enrichment (?:status|progress)$", text, re.I):
        return [Call("enrichment_progress", {})]
    m = re.match(r"^(approve|reject|skip) enrichment (?:job |result |#)?#?(\d+)$", text, re.I)
    if m:
        verb, job = m.group(1).lower(), int(m.group(2))
        if verb == "skip":
            return [Call("next_review_item", {"skip": [job]})]
        return [Call("review_enrichment", {"job_id": job, "reject": True} if verb == "reject" else
                     {"job_id": job, "approve": "all"})]
    m = re.match(r"^approve enrichments? (?:with |above |at least )?(?:confidence )?(?:>=?|above|over)?\s*(0?\.\d+|\d+%)$",
                 text, re.I)
    if m:
        raw = m.group(1)
        conf = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        return [Call("bulk_approve_enrichment", {"min_confidence": conf})]
    m = re.match(r"^enrich (.+)$", text, re.I)
    if not m:
        return None
    audience = parse_audience(m.group(1))
    return None if audience is None else [Call("enrich_contacts", {"filter": audience})]


def _campaign_verb(text: str) -> list[Call] | None:
    m = re.match(r"^(launch|send|preview|pause|resume|cancel|status of|show)(?: the)? campaign (.+)$", text, re.I) or \
        re.match(r"^(?:campaign )?(status) (?:of |for )?(?:campaign )?(.+)$", text, re.I) or \
        re.match(r"^(report)(?: for| on)? campaign (.+)$", text, re.I)
    if not m:
        return None
    verb, ref = m.group(1).lower(), m.group(2).strip().strip("\"'")
    name = {"launch": "launch_campaign", "send": "launch_campaign", "preview": "preview_campaign",
            "pause": "pause_campaign", "resume": "resume_campaign", "cancel": "cancel_campaign",
            "status of": "campaign_status", "status": "campaign_status", "show": "campaign_status",
            "report": "campaign_report"}[verb]
    return [Call(name, {"ref": ref})]


def _send_test(text: str) -> list[Call] | None:
    m = re.match(r"^send (?:a |me a )?test (?:of |for )?(?:the )?(?:campaign )?(.+?) to (\S+)$", text, re.I)
    return [Call("send_test", {"ref": m.group(1).strip().strip("\"'"), "to": m.group(2)})] if m else None


def _import_file(text: str) -> list[Call] | None:
    m = re.match(r"^import (?:the )?(?:file |csv )?(\S+\.(?:csv|tsv|txt))(?: (?:with|using) (?:policy )?(fill|overwrite|skip))?$",
                 text, re.I)
    if not m:
        return None
    args = {"file": m.group(1)}
    if m.group(2):
        args["policy"] = m.group(2).lower()
    return [Call("import_contacts", args)]


def _import_errors(text: str) -> list[Call] | None:
    m = re.match(r"^show (?:the )?(?:rejected rows|errors|import errors)(?: (?:of|for) import)? #?(\d+)$", text, re.I)
    return [Call("import_errors", {"import_id": int(m.group(1))})] if m else None


def _draft_campaign(text: str) -> list[Call] | None:
    m = re.match(r"^(?:draft|create|write|new)(?: an?)? (sms|text|email) campaign"
                 r"(?: (?:called|named) \"?([^\":]+?)\"?)? (?:to|for) (.+?)\s*:\s*(.+)$", text, re.I | re.S)
    if not m:
        return None
    channel = "email" if m.group(1).lower() == "email" else "sms"
    audience = parse_audience(m.group(3))
    if audience is None:
        return None
    body = m.group(4).strip()
    args: dict[str, Any] = {"channel": channel, "filter": audience, "body_text": body,
                            "name": (m.group(2) or "").strip() or _campaign_name(channel, m.group(3))}
    if channel == "email":
        subject, _, rest = body.partition("|")
        if rest:
            args["subject"], args["body_text"] = subject.strip(), rest.strip()
        else:
            args["subject"] = body.split(".")[0][:80]
    return [Call("draft_campaign", args)]


def _campaign_name(channel: str, who: str) -> str:
    return f"{channel.upper()} to {who.strip()[:60]} {date.today().isoformat()}"


def _ads(text: str) -> list[Call] | None:
    m = re.match(r"^(?:draft|write|create)(?: some| an?)? (facebook|google|linkedin) ads? (?:for|to|targeting) (.+?)"
                 r"(?:\s*:\s*(.+))?$", text, re.I)
    if not m:
        return None
    audience = parse_audience(m.group(2))
    if audience is None:
        return None
    brief = (m.group(3) or f"Ads for {m.group(2).strip()}").strip()
    return [Call("draft_ads", {"platform": m.group(1).lower(), "filter": audience, "brief": brief})]


def _ad_report(text: str) -> list[Call] | None:
    m = re.match(r"^(?:show )?(?:the )?(?:ad|ads) (?:report|results|performance) (?:for |of |on )?(.+)$", text, re.I)
    return [Call("ad_report", {"ref": m.group(1).strip().strip("\"'")})] if m else None


def _ad_metrics(text: str) -> list[Call] | None:
    m = re.match(r"^record (?:ad )?(.+?) (\d{4}-\d{2}-\d{2}) spend (\$?[\d.,]+) impressions (\d+) clicks (\d+)"
                 r"(?: conversions (\d+))?$", text, re.I)
    if not m:
        return None
    spend = m.group(3) if m.group(3).startswith("$") else "$" + m.group(3)
    return [Call("record_ad_metrics", {"ref": m.group(1).strip().strip("\"'"), "day": m.group(2), "spend": spend,
                                       "impressions": int(m.group(4)), "clicks": int(m.group(5)),
                                       "conversions": int(m.group(6) or 0)})]


def _export(text: str) -> list[Call] | None:
    m = re.match(r"^export (.+)$", text, re.I)
    if not m:
        return None
    audience = parse_audience(m.group(1))
    return None if audience is None else [Call("export_contacts", {"filter": audience})]


def _analytics(text: str) -> list[Call] | None:
    m = re.match(r"^(?:show )?(?:analytics|stats|statistics|numbers|report)(?: for)?(?: the)?"
                 r"(?: (?:last|past) (\d+) days?| (today|yesterday|this week|this month))?$", text, re.I)
    if not m:
        return None
    today = date.today()
    if m.group(1):
        start = today - timedelta(days=int(m.group(1)) - 1)
    else:
        start = {"today": today, "yesterday": today - timedelta(days=1), "this week": today - timedelta(days=today.weekday()),
                 "this month": today.replace(day=1)}.get((m.group(2) or "").lower(), today - timedelta(days=6))
    end = today - timedelta(days=1) if (m.group(2) or "").lower() == "yesterday" else today
    return [Call("show_analytics", {"start": start.isoformat(), "end": end.isoformat()})]


def _history(text: str) -> list[Call] | None:
    m = re.match(r"^(?:show )?(?:the )?(?:history|timeline|activity)(?: for| of) (.+)$", text, re.I)
    return [Call("contact_history", {"ref": m.group(1).strip()})] if m else None


def _reply(text: str) -> list[Call] | None:
    m = re.match(r"^reply to (.+?)(?: (?:by|on|via) (sms|email|whatsapp|facebook|instagram|telegram))?\s*:\s*(.+)$",
                 text, re.I | re.S)
    if not m:
        return None
    args = {"contact_ref": m.group(1).strip(), "channel": (m.group(2) or "").lower() or None, "text": m.group(3).strip()}
    return [Call("reply_to_conversation", args)]


def _admin(text: str) -> list[Call] | None:
    if re.match(r"^(?:list|show)(?: all)?(?: the)? users$", text, re.I):
        return [Call("list_users", {})]
    if re.match(r"^(?:list|show)(?: all)?(?: the)? api[ -]?keys$", text, re.I):
        return [Call("list_api_keys", {})]
    m = re.match(r"^revoke (?:the )?api[ -]?key (.+)$", text, re.I)
    return [Call("revoke_api_key", {"ref": m.group(1).strip().strip("\"'")})] if m else None


def _sample(text: str) -> list[Call] | None:
    if re.match(r"^(?:load|add|create|install) (?:the )?(?:sample|demo) data$", text, re.I):
        return [Call("load_sample_data", {})]
    if re.match(r"^(?:remove|delete|clear|unload) (?:the )?(?:sample|demo) data$", text, re.I):
        return [Call("remove_sample_data", {})]
    return None


_FREE_TEXT_RULES = (_draft_campaign, _reply, _ads)  # keep the message text as typed
_RULES = (_sample, _admin, _send_test, _import_file, _import_errors, _ad_report, _ad_metrics, _export, _campaign_verb, _analytics, _history, _opt, _enrich, _set_field, _tag, _count, _show)


def parse(text: str) -> list[Call]:
    """The tool calls for `text`, or [] when it is not one of the command forms."""
    raw = (text or "").strip()
    if not raw:
        return []
    for rule in _FREE_TEXT_RULES:
        calls = rule(raw)
        if calls:
            return calls
    cleaned = _clean(raw)
    for rule in _RULES:
        calls = rule(cleaned)
        if calls:
            return calls
    return []
