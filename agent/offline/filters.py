"""Audience phrases of the offline grammar -> filters in the `domain.filters` JSON language.

"contacts in Austin without email", "roofers in Texas", "contacts tagged roofer at Acme", "everyone",
"contacts named Jane", "contacts who opted out of sms", "contacts not enriched". Pure; None when not understood.

A plural noun that is not "contacts" ("roofers") is a tag only when the vocabulary says that tag exists: a noun
nobody uses as a tag ("invoices") is never guessed as one. `Vocabulary.tags=None` (the pure grammar, no database)
accepts any noun except the names of other things (campaigns, replies, invoices, ...).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from agent.offline.dates import PERIOD_RE
from domain.folding import fold

# Things that are not contacts: never read as a tag (a person asking for these means something else).
OTHER_NOUNS = {
    "campaign", "replie", "reply", "message", "conversation", "chat", "booking", "meeting", "appointment", "call",
    "ad", "invoice", "order", "product", "deal", "ticket", "task", "payment", "report", "stat", "number", "import",
    "export", "file", "user", "key", "tag", "segment", "list", "email", "phone", "sm", "text", "analytic", "result",
    "note", "event", "job", "enrichment", "review", "setting", "template", "form", "page", "sale", "lead",
    "subscriber", "unsubscribe", "bounce", "click", "open", "cost", "spend", "transaction", "refund", "account",
    "opportunitie", "opportunity", "companie", "company", "city", "citie", "state", "region", "countrie", "country",
}


@dataclass(frozen=True)
class Vocabulary:
    """What the parser may assume about the account: `tags(word)` is True when some contact has that tag
    (None: the pure grammar, any noun not in OTHER_NOUNS); `tag_names()` every tag in use (a mistyped tag is read
    as the one it is closest to); `names(text)` what a phrase names in the account: a set of "contact",
    "campaign" (None: the pure grammar knows no names, and a 2-4 word phrase may be a contact); `last_filter` the
    audience of the user's previous message ("show roofers in texas" -> "export them"), None when it had none."""

    tags: Callable[[str], bool] | None = None
    today: date | None = None  # in the account time zone; None: relative dates are not understood
    tag_names: Callable[[], list[str]] | None = None
    names: Callable[[str], frozenset[str]] | None = None
    last_filter: dict[str, Any] | None = None
    is_city: Callable[[str], bool] | None = None  # some contact lives in this city (None: not known)

    def is_tag(self, word: str) -> bool:
        if word in OTHER_NOUNS or not re.fullmatch(r"[a-z][a-z0-9-]*", word):
            return False
        return True if self.tags is None else bool(self.tags(word))

    def tag_for(self, word: str) -> str | None:
        """The tag a (singular) word stands for: itself, or the tag in use it is a typo of; None when neither."""
        word = word.lower()
        if self.is_tag(word):
            return word
        if word in OTHER_NOUNS or self.tag_names is None or len(word) < 5:
            return None
        close = difflib.get_close_matches(word, [t for t in self.tag_names() if t not in OTHER_NOUNS], 1, 0.85)
        return close[0] if close else None

    def knows(self, text: str, kind: str) -> bool | None:
        """Whether `text` names a `kind` ("contact", "campaign") in the account; None when names are unknown."""
        return None if self.names is None else kind in self.names(text)


PURE = Vocabulary()

US_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID",
    "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
    "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
    "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV",
    "wisconsin": "WI", "wyoming": "WY", "district of columbia": "DC",
}
_CODES = set(US_STATES.values())
_NOUNS = (r"(?:all |every |the )*(?:contacts?|people|persons|leads?|customers?|clients?|everyone|everybody|folks|"
          r"guys|prospects|businesses|companies|contractors|firms|shops|ones)")
