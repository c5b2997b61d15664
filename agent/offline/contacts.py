"""Offline grammar, contacts: find, count, open one, update one, tag, opt out/in, enrich and review, history,
export, import (agent/offline/imports.py), erase. Each rule takes the cleaned text and the Vocabulary and returns calls, a reply
(`agent.offline.talk.Understanding`), or None when it does not apply. Pure."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.filters import Vocabulary, parse_audience, unknown_noun
from agent.offline.imports import imports
from agent.offline.talk import Call, Understanding, clarify, not_understood

FIELD_WORDS = {
    "phone": "phone", "phone number": "phone", "number": "phone", "mobile": "phone", "cell": "phone",
    "mobile number": "phone", "cell phone": "phone", "email": "email", "e-mail": "email", "email address": "email",
    "company": "company", "company name": "company", "employer": "company", "title": "job_title",
    "job title": "job_title", "role": "job_title", "job": "job_title", "position": "job_title",
    "website": "website", "site": "website", "web site": "website", "url": "website", "city": "city",
    "town": "city", "state": "region", "region": "region", "province": "region", "country": "country",
    "first name": "first_name", "last name": "last_name", "surname": "last_name", "name": "name", "zip": "postal_code",
    "zip code": "postal_code", "zipcode": "postal_code", "postal code": "postal_code", "postcode": "postal_code",
    "timezone": "timezone", "time zone": "timezone",
}
_FIELD_RE = "|".join(sorted((re.escape(w) for w in FIELD_WORDS), key=len, reverse=True))
_PRONOUNS = {"it", "them", "this", "that", "these", "those", "him", "her", "they", "he", "she", "someone",
             "somebody", "a contact", "the contact", "contact", "contacts", "one", "everyone", "all"}
_NOT_NAME = re.compile(r"\b(in|tagged|with|without|at|from|who|whose|not|named|called|and|or|all|every|campaigns?|"
                       r"replies|invoices?|orders?|ads?|bookings?|meetings?|users?|stats|analytics|today|"
                       r"yesterday|week|month|report|sms|emails?|texts?|contacts|people|leads|customers|guys|"
                       r"everyone|enrichments?|reviews?|next|sender|drafts?|waiting|log|details|info|what|said|"
                       r"wrote|opt|opt-?outs?|optouts?|unsubscribes|unsubscribers|bounces|data|it|gonna|going|count|"
                       r"number|total|messages?|failed|failures?|been|most|least)\b", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_PHONE = re.compile(r"^\+?[\d(][\d\s().-]{6,}\d$")


def contact_ref(text: str, *, loose: bool = False) -> str | None:
    """`text` as a contact reference (email, phone, #id, or a name of 2-4 words; one word when `loose`)."""
    t = text.strip().strip("\"'").strip()
    t = re.sub(r"(?:'s|’s)$", "", t).strip()
    if not t or t.lower() in _PRONOUNS:
        return None
    if _EMAIL.match(t) or _PHONE.match(t) or re.fullmatch(r"#?\d{1,9}", t):
        return t
    words = t.split()
    if not all(re.fullmatch(r"[^\W\d_][^\W\d_.'-]*(?:['.-][^\W\d_]+)*\.?", w) for w in words):
        return None
    if _NOT_NAME.search(t) or not (2 <= len(words) <= 4 or (loose and len(words) == 1)):
        return None
    return t


def _audience_or_noun(text: str, vocab: Vocabulary) -> dict[str, Any] | Understanding | None:
    audience = parse_audience(text, vocab)
    if audience is not None:
        return audience
    noun = unknown_noun(text, vocab)
    return not_understood(text, noun) if noun else None


def count(text: str, vocab: Vocabulary) -> Any:
    if re.match(r"^how many(?: people| contacts| folks| recipients)? (?:replied|responded|answered|opened|clicked|booked|"
                r"opted out|unsubscribed)(?: to| on| from| after| in)(?: the)? ", text, re.I):
        return None  # "how many people replied to the spring campaign": its report counts the replies to it
    text = re.sub(r" (?:do we have|do i have|have we got|are there|we have|we've got) (?=(?:in|at|from|with|without|"
                  r"tagged|who)\b)", " ", text, flags=re.I)  # "how many plumbers do we have in texas"
    m = re.match(r"^(?:how many|count(?: up)?|number of|total(?: number of)?|what'?s the (?:total )?number of)"
                 r"(?: of)?(?: the| all| my| our| total)? (.*?)(?: are there| do we have| do i have| have we got| we have|"
                 r" i have| are in the database| in total| total| in the system| altogether| now)*$", text, re.I)
    if not m:
        return None
    found = _audience_or_noun(m.group(1), vocab)
    if isinstance(found, dict):
        return [Call("count_contacts", {"filter": found})]
    return found


_SHOW = (r"^(?:show|list|find|search(?: for)?|get|display|view|see|give|pull(?: up)?|fetch|look(?: up| for)?|"
         r"lookup|who are|i want to see|i need)(?: me| us)?(?: (?:a|the|full) list of| list of)?(?: all)?(?: of)?"
         r"(?: the| my| our)? (.*)$")


def show(text: str, vocab: Vocabulary) -> Any:
    m = re.match(_SHOW, text, re.I)
    rest = m.group(1) if m else text
    page = 1
    pm = re.search(r"\s*,?\s*(?:page|p\.?) (\d+)$", rest, re.I)
    if pm:
        page, rest = int(pm.group(1)), rest[: pm.start()]
    audience = parse_audience(rest, vocab)
    if audience is not None:
        args: dict[str, Any] = {"filter": audience}
        if page != 1:
            args["page"] = page
        return [Call("query_contacts", args)]
    if not m:
        return None
    if re.fullmatch(r"(?:all of )?(?:them|those|these|they)(?: contacts| people| ones)?", rest.strip(), re.I):
        return clarify("Which contacts? The message before named none: say who, e.g. `show contacts in Austin`.")
    ref = contact_ref(rest)
    if ref:
        return [Call("open_contact", {"contact": ref})]
    noun = unknown_noun(rest, vocab)
    return not_understood(text, noun) if noun else None


def open_contact(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:show|open|view|display|pull up)(?: me)? (.+?)(?:'s|’s) (?:card|profile|details|info|record|"
                 r"contact card|contact details|contact)$", text, re.I) or re.match(r"^(?:open|view|show|display|pull up|bring up|find|get)(?: me)?(?: the)? (?:contact|card|profile|"
                 r"record|details|info|contact card|contact details)(?: (?:for|of|on))? (.+)$", text, re.I) or \
        re.match(r"^(?:open|who is|who's|whos|tell me about|details (?:for|of|on)|info (?:on|for|about)|"
                 r"(?:contact )?card (?:for|of)|profile (?:for|of)|everything about|what do we know about|"
                 r"contact) (.+)$", text, re.I) or \
        re.match(r"^(?:show|open|view|display|pull up)(?: me)? (.+?)(?:'s|’s) (?:card|profile|details|info|record|"
                 r"contact card|contact details|contact)$", text, re.I)
    if not m:
        return None
    target = m.group(1).strip()
    if target.lower() in _PRONOUNS or target.lower() in ("contact", "a contact"):
        return clarify("Which contact? Give a name, email, phone number or #id.")
    bare = re.sub(r"^(?:the|my|our) ", "", target, flags=re.I)
    if vocab.knows(bare, "contact") is False and vocab.knows(bare, "campaign"):  # "open the spring roof check"
        return [Call("open_campaign", {"campaign": bare})]
    ref = contact_ref(target, loose=True)
    return [Call("open_contact", {"contact": ref})] if ref else None


def set_field(text: str, vocab: Vocabulary) -> Any:
    f = _FIELD_RE
    m = re.match(rf"^(?:set|change|update|make|edit|correct|fix)\s+(.+?)(?:'s|’s|s')\s+({f})\s+(?:to|=|:|as)\s+(.+)$",
                 text, re.I) or \
        re.match(rf"^(.+?)(?:'s|’s)\s+(?:new\s+|updated\s+|correct\s+|current\s+)?({f})\s+(?:is now|now is|"
                 rf"should be|has changed to|changed to|is)\s+(.+)$", text, re.I) or \
        re.match(rf"^make\s+(.+?)(?:'s|’s)\s+({f})\s+(.+)$", text, re.I) or \
        re.match(rf"^(?:set|change|update|edit)\s+(.+?)\s+({f})\s+(?:to|=|:)\s+(.+)$", text, re.I)
    if m:
        ref, word, value = m.group(1), m.group(2), m.group(3)
    else:
        m = re.match(rf"^(?:set|change|update|edit)\s+(?:the\s+)?({f})\s+(?:of|for)\s+(.+?)\s+(?:to|=)\s+(.+)$",
                     text, re.I) or \
            re.match(rf"^(?:the\s+)?({f})\s+(?:of|for)\s+(.+?)\s+(?:is now|should be|is)\s+(.+)$", text, re.I)
        if not m:
            return _moved(text)
        word, ref, value = m.group(1), m.group(2), m.group(3)
    target = contact_ref(ref, loose=True)
    if target is None:
        return None
    return [Call("update_contact", {"ref": target, "changes": {FIELD_WORDS[word.lower()]: value.strip()}})]


def _moved(text: str) -> Any:
    m = re.match(r"^(.+?) (?:moved|has moved|relocated) to (.+)$", text, re.I)
    target = contact_ref(m.group(1), loose=True) if m else None
    return [Call("update_contact", {"ref": target, "changes": {"city": m.group(2).strip()}})] if target else None


def tag(text: str, vocab: Vocabulary) -> Any:
    t = r"[\w\- ]+?"
    m = re.match(rf"^(un)?(?:tag|label|mark) (.+?) (?:as|with)(?: the| a)?(?: tag)? ({t})(?: tag)?$", text, re.I)
    if m:
        who, tags, remove = m.group(2), m.group(3), bool(m.group(1))
    else:
        m = re.match(rf"^(add|put|remove|delete|take off|strip|untag)(?: the| a)?(?: tags?)? ({t})(?: tags?)? "
                     rf"(?:to|on|from|off) (.+)$", text, re.I)
        if m and m.group(1).lower() in ("put", "take off", "strip") and not re.search(r"\btags?\b", text, re.I):
            m = None  # "put spring on hold" is not a tag
        if m and re.fullmatch(r"(?:the |our |my )?(?:database|db|system|crm|contacts|contact list|list|platform|"
                              r"records|account)", m.group(3), re.I):
            m = None  # "remove tom becker from the database" erases a person, it removes no tag
        if m:
            who, tags, remove = m.group(3), m.group(2), m.group(1).lower() not in ("add", "put")
        else:
            m = re.match(r"^(un)?tag (.+) ([\w-]+)$", text, re.I)  # "tag grace lee hot", "untag luis garcia vip"
            if not m:
                return None
            who, tags, remove = m.group(2), m.group(3), bool(m.group(1))
    tag_list = [x.strip().lower() for x in re.split(r"\s*(?:,|\band\b)\s*", tags) if x.strip()]
    if who.strip().lower() in _PRONOUNS and vocab.last_filter is None:
        return clarify("Which contacts? Say who, e.g. `tag contacts in Austin as vip`.")
    audience = parse_audience(who, vocab)
    key = "remove_tags" if remove else "add_tags"
    if audience is not None:
        return [Call("bulk_update", {"filter": audience, key: tag_list})]
    ref = contact_ref(who, loose=True)
    if ref:
        return [Call("update_contact", {"ref": ref, "changes": {key: tag_list}})]
    noun = unknown_noun(who, vocab)
    return not_understood(text, noun) if noun else None


_CHANNEL = r"(sms|texts?|text messages?|messages|email|emails|e-?mails?|mail|marketing emails|the sms list|the email list)"


def _channel(word: str | None) -> str | None:
    if not word:
        return None
    return "email" if re.search(r"e-?mail|mail", word, re.I) else "sms"


def opt(text: str, vocab: Vocabulary) -> Any:
    pats = [
        (rf"^opt[ -]?(out|in) (.+?)(?: (?:from|of|for|on|to|into) {_CHANNEL})?$", None),
        (rf"^opt (.+?) (out|back in|back into|in|into)(?: (?:(?:of|from|to|for|on) )?{_CHANNEL})?$", "swap"),
        (rf"^(unsubscribe|resubscribe|re-subscribe) (.+?)(?: (?:from|to|of) {_CHANNEL})?$", None),
        (r"^(?:stop|don'?t|do not|never) (texting|messaging|sms|emailing|e-?mailing|mailing|text|email|contact(?:ing)?)"
         r" (.+?)(?: again| anymore| any more)?$", "verb"),
        (rf"^(remove|take) (.+?) (?:off|from) {_CHANNEL}$", "remove"),
        (rf"^(?:stop|quit|no longer) (?:sending|send) (?:any )?{_CHANNEL} to (.+?)(?: again| anymore| any more)?$",
         "channel first"),
        (rf"^no more {_CHANNEL} (?:for|to) (.+)$", "channel first"),
        (rf"^(?:put|add) (.+?) back (?:on|onto|in|into|to) (?:the )?{_CHANNEL}(?: list)?$", "back on"),
        (rf"^(.+?) (?:wants|would like|can get|should get|may get)(?: to (?:get|receive))? {_CHANNEL}(?: again)?$",
         "back on"),  # "again" is often cut as a trailing filler word
        # "luis garcia asked us to stop texting him", "jane wants no more emails", "tom doesn't want texts anymore"
        (r"^(.+?) (?:asked|asks|has asked|wants|wanted|would like|requested|told us)(?: us)?(?: to)? "
         r"(?:stop|not|no more|never)(?: to)? (?:getting |receiving |get |receive |being )?"
         r"(texting|texted|texts?|messaging|messaged|messages|sms|emailing|emailed|e-?mails?)"
         r"(?: (?:him|her|them))?(?: anymore| any more)?$", "asked"),
        (r"^(.+?) (?:doesn'?t|does not|don'?t|do not) want (?:any )?(?:more )?(texts?|messages|sms|e-?mails?)"
         r"(?: anymore| any more)?$", "asked"),
        (rf"^(?!(?:how|who|what|which|when|where|why|number|count|total|did|has|have|is|are|was|were|any|all|every|no|"
         rf"nobody|anyone|"
         rf"anybody|everyone|people|contacts|many|show|list)\b)(.+?) (?:has |have )?(?:unsubscribed|opted out)"
         rf"(?: (?:from|of) {_CHANNEL})?$", "asked"),  # "jane doe unsubscribed from texts"
    ]
    every = re.match(r"^(?:opt (.+?) out|opt[ -]?out (.+?)|unsubscribe (.+?)) (?:of|from) (?:everything|all channels|"
                     r"all|both|sms and email|email and sms|all messages|all communications?)$", text, re.I)
    if every and contact_ref(next(g for g in every.groups() if g), loose=True):
        address = next(g for g in every.groups() if g).strip()
        return [Call("opt_out", {"channel": "sms", "address": address}),
                Call("opt_out", {"channel": "email", "address": address})]
    hit = next(((re.match(p, text, re.I), h) for p, h in pats if re.match(p, text, re.I)), None)
    if hit is None:
        return None
    m, how = hit
    if how == "swap":
        who, direction, word = m.group(1), m.group(2), m.group(3)
    elif how == "verb":
        who, direction, word = m.group(2), "out", m.group(1)
        if word.lower().startswith("contact"):
            word = None
    elif how == "remove":
        who, direction, word = m.group(2), "out", m.group(3)
    elif how == "channel first":
        who, direction, word = m.group(2), "out", m.group(1)
    elif how == "asked":
        who, direction, word = m.group(1), "out", m.group(2)
    elif how == "back on":
        who, direction, word = m.group(1), "in", m.group(2)
    else:
        direction, who, word = m.group(1), m.group(2), m.group(3)
    direction = "in" if direction.lower() in ("in", "back in", "back into", "into", "resubscribe", "re-subscribe") \
        else "out"
    address = who.strip().strip("\"'")
    ref = contact_ref(address, loose=True)
    if ref is None:
        return None
    channel = _channel(word) or ("email" if "@" in address else "sms" if _PHONE.match(address) else None)
    name = "opt_out" if direction == "out" else "opt_in"
    if channel is None:
        return clarify(f"Which channel should {address} be opted {direction} {'of' if direction == 'out' else 'to'}:"
                       " sms or email?")
    return [Call(name, {"channel": channel, "address": address})]


def enrich(text: str, vocab: Vocabulary) -> Any:
    if re.match(r"^(?:review|approve|check|go through|start reviewing|show)(?: the)?(?: pending)? enrichments?"
                r"(?: results?| queue| items?| reviews?)?$|^next(?: enrichment)?(?: review| item| one| result)?$|"
                r"^(?:what|anything) (?:needs|is waiting for|to) review$|^review (?:the )?next(?: one| item| enrichment)?$|^(?:show|get|give|open)(?: me)? (?:the )?next "
                r"(?:enrichment|item|one|result|review)(?: to review| for review| to check)?$", text, re.I):
        return [Call("next_review_item", {})]
    if re.match(r"^(?:show |what'?s the |check )?(?:the )?enrichment (?:status|progress|jobs)$|"
                r"^how(?:'s| is) (?:the )?enrichment (?:going|doing)$|^how far (?:along )?(?:is|are) (?:the )?enrichments?$|^(?:is|are) (?:the )?enrichments? (?:done|finished|"
                r"complete|over|still running|running|ready)(?: yet)?$", text, re.I):
        return [Call("enrichment_progress", {})]
    m = re.match(r"^(approve|accept|reject|decline|skip) (?:enrichment |the enrichment )?(?:job |result |item )?"
                 r"#?(\d+)$", text, re.I)
    if m:
        verb, job = m.group(1).lower(), int(m.group(2))
        if verb == "skip":
            return [Call("next_review_item", {"skip": [job]})]
        reject = verb in ("reject", "decline")
        return [Call("review_enrichment", {"job_id": job, "reject": True} if reject else
                     {"job_id": job, "approve": "all"})]
    m = re.match(r"^approve (?:all |every )?(?:the )?(?:enrichments?|results?|fields?)?(?: results?)?(?: with| at| above|"
                 r" over| from)?(?: a)?(?: confidence)?(?: of| above| over| at least| >=?)?\s*(0?\.\d+|\d+ ?%)"
                 r"(?: confidence)?(?: or (?:more|higher|above))?$", text, re.I)
    if m:
        raw = m.group(1).replace(" ", "")
        conf = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        return [Call("bulk_approve_enrichment", {"min_confidence": conf})]
    m = re.match(r"^(?:enrich|research|look up company (?:info|data) (?:for|on)|find (?:company|more) "
                 r"(?:info|data|details) (?:for|on|about))(?: the)? (.+)$", text, re.I)
    if not m:
        return None
    who = m.group(1)
    if who.strip().lower() in _PRONOUNS and vocab.last_filter is None:
        return clarify("Which contacts should I enrich? E.g. `enrich contacts tagged roofer`.")
    found = _audience_or_noun(who, vocab)
    if isinstance(found, dict):
        return [Call("enrich_contacts", {"filter": found})]
    ref = contact_ref(who, loose=True)
    if ref:
        return [Call("enrich_contacts", {"filter": _ref_filter(ref)})]
    return found


def _ref_filter(ref: str) -> dict[str, Any]:
    if "@" in ref:
        return {"field": "email", "op": "eq", "value": ref}
    if _PHONE.match(ref):
        return {"field": "phone", "op": "eq", "value": ref}
    if re.fullmatch(r"#?\d+", ref):
        return {"field": "id", "op": "eq", "value": int(ref.lstrip("#"))}
    return {"field": "name", "op": "eq", "value": ref}


def history(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:show |get |see |view |open |what(?:'s| is) )?(?:me )?(?:the )?(?:full )?(?:activity log|"
                 r"history|timeline|activity|activities|interactions|log)(?: for| of| with| on)? (.+)$", text, re.I) or \
        re.match(r"^(?:show |get |see |view |open )?(?:me )?(.+?)(?:'s|’s) (?:history|timeline|activity|interactions)$",
                 text, re.I) or \
        re.match(r"^what(?:'s| has)? (?:happened|has happened|have we done|did we do) (?:with|to) (.+)$", text, re.I)
    if not m:
        return None
    ref = contact_ref(m.group(1), loose=True)
    if ref is None:
        return clarify("Which contact's history? Give a name, email, phone number or #id.") \
            if m.group(1).strip().lower() in _PRONOUNS else None
    return [Call("contact_history", {"ref": ref})]


def export(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:export|download|save|dump)(?: me)?(?: a csv of)? (.+?)(?: (?:to|as|into|in) (?:an? )?"
                 r"(?:csv|spreadsheet|excel|file)(?: file)?)?$", text, re.I) or \
        re.match(r"^(?:(?:give me|get me|i need|send me|make) )?(?:a|an)? ?(?:csv|spreadsheet|export|excel file) "
                 r"(?:of|with) (.+)$", text, re.I)
    if not m:
        return None
    who = m.group(1)
    if who.strip().lower() in ("those", "these", "them", "that", "this", "it", "those contacts", "these contacts",
                               "the results", "that list", "this list") and vocab.last_filter is None:
        return clarify("Which contacts should I export? Say who, e.g. `export contacts tagged roofer` "
                       "(or `export all contacts`).")
    if vocab.last_filter is not None and re.fullmatch(r"(?:it|this|that|this list|that list|these|those)", who.strip(),
                                                      re.I):
        who = "them"
    if re.fullmatch(r"(?:all|everything|the list|the contacts|contacts|all contacts|everyone|(?:the |our |my )?"
                    r"(?:whole |entire |full |complete )?(?:contact list|list of contacts|database|contacts list|"
                    r"contact database|crm))", who, re.I):
        return [Call("export_contacts", {"filter": {}})]
    found = _audience_or_noun(who, vocab)
    return [Call("export_contacts", {"filter": found})] if isinstance(found, dict) else found


def merge(text: str, vocab: Vocabulary) -> Any:
    """"merge contact A into B", "merge #12 into #7", "combine jane@a.com with jane@b.com" (the second stays)."""
    m = re.match(r"^(?:merge|combine|fold)(?: the)?(?: contacts?| records?)? (.+?) (?:into|with|onto|to)"
                 r"(?: the)?(?: contact| record)? (.+)$", text, re.I)
    if not m:
        return None
    source, target = contact_ref(m.group(1), loose=True), contact_ref(m.group(2), loose=True)
    if not source or not target:
        return clarify("Which two contacts? Say \"merge contact A into B\" with names, emails, phones or #ids; "
                       "B is the one that stays.")
    return [Call("merge_contacts", {"source": source, "target": target})]


_ERASE = re.compile(r"^(?:gdpr[ -])?(?:delete|erase|forget|remove|purge|wipe)(?: out)?(?: the| this)?"
                    r"(?: (?:contact|person|lead|record|customer|contact record))?(?: of| for)? (.+?)"
                    r"(?: (?:from|out of|in) (?:the |our |my )?(?:database|db|system|crm|contacts|contact list|list|"
                    r"platform|records|account))?(?: (?:completely|permanently|for good|entirely|forever))?$", re.I)


def erase(text: str, vocab: Vocabulary) -> Any:
    """"delete jane doe", "erase contact #12", "forget jane@acme.com", "remove tom becker from the database": one
    contact, by name (two words or more, or one the account knows), email, phone or #id. "forget it", "delete all
    contacts" and other things that are not one person are left to other rules."""
    m = _ERASE.match(text)
    if not m or re.search(r"\b(?:tags?|sample|api|keys?|templates?|imports?|sequences?|brand|sender|drafts?)\b",
                          m.group(1), re.I):
        return None
    one_word = contact_ref(m.group(1), loose=True) if vocab.names and "contact" in vocab.names(m.group(1)) else None
    ref = contact_ref(m.group(1)) or one_word
    if ref and vocab.names and "campaign" in vocab.names(ref) and "contact" not in vocab.names(ref):
        return None  # "delete the spring roof check" names a campaign
    return [Call("erase_contact", {"contact": ref})] if ref else None


RULES = (opt, enrich, history, export, imports, set_field, tag, count, open_contact, merge, erase)
LAST_RULES = (show,)
