"""Offline grammar, everything that is not a contact: campaigns (list, open, draft, preview, launch, pause,
resume, cancel, status, results, test), ads, analytics, users and API keys, sample data; the inbox, replies and
bookings live in agent.offline.inbox and are listed here in order. Rules as in agent.offline.contacts. Pure."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from agent.offline.contacts import contact_ref
from agent.offline.dates import PERIOD_RE, resolve_period, split_send_time
from agent.offline.filters import Vocabulary, parse_audience, unknown_noun
from agent.offline.inbox import bookings, conversation, inbox, reply
from agent.offline.talk import NOT_UNDERSTOOD_PREFIX, Call, clarify, not_understood, said

_VAGUE = {"", "it", "this", "that", "this one", "that one", "the campaign", "campaign", "my campaign", "our campaign",
          "the last one", "the last campaign", "the latest campaign", "the new one", "them", "one", "the"}
_STATUS_WORDS = {"draft": "draft", "drafts": "draft", "running": "running", "active": "running", "live": "running",
                 "sending": "running", "current": "running", "paused": "paused", "completed": "completed",
                 "finished": "completed", "done": "completed", "past": "completed", "sent": "completed",
                 "cancelled": "cancelled", "canceled": "cancelled"}


def _campaign_name(raw: str) -> str | None:
    """The campaign a phrase names ("the Spring campaign" -> "Spring"), None when vague ("it")."""
    name = raw.strip().strip("\"'“”").strip()
    name = re.sub(r"^(?:the|my|our)\s+", "", name, flags=re.I)
    name = re.sub(r"^(?:sms |email )?campaign\s+", "", name, flags=re.I)
    name = re.sub(r"\s+(?:sms |email )?campaign$", "", name, flags=re.I).strip().strip("\"'“”").strip()
    name = re.sub(r"\s+(?:thing|one|blast|promo|send|stuff|campaign thing)$", "", name, flags=re.I).strip()
    if name.lower() in _STATUS_WORDS:  # "show campaign drafts" is a list, not a campaign called "drafts"
        return None
    if re.match(r"^(?:we|i|you|that|which|who|sent|launched|from)\b|^(?:last|this|next) (?:week|month|year)'?s?$|"
                r"^(?:yesterday|today|last week|last month|this week|this month)'s$", name, re.I):
        return None  # "the campaign we sent last week", "last week's campaign": by when, which names no campaign
    return None if name.lower() in _VAGUE else name


def campaigns_list(text: str, vocab: Vocabulary) -> Any:
    found = _campaigns_with_status(text)
    if found is not None:
        return found
    m = re.match(r"^(?:(?:show|list|view|see|display|get|open|what are|which are|what|which)(?: me)?(?: all)?"
                 r"(?: of)?(?: the| my| our)? )?(?:(\w+) )?(?:(sms|email|text) )?campaigns(?: (?:do we have|are there|"
                 r"are (?:running|live|active)|have we sent|we have|i have))?$", text, re.I)
    if not m:
        return None
    word, channel = (m.group(1) or "").lower(), (m.group(2) or "").lower()
    args: dict[str, Any] = {}
    if word in ("sms", "email", "text"):
        channel = word
    elif word and word not in ("all", "the", "my", "our", "any", "campaigns") and word not in _STATUS_WORDS:
        return None
    if word in _STATUS_WORDS:
        args["status"] = _STATUS_WORDS[word]
    if re.search(r"are (?:running|live|active)$", text, re.I):
        args["status"] = "running"
    if channel:
        args["channel"] = "email" if channel == "email" else "sms"
    return [Call("list_campaigns", args)]


def _campaigns_with_status(text: str) -> Any:
    """"which campaigns are paused", "any campaigns running right now", "what campaigns have finished",
    "show campaign drafts", "show me the drafts"."""
    m = re.match(r"^(?:(?:show|list|view|see|get|open)(?: me)?(?: all)?(?: the| my| our)? )?(?:campaign )?(drafts)$",
                 text, re.I)
    if m:
        return [Call("list_campaigns", {"status": "draft"})]
    words = "|".join(sorted(_STATUS_WORDS, key=len, reverse=True))
    m = re.match(rf"^(?:(?:show|list|view|see|display|get|which|what|any)(?: me)?(?: all)?(?: the| my| our)? )?"
                 rf"(?:(sms|email|text) )?campaigns?(?: that| which)?(?: are| is| have| has| were)?(?: been| still)? "
                 rf"({words})(?: right now| now| currently| at the moment| yet| so far)?$", text, re.I)
    if not m:
        return None
    args: dict[str, Any] = {"status": _STATUS_WORDS[m.group(2).lower()]}
    if m.group(1):
        args["channel"] = "email" if m.group(1).lower() == "email" else "sms"
    return [Call("list_campaigns", args)]


_VERBS = {"launch": "launch_campaign", "send": "launch_campaign", "start": "launch_campaign",
          "send out": "launch_campaign", "kick off": "launch_campaign", "go live with": "launch_campaign",
          "preview": "preview_campaign", "dry run": "preview_campaign", "dry-run": "preview_campaign",
          "pause": "pause_campaign", "hold": "pause_campaign", "stop": "pause_campaign", "halt": "pause_campaign",
          "resume": "resume_campaign", "unpause": "resume_campaign", "restart": "resume_campaign",
          "continue": "resume_campaign", "cancel": "cancel_campaign", "kill": "cancel_campaign",
          "abort": "cancel_campaign", "open": "open_campaign", "show": "open_campaign", "view": "open_campaign",
          "start sending": "launch_campaign", "begin sending": "launch_campaign", "stop sending": "pause_campaign",
          "resume sending": "resume_campaign", "keep sending": "resume_campaign", "pull up": "open_campaign",
          "bring up": "open_campaign", "details of": "open_campaign", "details for": "open_campaign",
          "details on": "open_campaign"}
_VERB_RE = "|".join(sorted((re.escape(v) for v in _VERBS), key=len, reverse=True))


def campaign_verb(text: str, vocab: Vocabulary) -> Any:
    m = re.match(rf"^({_VERB_RE})(?: me)?(?: the)?(?: (sms|email))? campaign(?: called| named)?(?: (.+))?$", text, re.I) \
        or re.match(rf"^({_VERB_RE})(?: me)?( )?(?:the )?(.+?) (?:campaign|thing|promo|blast)$", text, re.I) \
        or re.match(rf"^({_VERB_RE})( )?(it|this|that|this one|that one)$", text, re.I)
    if not m:
        m = re.match(r"^(preview|launch|pause|resume|unpause|cancel|start sending|stop sending)( )?(.+)?$", text, re.I)
        sent = re.match(r"^(send|send out|stop)( )?(?:the )?(.+?)(?: now| right now| today)?$", text, re.I)
        if not m and sent and (vocab.knows(sent.group(3), "campaign") or
                               re.fullmatch(r"(?:all|every|all the|all my|all our|everything)(?: campaigns?)?",
                                            sent.group(3), re.I)):
            m = sent  # "send the spring roof check now": a campaign the account has
        if not m:
            return _on_hold(text)
    verb = m.group(1).lower()
    if re.match(r"^(?:all |the |my )*(?:contacts?|people|leads?|customers?|everyone|clients?)\b|.*\b(?:named|called)\b",
                m.group(3) or "", re.I):
        return None
    if re.search(r"\b(?:who|whom|that|which|didn't|did not|haven't|have not|hasn't|never|not|without)\b",
                 m.group(3) or "", re.I) and parse_audience(m.group(3) + " campaign", vocab) is not None:
        return None  # "show roofers who didn't reply to the spring campaign" is an audience
    name = _campaign_name(m.group(3) or "")
    tool = _VERBS[verb]
    if name and re.fullmatch(r"(?:all|every|all the|all my|all our|everything)(?: (?:campaigns?|of them))?", name, re.I):
        return clarify("Which campaign? I act on one campaign at a time: say its name or #id.")
    if name and not re.search(r"\b(?:campaign|thing|promo|blast)\b", text, re.I) and \
            vocab.knows(name, "campaign") is False:  # "cancel my subscription": no campaign of that name
        return said("unknown", f"{NOT_UNDERSTOOD_PREFIX} \"{text}\": there is no campaign called “{name}”, and I "
                               "act on campaigns only by a name or #id they have (`list campaigns` shows them).")
    if name is None:
        what = {"launch_campaign": "launch", "preview_campaign": "preview", "pause_campaign": "pause",
                "resume_campaign": "resume", "cancel_campaign": "cancel", "open_campaign": "open"}[tool]
        return clarify(f"Which campaign should I {what}? Say its name or #id (`list campaigns` shows them).")
    if re.fullmatch(r"(?:all|every|all the|all my)(?: campaigns?)?", name, re.I):
        return clarify("Which campaign? I act on one campaign at a time: say its name or #id.")
    return [Call(tool, {"campaign": name} if tool == "open_campaign" else {"ref": name})]


def _on_hold(text: str) -> Any:
    """"put spring on hold" -> pause, "take spring off hold" -> resume."""
    m = re.match(r"^(put|take) (.+?) (on|off) hold$", text, re.I)
    if not m or (m.group(1).lower() == "put") != (m.group(3).lower() == "on"):
        return None
    name = _campaign_name(m.group(2))
    if name is None:
        return clarify("Which campaign? Say its name or #id (`list campaigns` shows them).")
    return [Call("pause_campaign" if m.group(1).lower() == "put" else "resume_campaign", {"ref": name})]


def campaign_status(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:what(?:'s| is) the )?(?:status|progress)(?: (?:of|for|on))? (.+)$", text, re.I) or \
        re.match(r"^(.+?) (?:status|progress)$", text, re.I) or \
        re.match(r"^how(?:'s| is) (.+?) (?:going|coming along|progressing|sending)$", text, re.I) or \
        re.match(r"^is (.+?) (?:done|finished|still (?:sending|running)|sending|running|complete)$", text, re.I)
    if not m:
        return None
    raw = m.group(1)
    if re.fullmatch(r"(?:anything|something|there (?:an? |any )?(?:(?:sms |email )?campaigns?)?|any (?:campaigns?|thing))",
                    raw.strip(), re.I):
        return [Call("list_campaigns", {"status": "running"})]  # "is anything sending": no campaign named
    sending = re.search(r"\b(?:sending|still running)$", text, re.I)  # only a campaign sends
    if not re.search(r"\bcampaign\b", raw, re.I) and not re.match(r"^(?:status|progress)", text, re.I) \
            and not sending and not vocab.knows(_campaign_name(raw) or "", "campaign"):
        return None
    name = _campaign_name(raw)
    if name is None:
        return clarify("Which campaign? Say its name or #id (`list campaigns` shows them).")
    if re.search(r"\benrichment\b", name, re.I):
        return None
    return [Call("campaign_status", {"ref": name})]


def campaign_results(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^how(?:'s| did| has| have| is| was) (.+?) (?:do|done|doing|perform|performed|performing|go|gone|went)"
                 r"(?: so far)?$", text, re.I) or \
        re.match(r"^(?:show |get |see )?(?:me )?(?:the )?(?:results|report|stats|statistics|numbers|performance|"
                 r"funnel|roi)(?: (?:of|for|on|from))? (.+)$", text, re.I) or \
        re.match(r"^(.+?) (?:results|report|stats|performance|funnel)$", text, re.I)
    if not m:
        return None
    raw = re.sub(r"^(?:show|get|see|view|give|display)(?: me)?(?: the| our| my)? ", "", m.group(1), flags=re.I)
    if re.search(r"\bads?\b", raw, re.I):
        return None
    perform = re.search(r"\bperform(?:ed|ing)?$", text, re.I) and not re.fullmatch(
        r"(?:we|i|you|it|things|they|everything|us)", raw.strip(), re.I)
    if not re.search(r"\bcampaign\b", raw, re.I) and not perform and \
            not vocab.knows(_campaign_name(raw) or "", "campaign"):
        return None
    name = _campaign_name(raw)
    if name is None:
        return clarify("Which campaign's results? Say its name or #id (`list campaigns` shows them).")
    return [Call("campaign_report", {"ref": name})]


_RATE = (r"(?:replies|responses|opt-?outs|clicks|opens|deliveries|bookings|sends|reply rate|response rate|open rate|"
         r"click rate|delivery rate|booking rate|conversion rate|conversions)")


def campaign_numbers(text: str, vocab: Vocabulary) -> Any:
    """"how many replies did the spring campaign get", "what was the response rate on storm": a number of one
    campaign -> its report."""
    m = re.match(rf"^how many {_RATE} (?:did|has|have) (.+?) (?:get|got|have|had|bring|brought|generate)$", text, re.I) \
        or re.match(rf"^what(?:'s| is| was| were)? (?:the |our )?{_RATE} (?:on|for|of|from|in) (.+)$", text, re.I)
    if not m or re.search(PERIOD_RE + "$", m.group(1), re.I) or re.search(r"\bads?\b", m.group(1), re.I):
        return None
    name = _campaign_name(m.group(1))
    if name is None:
        return clarify("Which campaign? Say its name or #id (`list campaigns` shows them).")
    return [Call("campaign_report", {"ref": name})]


def send_test(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^send (?:a |me a |one )?test(?: message| sms| email)? (?:of |for )?(?:the )?(.+?) to (\S+)$", text, re.I) \
        or re.match(r"^test (?:the )?(.+?) (?:on|to|with|at) (\S+@\S+|\+?[\d().\s-]{7,})$", text, re.I)
    mine = None if m else re.match(r"^send (?:me |myself )(?:a |one )?test(?: message| email)? (?:of |for )?(?:the )?(.+?)"
                                   r"(?: to me| to myself)?$", text, re.I)  # to the user's own address
    if not m and not mine:
        return None
    name = _campaign_name((m or mine).group(1))
    if name is None:
        return clarify("Which campaign should I send a test of?")
    return [Call("send_test", {"ref": name} | ({"to": m.group(2)} if m else {}))]


def preview_question(text: str, vocab: Vocabulary) -> Any:
    """"who would get the spring campaign", "can i see a preview of the storm campaign"."""
    m = re.match(r"^who (?:would|will|is going to|gets|would get|will get)(?: get| receive)? (.+)$", text, re.I) or \
        re.match(r"^(?:see|show|get|give|view)(?: me)? (?:a |the )?(?:preview|dry run) (?:of|for) (.+)$", text, re.I)
    if not m or not (re.search(r"\bcampaign\b", m.group(1), re.I) or vocab.knows(m.group(1), "campaign")):
        return None
    name = _campaign_name(m.group(1))
    if name is None:
        return clarify("Which campaign should I preview? Say its name or #id (`list campaigns` shows them).")
    return [Call("preview_campaign", {"ref": name})]


_SUBJECT_BODY = re.compile(r"[,;]?\s+subject\s*[:=]\s*(.+?)\s*[,;]?\s+(?:body|message|text)\s*[:=]\s*(.+)$",
                           re.I | re.S)


def draft_campaign(text: str, vocab: Vocabulary) -> Any:
    """Free text: the message after ':' is kept exactly as typed. An email takes its subject from
    "subject: ... body: ...", else from before the first '|' outside merge-field braces, else its first sentence."""
    parts = _SUBJECT_BODY.search(text)
    if parts:  # "... to roofers, subject: Spring offer, body: Hi {first_name|there}, ..."
        text = f"{text[:parts.start()].rstrip(' ,;')}: {parts.group(2)}"
    m = re.match(r"^(?:please )?(?:draft|create|write|make|set up|prepare|new|start|send|text|email|sms)(?: an?| a new| new)?"
                 r"(?: (sms|text|email))?(?: (?:campaign|blast|message|broadcast))?(?: (?:called|named) \"?([^\":]+?)\"?)?"
                 r" (?:to|for) (.+?)(?: saying| that says| with the message| with message)?\s*:\s*(.+)$", text, re.I | re.S) \
        or re.match(r"^(?:please )?(?:text|sms|email)()()(?: all| every)? (.+?)(?: saying| that says)?\s*:\s*(.+)$",
                    text, re.I | re.S)
    if not m or not re.match(r"^(?:please )?(?:draft|create|write|make|set up|prepare|new|start|send|text|email|sms)",
                             text, re.I):
        return _draft_without_body(text, vocab)
    verb = text.split()[0].lower()
    if verb == "sms":
        verb = "text"
    channel = (m.group(1) or ("email" if verb == "email" else "sms" if verb == "text" else "")).lower()
    if not channel and not re.search(r"\b(?:campaign|message|blast|broadcast)\b", text.split(":")[0], re.I):
        return None
    who, when = split_send_time(m.group(3), vocab.today) if vocab.today else (m.group(3), None)
    audience = parse_audience(who, vocab)
    if audience is None:
        if m.group(2) == "" and contact_ref(m.group(3), loose=True):  # "text carlos rivera: ..." is a reply
            return None
        noun = unknown_noun(m.group(3), vocab)
        return not_understood(text, noun) if noun else None
    if not channel:
        return clarify("Which channel should the campaign use: sms or email?")
    channel = "email" if channel == "email" else "sms"
    body = m.group(4).strip()
    args: dict[str, Any] = {"channel": channel, "filter": audience, "body_text": body,
                            "name": (m.group(2) or "").strip() or _auto_name(channel, who, vocab.today)}
    if when is not None:  # "text everyone in texas tomorrow morning: ..." starts sending then, once launched
        args["send_at"] = when.isoformat(timespec="minutes")
    if channel == "email":
        args["subject"], args["body_text"] = (parts.group(1).strip(), body) if parts else email_subject(body)
    return [Call("draft_campaign", args)]


def email_subject(body: str) -> tuple[str, str]:
    """(subject, body) of a typed email: split at the first '|' outside braces ({first_name|there} stays whole),
    else the first sentence is the subject and the rest the body (all of it when there is no rest)."""
    depth = 0
    for index, char in enumerate(body):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "|" and depth <= 0 and body[:index].strip() and body[index + 1:].strip():
            return body[:index].strip(), body[index + 1:].strip()
    sentence = re.match(r"^(.+?[.!?])\s+(\S.*)$", body, re.S)
    if sentence and len(sentence.group(1)) <= 120:
        return sentence.group(1).strip(), sentence.group(2).strip()
    return body[:80].strip(), body


def _draft_without_body(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:send|write|draft)(?: an?| some)? (email|sms|text|message)s?(?: blast| campaign)? (?:to|for) (.+)$",
                 text, re.I)
    if not m:
        bare = re.match(r"^(text|sms|email|message)(?: to)? (.+)$", text, re.I)
        if bare and re.match(r"^(?:all |every |the |my |our )*(?:contacts|people|everyone|everybody|customers|clients|"
                             r"leads|[a-z-]+s)\b", bare.group(2), re.I) and parse_audience(bare.group(2), vocab):
            m = bare  # "text everyone in austin": no message yet
    if m and parse_audience(m.group(2), vocab) is not None:  # "send an email to the landscapers": no message yet
        return clarify(f"What should the {m.group(1).lower()} say? Write it after a colon, e.g. "
                       f"`{m.group(0).strip()}: Hi {{first_name|there}}, ...`")
    if re.match(r"^(?:draft|create|write|make|set up|prepare|start)(?: an?| a new| new)?(?: (?:sms|text|email))? "
                r"campaign(?: (?:to|for) .+)?$|^new (?:sms |email )?campaign$", text, re.I):
        return clarify("Which contacts, and what should the message say? E.g. "
                       "`draft an sms campaign to roofers in Texas: Hi {first_name|there}, ...`")
    return None


def _auto_name(channel: str, who: str, today: date | None) -> str:
    return f"{channel.upper()} to {who.strip()[:60]} {(today or date.today()).isoformat()}"


def ads(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:draft|write|create|make|generate|prepare)(?: me)?(?: some| an?| new)? (facebook|fb|meta|google|"
                 r"linkedin|instagram)? ?ads?(?: copy| campaign)? (?:for|to|targeting|aimed at) (.+?)(?:\s*:\s*(.+))?$",
                 text, re.I | re.S)
    if m:
        platform = {"fb": "facebook", "meta": "facebook", "instagram": "facebook"}.get(
            (m.group(1) or "").lower(), (m.group(1) or "").lower())
        audience = parse_audience(m.group(2), vocab)
        if audience is None:
            noun = unknown_noun(m.group(2), vocab)
            return not_understood(text, noun) if noun else None
        if not platform:
            return clarify("Which platform should the ads be for: facebook, google or linkedin?")
        brief = (m.group(3) or f"Ads for {m.group(2).strip()}").strip()
        return [Call("draft_ads", {"platform": platform, "filter": audience, "brief": brief})]
    if re.match(r"^(?:(?:show|list|view|see|get|open|what are|which)(?: me)?(?: all)?(?: the| my| our)? )?"
                r"(?:(?:facebook|google|linkedin|running|active|current) )?(?:ads|ad campaigns|adverts|advertising|ads "
                r"campaigns)(?: (?:are running|do we have|running))?$|^how are (?:my|our|the) ads (?:doing|going|"
                r"performing)$|^(?:show |see |get )?(?:me )?(?:the |our |my )?(?:ads?|ad campaigns?|advertising) "
                r"(?:performance|results|report|stats|numbers|spend)$", text, re.I):
        return [Call("list_ad_campaigns", {})]
    if re.match(r"^(?:how much|what(?:'s| is| was)|show|how many|total)\b.*\b(?:spend|spent|cost|costs|clicks|"
                r"impressions|conversions)\b.*\b(?:on |our |the |my |all )?(?:facebook |google |linkedin )?(?:ads?|"
                r"advertising|ad campaigns?)(?: get| got| have| had)?$|^(?:show |what(?:'s| is) )?(?:our |the |my )?"
                r"(?:total )?ad (?:spend|costs?|clicks)$", text, re.I):
        return [Call("list_ad_campaigns", {})]  # the list has spend, clicks and conversions per ad (all time)
    m = re.match(r"^(?:show |get |see )?(?:me )?(?:the )?(?:ads?|ad campaign) (?:report|results|performance|stats|"
                 r"numbers)(?: (?:for|of|on))? (.+)$", text, re.I) or \
        re.match(r"^how(?:'s| is| are| did| has) (?:the )?(.+?) ads? (?:campaign )?(?:doing|going|performing|perform|do)$",
                 text, re.I) or \
        re.match(r"^(.+?) ads? (?:report|results|performance|stats)$", text, re.I)
    if m:
        name = _campaign_name(re.sub(r"\s+ads?$", "", m.group(1).strip(), flags=re.I))
        if name and re.fullmatch(r"(?:facebook|fb|meta|instagram|google|linkedin|our|my|all|all the|all our)", name, re.I):
            return [Call("list_ad_campaigns", {})]  # a platform is not an ad's name: the list shows each platform
        if name is None:
            return clarify("Which ad campaign? `list ad campaigns` shows them.")
        return [Call("ad_report", {"ref": name})]
    return _ad_metrics(text)


def _ad_metrics(text: str) -> Any:
    m = re.match(r"^record (?:ad )?(.+?) (\d{4}-\d{2}-\d{2}) spend (\$?[\d.,]+) impressions (\d+) clicks (\d+)"
                 r"(?: conversions (\d+))?$", text, re.I)
    if not m:
        return None
    spend = m.group(3) if m.group(3).startswith("$") else "$" + m.group(3)
    return [Call("record_ad_metrics", {"ref": m.group(1).strip().strip("\"'"), "day": m.group(2), "spend": spend,
                                       "impressions": int(m.group(4)), "clicks": int(m.group(5)),
                                       "conversions": int(m.group(6) or 0)})]


_METRIC_WORDS = (r"(?:analytics|stats|statistics|numbers|metrics|dashboard|kpis?|performance|results|report|"
                 r"(?:reply|response|open|click|delivery|booking|conversion|opt[- ]?out) rates?|"
                 r"overview|summary|figures|activity|costs?|spend|spending|cost per (?:booking|reply|response|"
                 r"message|text|sms|email|lead|contact|meeting))")


def analytics(text: str, vocab: Vocabulary) -> Any:
    p = PERIOD_RE
    m = re.match(rf"^(?:show |get |see |give |open |view |display |what(?:'s| is| was| are| were) )?(?:me |us )?"
                 rf"(?:the |our |my )?(?:daily |weekly |"
                 rf"monthly )?({_METRIC_WORDS})(?: (?:for|from|of|over|during|in|since))?(?: the)?(?: ({p}))?$", text, re.I) \
        or re.match(rf"^({p})(?:'s|’s)? ({_METRIC_WORDS})$", text, re.I) \
        or re.match(rf"^how (?:did we do|are we doing|have we done|did it go|did things go|are things going)"
                    rf"(?: (?:for|in|over|during|since))?(?: the)?(?: ({p}))?$", text, re.I) \
        or re.match(rf"^what did we spend(?: (?:for|in|over|during|since))?(?: the)?(?: ({p}))?$", text, re.I)
    if not m:
        return None
    groups = [g for g in m.groups() if g]
    metric = next((g for g in groups if re.fullmatch(_METRIC_WORDS, g, re.I)), "")
    period_text = next((g for g in groups if not re.fullmatch(_METRIC_WORDS, g, re.I)), None)
    today = vocab.today or date.today()
    if period_text:
        period = resolve_period(period_text, today)
        if period is None:
            return None
    else:
        period = resolve_period("last 7 days", today)
    args: dict[str, Any] = {"start": period[0].isoformat(), "end": period[1].isoformat()}
    if re.match(r"costs?|spend|cost per", metric, re.I) or text.lower().startswith("what did we spend"):
        args["chart"] = "costs"
    return [Call("show_analytics", args)]


def admin(text: str, vocab: Vocabulary) -> Any:
    if re.match(r"^(?:list|show|who are)(?: me)?(?: all)?(?: the| my| our)? (?:users|team members|people with access|"
                r"accounts)$|^users$", text, re.I):
        return [Call("list_users", {})]
    if re.match(r"^(?:list|show)(?: me)?(?: all)?(?: the| my| our)? api[ -]?keys$|^api[ -]?keys$", text, re.I):
        return [Call("list_api_keys", {})]
    m = re.match(r"^(?:revoke|delete|disable) (?:the )?api[ -]?key (.+)$", text, re.I)
    return [Call("revoke_api_key", {"ref": m.group(1).strip().strip("\"'")})] if m else None


def sample(text: str, vocab: Vocabulary) -> Any:
    if re.match(r"^(?:load|add|create|install|import|set up|give me|try)(?: some)?(?: the)? (?:sample|demo|"
                r"example|test) (?:data|contacts|dataset)$", text, re.I):
        return [Call("load_sample_data", {})]
    if re.match(r"^(?:remove|delete|clear|unload|drop|get rid of|wipe)(?: all)?(?: the)? (?:sample|demo|example) "
                r"(?:data|contacts|dataset)$", text, re.I):
        return [Call("remove_sample_data", {})]
    return None


FREE_TEXT_RULES = (draft_campaign, reply, ads)  # keep the message text as typed
RULES = (sample, admin, send_test, campaigns_list, campaign_results, campaign_numbers, campaign_status,
         preview_question, campaign_verb, inbox, conversation, bookings, ads, analytics)