_KEYWORDS = r"\b(in|tagged|untagged|notin|notincampaign|with|without|at|named|called|from|who|not|added|created|incampaign)\b"
_FIELDS = {"email": "email", "emails": "email", "an email": "email", "email address": "email",
           "an email address": "email", "email addresses": "email", "phone": "phone", "phones": "phone",
           "a phone": "phone", "phone number": "phone", "a phone number": "phone", "phone numbers": "phone",
           "mobile": "phone", "a mobile": "phone", "number": "phone", "a number": "phone", "website": "website",
           "a website": "website", "websites": "website", "site": "website", "a site": "website",
           "company": "company", "a company": "company", "title": "job_title", "job title": "job_title",
           "tags": "tags", "a tag": "tags", "any tags": "tags", "any tag": "tags",
           "a job title": "job_title", "a title": "job_title", "city": "city", "a city": "city"}
_REWRITES = [  # phrasings -> the grammar's keywords
    (r"\b(?:(?:who|that) )?(?:are |is )?not (?:tagged|labell?ed)(?: as| with)?\b", " untagged "),  # "not tagged roofer"
    (r"(?:^\s*|\b(?:who|that) )(?:are|is|were|was) (?=in (?:the )?(?:campaign \w|[\w'&()-]+(?: [\w'&()-]+)*? campaign"
     r"(?:\s|$)))", " "),  # "(how many people) are in the spring campaign"
    (r"^\s*(?:got|received|were sent|were in) (?=(?:the )?(?:campaign \w|[\w'&()-]+(?: [\w'&()-]+)*? campaign(?:\s|$)))",
     " who got "),  # "(how many contacts) got the spring campaign"
    (r"\b(replied|responded|answered|reply|respond|answer|booked|book|opted out|unsubscribed) (?:to|from|after|on) "
     r"(?=(?:the )?(?:campaign \w|[\w'&()-]+(?: [\w'&()-]+)*? campaign(?:\s|$)))", r"\1 in "),
    (r"\b(?:(?:(?:who|that) )?(?:were|was|got) (?:sent|messaged|texted|emailed|contacted)(?: in| by)? |who got |from |"
     r"in |of )(?:the )?(?:campaign ([\w'&()-]+(?: [\w'&()-]+)*)|([\w'&()-]+(?: [\w'&()-]+)*?) campaign)(?=\s|$)",
     lambda m: f" incampaign {(m.group(1) or m.group(2)).replace(' ', '_')} "),
    (r"\b(?:(?:who|that) )?(?:are |is |were |was )?not incampaign\b", " notincampaign "),  # "not in campaign X"
    (r"\b(?:(?:who|that) )?(?:are |is )?(?:not (?:located |based )?in|outside(?: of)?)\b", " notin "),  # "not in Austin or Dallas"
    (r"\b(?:in|within|over|during) (?:the )?(?:last|past) (\d+) days?\b|\b(?:in )?(?:the )?(?:last|past) (\d+) days?\b",
     lambda m: f" last_{m.group(1) or m.group(2)}_days"),
    (r"\b(?:in|within|over|during)? ?(?:the )?(?:last|past) (\d+) hours?\b",
     lambda m: f" last_{max(1, -(-int(m.group(1)) // 24))}_days"),  # "in the last 24 hours": whole days
    (rf"\b(?:in |during |over |on |for )?(?:the )?({PERIOD_RE})\b", lambda m: " when_" + m.group(1).replace(" ", "_")),
    (r"\b(?:who |that )?(?:don't|do not|doesn't|does not|didn't|did not) (?:have|has)(?: an?| any)?\b", " without "),
    # "who haven't we contacted", "roofers we didn't message", "contacts have we contacted": contacted, any channel
    (r"\b(?:who |that )?(?:haven't|have not|hasn't|didn't|did not) (?:we|i) (?:contact(?:ed)?|messag(?:e|ed)|"
     r"reach(?:ed)? out to)\b", " not contacted"),
    (r"\b(?:who |whom |that )?(?:we|i) (?:haven't|have not|didn't|did not|never) (?:yet )?(?:contact(?:ed)?|"
     r"messag(?:e|ed)|reach(?:ed)? out to)\b", " not contacted"),
    (r"\b(?:who |that )?(?:did|have|had) (?:we|i|you) (?:contact(?:ed)?|messag(?:e|ed)|reach(?:ed)? out to)\b",
     " who contacted"),
    (r"\b(?:who|that) (?:did not|didn't|haven't|have not|hasn't|were not|weren't|aren't|are not|was not|wasn't|is not|"
     r"isn't) (?:been |yet )?", " not "),
    (r"\bwhose\b", " who "),
    (r"\b(?:who|that|which)? ?(?:live|lives|living|are|is|work|works|working|are based|based|are located|located)"
     r" in\b", " in "),
    (r"\b(?:who|that)? ?(?:work|works|working|are employed|employed) (?:at|for)\b", " at "),
    (r"\b(?:who|that)? ?(?:have|has|having) no\b|\bwith no\b|\bmissing\b|\blacking\b|\bwithout an?\b",
     " without "),
    (r"\b(?:who|that) (?:have|has) (?!(?:replied|responded|booked|been|opted|unsubscribed|never|not)\b)(?:an? )?\b"
     r"|\bhaving\b", " with "),
    (r"^\s*(?:have|has)(?: got)? (?!(?:replied|responded|booked|been|opted|unsubscribed|never|not|no|we|i|you)\b)"
     r"(?:an? |any )?",
     " with "),  # "(how many roofers) have a phone"
    (r"\btagged as\b|\bwith the tag\b|\bwith tag\b|\btagged with\b|\blabell?ed\b", " tagged "),
    (r"\b(?:who |whom |that )?(?:we|i) (?:have |had |'ve )?(contacted|messaged|reached out to|reached)\b", r" who \1"),
    (r"\b(?:who|that) (?:are|were|was|is|have been|has been|got)\b", " who "),
    (r"^\s*(?:were|was|have been|has been|had been|got|been) (?=(?:contacted|messaged|reached)\b)", " who "),
    (r"\bthat\b", " who "),
    (r"(?<!who )(?<!not )(?<!never )(?<!have )(?<!has )\b(replied|responded|booked|opted out|unsubscribed)\b", r" who \1"),
    (r"\s*,\s*|\s+and\s+(?=(?:in|with|without|at|tagged|who|not|from|named)\b)", " "),
    (r"\b(?:did|have|had) (?:we|i|you) (?:add|import|create)(?:ed)?\b", " added"),
    (r"\b(?:who |that )?(?:were |was |have been |has been |got |been |we |i |you )?(?=(?:added|created)\b)", " "),
    (r"\b(opted out|unsubscribed) from\b", r"\1 of"),  # "from" would start a place
]


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


def _singular(word: str) -> str:
    word = word.lower()
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _place(value: str) -> list[dict[str, Any]]:
    raw = value.strip()
    key = fold(raw)
    if key in US_STATES:
        return [cond("region", "in", [US_STATES[key], raw.title()])]
    if raw.upper() in _CODES and len(raw) == 2:
        code = raw.upper()
        return [cond("region", "in", [code, *[n.title() for n, c in US_STATES.items() if c == code]])]
    m = re.match(r"^(.+?)(?:,\s*|\s+)([A-Za-z]{2}|" + "|".join(US_STATES) + r")$", raw, re.I)
    if m and (fold(m.group(2)) in US_STATES or m.group(2).upper() in _CODES):
        return [cond("city", "eq", m.group(1).strip()), *_place(m.group(2))]
    return [cond("city", "eq", raw)]


def _places(value: str) -> list[dict[str, Any]]:
    """"Austin", "Austin, TX", or a list of places ("austin or dallas", "texas and oklahoma"): any of them."""
    pieces = [p for p in re.split(r"\s*(?:\bor\b|\band\b|,|/)\s*", value) if p.strip()]
    if len(pieces) < 2 or re.fullmatch(r".+?,\s*[A-Za-z]{2}", value.strip()):
        return _place(value)
    found = [_place(p) for p in pieces]
    if all(len(f) == 1 and f[0]["field"] == "city" for f in found):
        return [cond("city", "in", [f[0]["value"] for f in found])]
    if all(len(f) == 1 and f[0]["field"] == "region" for f in found):
        return [cond("region", "in", [v for f in found for v in f[0]["value"]])]
    return [{"any": [f[0] if len(f) == 1 else {"all": f} for f in found]}]


_COMPANYISH = re.compile(r"\b(?:inc|llc|ltd|co|corp|company|roofing|group|plumbing|electric|hvac|works)\b", re.I)


_RELATIVE = re.compile(r"(?:the )?(?:last|latest|newest|recent|most recent|previous|first|current|this|that|any|every|all|a|an|my|our|same|other)", re.I)


def _clause(keyword: str, value: str, today: date | None) -> list[dict[str, Any]] | None:
    value = re.sub(r"\s+(?:and|or)$", "", value.strip()).strip().strip("\"'").strip()
    kw = keyword.lower()
    if kw in ("in", "notin", "from") and re.search(r"\b(?:last|past|next|hours?|days?|weeks?|months?|years?|ago|"
                                                 r"morning|afternoon|evening|tonight)\b|when_|last_\d+_days", value, re.I):
        return None  # "in the last 24 hours", "from last week" are times, never a city
    if kw in ("in", "notin", "from") and re.search(r"\b(?:imports?|csv|files?|spreadsheets?|uploads?|database|db|system|"
                                                 r"crm|sequences?|ads?|inbox|list)\b", value, re.I):
        return None  # "contacts from the import" names no place
    if kw == "in" and value:
        return _places(value)
    if kw == "tagged" and value:
        return [cond("tags", "has", t.strip().lower()) for t in re.split(r"\s*(?:,|\band\b)\s*", value) if t]
    if kw == "untagged" and value:  # "not tagged roofer or vip": none of them
        tags = [t.strip().lower() for t in re.split(r"\s*(?:,|\bor\b|\band\b|/)\s*", value) if t.strip()]
        return [{"not": cond("tags", "has_any", tags) if len(tags) > 1 else cond("tags", "has", tags[0])}]
    if kw == "notin" and value:  # "not in Austin or Dallas", "outside Texas": in none of them
        if re.match(r"^(?:the|a|an|any|my|our|this|that)\b", value, re.I):
            return None  # "not in the database": no place; said as not understood rather than guessed
        places = _places(value)
        return [{"not": places[0] if len(places) == 1 else {"all": places}}]
    if kw in ("with", "without"):
        fld = _FIELDS.get(value.lower())
        if re.fullmatch(r"(?:an? )?(?:bounced|bouncing|invalid|bad) e-?mails?(?: address(?:es)?)?", value, re.I):
            bounced = cond("email_status", "eq", "bounced")
            return [bounced] if kw == "with" else [{"not": bounced}]
        if fld:
            return [cond(fld, "present" if kw == "with" else "missing")]
        m = re.match(r"^(?:the )?tags? (.+)$", value, re.I) or re.match(r"^(?:the )?(\S+) tag$", value, re.I)
        if m:
            tag = cond("tags", "has", m.group(1).strip().lower())
            return [tag] if kw == "with" else [{"not": tag}]
        return None
    if kw == "at" and value:
        return [cond("company", "contains", re.sub(r"^(?:company )", "", value, flags=re.I))]
    if kw in ("named", "called") and value:
        return [cond("name", "contains", value)]
    if kw == "from" and value:
        m = re.match(r"^company (.+)$", value, re.I)
        if m or _COMPANYISH.search(value):
            return [cond("company", "contains", m.group(1) if m else value)]
        return _place(value)
    if kw in ("who", "not"):
        return _status(value, negated=kw == "not", today=today)
    if kw in ("incampaign", "notincampaign") and _RELATIVE.fullmatch(value.replace("_", " ")):
        return None  # "the last campaign" names no campaign: not understood rather than a campaign called "last"
    if kw == "notincampaign" and value:
        return [{"not": cond("contacted_in_campaign", "eq", value.replace("_", " "))}]
    if kw == "incampaign" and value:
        return [cond("contacted_in_campaign", "eq", value.replace("_", " "))]
    if kw in ("added", "created"):
        return since_period("created_at", value, today)
    return None


def since_period(field: str, value: str, today: date | None) -> list[dict[str, Any]] | None:
    """Conditions on a date `field` for a period as said ("last week", "last_7_days", "when_this_month")."""
    value = re.sub(r"^when_", "", value.strip().lower()).replace("_", " ") if value.startswith("when_") else value
    m = re.fullmatch(r"last_(\d+)_days", value.lower())
    if m:
        return [cond(field, "within_days", int(m.group(1)))]
    if today is None:
        return None
    from agent.offline.dates import resolve_period

    period = resolve_period(re.sub(r"^(?:in|during|on) ", "", value.lower()), today)
    if period is None:
        return None
    out = [cond(field, "after", period[0].isoformat())]
    if period[1] < today:
        out.append(cond(field, "before", (period[1] + timedelta(days=1)).isoformat()))
    return out


_EVENTS = {"replied": "replied", "responded": "replied", "answered": "replied", "booked": "booked",
           "booked a meeting": "booked", "reply": "replied", "respond": "replied", "book": "booked",
           "booked a call": "booked", "booked an appointment": "booked", "contacted": "contacted",
           "messaged": "contacted", "reached": "contacted", "reached out to": "contacted", "replied to us": "replied",
           "wrote back": "replied", "written back": "replied", "got back to us": "replied"}
# "texted" / "emailed" are not here: they are their own fields (contacted on one channel), read by
# agent.offline.questions.by_channel, never as "contacted" (any channel).
_EVENT_RE = "|".join(sorted((re.escape(e) for e in _EVENTS), key=len, reverse=True))
_ENRICHMENT = {"failed": "failed", "pending": "pending", "in review": "in_review", "waiting for review": "in_review",
               "rejected": "rejected", "approved": "approved", "running": "running"}


def _status(value: str, negated: bool, today: date | None = None) -> list[dict[str, Any]] | None:
    v = re.sub(r"^(?:are |have |has |have been |has been |were |was |is |got |yet )", "", value.lower()).strip()
    never = v.startswith("never ")
    v = re.sub(r"^(?:been |yet )", "", v.removeprefix("never ").strip())
    m = re.match(r"^(?:opted out|unsubscribed)(?: (?:of|from) (sms|email|texts?|emails?|e-?mails?))?$", v)
    if m:
        if not m.group(1):  # no channel named: out of any channel
            out = cond("opted_out", "eq", "any")
            return [{"not": out}] if negated else [out]
        channel = "email" if "mail" in m.group(1) else "sms"
        return [cond(f"opted_out_{channel}", "eq", not negated)]
    m = re.match(r"^(?:enrichment (?:has |is |was )?(" + "|".join(_ENRICHMENT) + r")|(failed|rejected|pending) "
                 r"enrichment)$", v)
    if m and not negated:
        return [cond("enrichment_status", "eq", _ENRICHMENT[m.group(1) or m.group(2)])]
    if re.fullmatch(r"(?:e-?mail (?:has |have )?)?bounced|(?:have |has )?(?:an? )?bounced e-?mails?", v) and not negated:
        return [cond("email_status", "eq", "bounced")]
    m = re.match(r"^(?:added|created|imported|new) (.+)$", v)
    if m and not negated:
        return since_period("created_at", m.group(1), today)
    m = re.match(r"^(?:yet )?(enriched|pending enrichment)$", v)
    if m:
        status = "pending" if m.group(1) != "enriched" else ("none" if negated else "approved")
        return [cond("enrichment_status", "eq", status)]
    m = re.match(rf"^({_EVENT_RE})(?: (.+))?$", v)
    if m:
        field, when = _EVENTS[m.group(1)], (m.group(2) or "").strip()
        if when.replace("when_", "").replace("_", " ") in ("", "yet", "ever", "at all", "before", "so far", "all time"):
            return [cond(field, "missing" if (negated or never) else "present")]
        found = since_period(field, when, today)
        if found is None:
            return None
        if negated or never:
            return [{"not": found[0] if len(found) == 1 else {"all": found}}]
        return found
    return None


def unknown_noun(text: str, vocab: Vocabulary = PURE) -> str | None:
    """The leading plural noun of an audience phrase when it is neither "contacts" nor a known tag."""
    text = text.strip()
    if re.match(rf"^{_NOUNS}\b", text, re.I):
        return None
    word = re.match(r"^(?:all |the |my |our )*([A-Za-z][\w-]*s)\b", text)
    if word and not vocab.tag_for(_singular(word.group(1))):
        return word.group(1).lower()
    return None


# "them", "those contacts", "the same people": the audience of the previous message (Vocabulary.last_filter)
PRONOUN_AUDIENCE = re.compile(r"^(?:(?:them|they|those|these)(?: (?:contacts|people|ones|guys|folks|leads|"
                              r"customers))?|the same (?:contacts|people|ones|list|audience)|(?:that|this|the same) "
                              r"(?:list|audience|group|bunch)|the results)\b\s*", re.I)


def parse_audience(text: str, vocab: Vocabulary = PURE) -> dict[str, Any] | None:
    """A filter for an audience phrase; {} means everyone. None when a part is not understood."""
    text = re.sub(r"\s+", " ", text.strip().rstrip(".!?")).strip()
    text = re.sub(r"^(?:all of |all |every |the |my |our )+(?=\w)", "", text, flags=re.I) \
        if not re.match(r"^the (?:same|results)\b", text, re.I) else text
    conditions: list[dict[str, Any]] = []
    m = re.match(rf"^{_NOUNS}\b\s*", text, re.I)
    pre = re.match(rf"^(?!(?:which|what|who|whose|any|some|those|these|them|other|such)\b)([a-z][\w-]*) {_NOUNS}\b\s*",
                   text, re.I)  # "hvac contacts", "vip customers"; "which ones" is a question
    them = PRONOUN_AUDIENCE.match(text)
    if them:  # the previous message's audience, narrowed by what follows ("those in texas", "them with a phone")
        if vocab.last_filter is None:
            return None
        if vocab.last_filter:
            conditions.extend(vocab.last_filter["all"] if list(vocab.last_filter) == ["all"] else [vocab.last_filter])
        text = text[them.end():]
    elif m:
        text = text[m.end():]
    elif pre and pre.group(1).lower() in ("sample", "demo"):  # the sample data, whatever its tags
        conditions.append(cond("is_sample", "eq", True))
        text = text[pre.end():]
    elif pre and vocab.tag_for(pre.group(1).lower()):
        conditions.append(cond("tags", "has", vocab.tag_for(pre.group(1).lower())))
        text = text[pre.end():]
    else:
        word = re.match(r"^([A-Za-z][\w-]*s)\b\s*", text)
        tag = vocab.tag_for(_singular(word.group(1))) if word else None
        if not tag:
            return None
        conditions.append(cond("tags", "has", tag))
        text = text[word.end():]
    for pattern, repl in _REWRITES:
        text = re.sub(r"\s+", " ", re.sub(pattern, repl, " " + text, flags=re.I)).strip()
    text = re.sub(r"\s+", " ", text)
    named = re.search(r"\b(named|called)\b\s+(.+)$", text, re.I)
    if named:
        conditions.append(cond("name", "contains", named.group(2).strip().strip("\"'")))
        text = text[: named.start()]
    parts = re.split(_KEYWORDS, text, flags=re.I)
    if parts[0].strip():
        return None
    for i in range(1, len(parts) - 1, 2):
        found = _clause(parts[i], parts[i + 1], vocab.today)
        if found is None:
            return None
        conditions.extend(found)
    if not conditions:
        return {}
    return conditions[0] if len(conditions) == 1 else {"all": conditions}
