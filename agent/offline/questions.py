"""Offline grammar, questions and colloquial forms: how marketers ask, rather than command.

- `rephrase(text)`: a question or loose form -> the command form the rules read ("who do we have in houston" ->
  "show contacts in houston", "who replied last week" -> "show contacts who replied last week", "jane doe
  details" -> "open jane doe"). The parser tries it only when the text as typed was not understood, so it can
  widen what is understood but never change what already was.
- `FIRST_RULES`: forms no other rule may take first: the sender settings ("who's the sender" is not a contact);
  numbers over a period ("texts sent yesterday", "how much did we spend this month") -> analytics (a count of
  people who did something, "how many people replied last week", stays a contact count).
- `LATE_RULES`: ads with nothing said about whom or where -> ask; a contact named alone ("olivia brown?") opens
  the contact when the account has someone of that name.
Pure, like the other rule files."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from agent.offline.contacts import contact_ref
from agent.offline.dates import PERIOD_RE, resolve_period
from agent.offline.filters import OTHER_NOUNS, Vocabulary, _singular, cond, since_period
from agent.offline.talk import Call, clarify

_STATUS_VERBS = (r"(?:replied|responded|answered|wrote|got|booked|opted|unsubscribed|bounced|has|have|hasn't|"
                 r"haven't|never|did|didn't|was|were|is|isn't|are|aren't)")


_PEOPLE = {"contacts", "people", "folks", "leads", "customers", "clients", "prospects", "businesses", "companies",
           "contractors", "firms", "shops", "persons", "subscribers"}
_NOT_PEOPLE = {"one", "sequence", "template", "day", "week", "month", "channel", "platform", "field", "kpi", "metric",
               "rate", "tag", "user", "api", "key", "setting", "integration", "webhook", "hook", "thing"}


def _plural(noun: str) -> str:
    noun = noun.strip()
    return noun if noun.endswith("s") else noun + "s"


REPHRASINGS: list[tuple[str, Any]] = [
    # "who has access", "who can log in" -> the users (before "who has ..." is read as a contact search)
    (r"^(?:who (?:has|have|can|gets) (?:access|log ?in|sign ?in)(?: to (?:this|the app|mkt|the platform))?|"
     r"who(?:'s| is) on (?:the|my|our) team|(?:my |our |the )?team members?)$", "list users"),
    # "what's waiting for review", "anything to review", "what needs approving" -> the next enrichment to review
    (r"^(?:what(?:'s| is)|is there anything|anything|what do i have|what do we have|what needs)"
     r"(?: (?:waiting|left|pending|queued))?(?: for| to)? (?:review|be reviewed|approve|approval|approving|check)"
     r"(?: (?:for me|today|now))?$", "review enrichment"),
    # "what have we sent jane doe", "what did we send to tom" -> the contact's history
    (r"^what (?:have|did|'ve) (?:we|i|you) (?:sent|send|texted|text|emailed|email|messaged)(?: to)? (?!out\b)", "history for "),
    # "show me who gets the spring roof check", "who will receive spring" -> the campaign's preview
    (r"^(?:show(?: me)?|tell me|list)? ?who (?:gets|will get|would get|receives|will receive|is getting|is receiving|"
     r"would receive)(?: the)? ", "preview "),
    # "how many people replied to spring roof check" -> the campaign's results
    (r"^how many(?: people| contacts| folks| recipients)? (?:replied|responded|answered|opened|clicked|booked|"
     r"opted out|unsubscribed)(?: to| on| from| after| in)(?: the)? ", "results of "),
    # "meetings next week", "calls tomorrow", "bookings this week" -> the upcoming bookings
    (r"^(?:meetings|bookings|appointments|calls|demos) (?:next week|this week|tomorrow|today|later|soon|"
     r"this month|next month)$", "show upcoming bookings"),
    (r"^(?:meetings|bookings|appointments|calls|demos) (?:last week|yesterday|last month|earlier)$",
     "show past bookings"),
    # "what meetings do we have this week", "meetings on friday" -> the upcoming bookings
    (r"^(?:what|which|any) (?:meetings|bookings|appointments|calls|demos) (?:do (?:we|i) have|have (?:we|i) got|are "
     r"there)(?: (?:this week|today|tomorrow|this month|next week|on \w+day|\w+day))?$", "show upcoming bookings"),
    (r"^(?:meetings|bookings|appointments|calls|demos) (?:on |for |this )?(?:monday|tuesday|wednesday|thursday|"
     r"friday|saturday|sunday|next week|tomorrow|today)$", "show upcoming bookings"),
    # "show opt-outs", "list the unsubscribes" -> the contacts who opted out
    (r"^(?:show|list|see|get|view)?(?: me)?(?: all)?(?: the| our| my)? ?(?:opt[- ]?outs|optouts|opted[- ]out|"
     r"unsubscribes|unsubscribers|unsubscribed)(?: contacts| people| list)?$", "show contacts who opted out"),
    # "what's jane doe's phone number", "what is luis garcia's email" -> their card
    (r"^what(?:'s| is| are) (.+?)(?:'s|’s) (?:phone(?: number)?|number|mobile|cell|e-?mail(?: address)?|address|"
     r"company|job title|title|website|city|tags)$", r"open \1"),
    # "when did we last text jane doe", "when did we last talk to tom" -> their history
    (r"^when (?:did|have) (?:we|i) (?:last )?(?:text|texted|e-?mail|e-?mailed|contact|contacted|message|messaged|"
     r"call|called|reach out to|speak to|speak with|talk to|talk with|hear from)(?: to)? (.+?)(?: last)?$",
     r"history for \1"),
    # "who did we contact last week", "which contacts have we messaged" -> the contacts we contacted
    (r"^(?:who|whom|which (?:contacts|people|leads|customers|clients)) (?:did|have|had) (?:we|i|you) "
     r"(?:contact(?:ed)?|messag(?:e|ed)|reach(?:ed)?(?: out to)?)\b", "show contacts we contacted"),
    # "which of them are in austin", "how many of those replied" -> "show those who ...": narrowing the last answer
    (r"^which (?:ones )?of (them|those|these)(?: contacts| people)? ", r"show \1 who "),
    (r"^which ones? (?!of\b)", "show them who "),
    # "which contacts don't have an email", "which roofers are in austin" -> "show ..."
    (rf"^which ([a-z-]+s|people|folks)\b( (?={_STATUS_VERBS}\b))?", lambda m: m.group(0) if _singular(m.group(1)) in
     OTHER_NOUNS | _NOT_PEOPLE and m.group(1).lower() not in _PEOPLE else
     f"show {m.group(1)}{' who ' if m.group(2) else ''}"),  # not "which tags do we have"
    # "do we have anyone in phoenix", "is there anyone without an email" -> "show contacts ..."
    (r"^(?:do we have|do i have|have we got|is there|are there) (?:anyone|anybody|someone|somebody) ", "show contacts "),
    # "who's going to get it", "who is going to receive the spring campaign" -> the preview
    (r"^who(?:'s| is) going to (?:get|receive) ", "preview "),
    # "show me sample data" -> the sample contacts
    (r"^(?:show|list|see|view)(?: me)?(?: the)? (?:sample|demo|example) (?:data|contacts|dataset)$",
     "show sample contacts"),
    # "what happened with the spring campaign" -> its results
    (r"^what(?:'s| has)? happened (?:with|to) (?=.*\bcampaign\b)", "results of "),
    # "who do we have in houston", "who's in tulsa", "anyone in austin without email" -> "show contacts in ..."
    (r"^(?:who|anyone|anybody|everyone|everybody)(?: (?:do we have|have we got|do i have|is|are|'s|lives|works|"
     r"is based|are based))? (?=(?:in|at|from|tagged|without|with|named|called)\b)", "show contacts "),
    (r"^who's (?=(?:in|at|from|tagged|without|with)\b)", "show contacts "),
    # "can you tell me how many roofers we have", "i want to know who replied" -> the question itself
    (r"^(?:tell me|let me know|i want to know|i'd like to know|i would like to know|do you know|find out) "
     r"(?=(?:how|who|which|what|whether|if)\b)", ""),
    # "show me who booked this month", "tell me who replied" -> "show contacts who ..."
    (rf"^(?:show|list|tell|find|get)(?: me| us)? who (?={_STATUS_VERBS}\b)", "show contacts who "),
    # "is jane doe opted out", "has luis unsubscribed" -> their card (consent per channel, with when and why)
    (r"^(?:is|has|did|was) (?!anyone\b|anybody\b|everyone\b|someone\b)(.+?) (?:opted out|opt out|unsubscribed|"
     r"unsubscribe)(?: (?:of|from) .+)?$", r"open \1"),
    # "did jane doe reply", "has tom becker replied", "did carlos answer" -> their conversation
    (r"^(?:did|has) (?!anyone\b|anybody\b|everyone\b|someone\b|somebody\b|any\b)(.+?) (?:reply|replied|respond|"
     r"responded|answer|answered|write back|written back|get back to us|got back to us)(?: yet)?$",
     r"what did \1 say"),
    # "did anyone reply to the spring campaign", "did anybody open the storm email" -> its results
    (r"^(?:did|has|have) (?:anyone|anybody|any(?: of the)? (?:contacts|people|leads)) (?:reply|replied|respond|"
     r"responded|answer|answered|open|opened|click|clicked)(?: to| on| in| from)? (?=(?:the |our )?\S)",
     "results of "),
    # "did anyone book a meeting", "has anyone booked" -> every booking
    (r"^(?:did|has|have) (?:anyone|anybody|someone|somebody|any(?: of the)? (?:contacts|people|leads)) "
     r"(?:book|booked)(?: an?| any)?(?: (?:meeting|call|appointment|demo)s?)?(?: yet)?$", "list every booking"),
    # "what's running right now", "is anything sending", "is there a campaign running" -> the running campaigns
    (r"^(?:what(?:'s| is)|is (?:there )?anything|is there an?(?: campaign)?|are there any(?: campaigns)?|anything) "
     r"(?:running|sending|live|going out)(?: right now| now| at the moment| currently)?$", "list running campaigns"),
    (r"^is there an? (?:sms |email )?campaign (?:running|sending|live|going out)(?: right now| now| at the moment|"
     r" currently)?$", "list running campaigns"),
    # "how many texts have we sent in total" -> all time
    (r"^(how many (?:texts|emails|messages|sms|replies|bookings|opt[- ]?outs)\b.*?) (?:in total|total|so far|to date|"
     r"altogether|overall)$", r"\1 all time"),
    # "who replied last week", "who opted out of email", "who hasn't been contacted yet"
    (rf"^who (?={_STATUS_VERBS}\b)", "show contacts who "),
    # "how many opted out of sms", "number of replied" -> "how many contacts who ..."
    (rf"^(how many|count|number of) (?={_STATUS_VERBS}\b)", r"\1 contacts who "),
    # "any roofers in phoenix", "are there any plumbers in dallas" -> "show ..."
    (r"^(?:are there any|is there any|do we have any|do i have any|have we got any|got any|any) ", "show "),
    # "show me how many roofers we have", "give me the count of plumbers" -> the count itself
    (r"^(?:show|tell|give|list|get)(?: me| us)? (?:the )?(?=how many\b|number of\b|count of\b|total (?:number )?of\b)",
     ""),
    (r"^count of ", "count "),
    # "show bounced emails", "how many emails bounced" -> the contacts whose email bounced
    (r"^(show|list|how many|count)(?: me)?(?: all)?(?: the)? (?:bounced emails|emails (?:that )?(?:have )?bounced|"
     r"bounces|hard bounces|bounced addresses)$", r"\1 contacts with bounced emails"),
    # "untagged contacts" -> contacts without tags
    (r"\buntagged (contacts|people|leads|customers)\b", r"\1 without tags"),
    # "how many people will get the spring campaign" -> its preview
    (r"^how many(?: people| contacts| folks| recipients)? (?:will|would|is going to|are going to) (?:get|receive) ",
     "preview "),
    # "whats our total contact count", "roofer count" -> "how many contacts", "how many roofers"
    (r"^(?:what(?:'s| is) )?(?:our |the |my )?(?:total )?(.+?) count$", lambda m: "how many " + _plural(m.group(1))),
    # "open up X", "bring up X", "call up X" -> "open X"
    (r"^(?:open|bring|call) up ", "open "),
    # "jane doe details", "priya's profile" -> "open jane doe"
    (r"^(.+?)(?:'s|’s)? (?:details|info|information|card|profile|contact card|contact info|record)$", r"open \1"),
    # "carlos rivera timeline", "what's the history with tom becker", "everything that happened with X"
    (r"^(.+?)(?:'s|’s)? (?:timeline|history|activity log|activity)$", r"history for \1"),
    (r"^what(?:'s| is) the (?:history|timeline|story) (?:with|of|for|on) ", "history for "),
    (r"^(?:show |tell |give )?(?:me )?(?:everything|all)(?: that)? (?:happened|has happened|we did|we've done) "
     r"(?:with|to) ", "history for "),
    # "where are we with the storm campaign", "has the storm campaign finished" -> status
    (r"^(?:where are we|where do we stand|what's happening|what is happening) (?:with|on) (.+)$", r"status of \1"),
    (r"^(?:has|did) (.+?) (?:finish|finished|complete|completed|end|ended|go out|gone out)$", r"status of \1"),
]


def rephrase(text: str) -> str:
    """`text` in the command form the rules read (unchanged when no rephrasing applies)."""
    out = text
    for pattern, repl in REPHRASINGS:
        out = re.sub(pattern, repl, out, count=1, flags=re.I)
    return re.sub(r"\s+", " ", out).strip()


# --- sender settings ------------------------------------------------------------------------------------------

_SENDER_FIELDS = {"name": "name", "from name": "name", "email": "email", "from address": "email",
                  "from email": "email", "email address": "email", "postal address": "postal_address",
                  "mailing address": "postal_address", "physical address": "postal_address",
                  "street address": "postal_address"}


def sender(text: str, vocab: Vocabulary) -> Any:
    """"who's the sender", "what's our sender address", "set the sender name to Acme Roofing"."""
    if re.match(r"^(?:show|what(?:'s| is| are)|who(?:'s| is)|check)(?: me)? (?:the |our |my )?(?:email )?sender"
                r"(?: (?:name|address|email|details|settings|info|information|identity))?$|^sender(?: settings)?$",
                text, re.I):
        return [Call("show_sender", {})]
    fields = "|".join(sorted(map(re.escape, _SENDER_FIELDS), key=len, reverse=True))
    m = re.match(rf"^(?:set|change|update|make)(?: the| our| my)? sender(?:'s)? ({fields}|address)"
                 rf"(?: to| =| :| as)? (.+)$", text, re.I)
    if not m:
        return None
    word, value = m.group(1).lower(), m.group(2).strip().strip("\"'")
    key = ("email" if "@" in value else "postal_address") if word == "address" else _SENDER_FIELDS[word]
    return [Call("set_sender", {key: value})]


# --- numbers over a period: analytics -------------------------------------------------------------------------

_METRIC = (r"\b(?:texts?|text messages?|sms|messages?|emails?|replies|responses|bookings?|meetings?|opt[- ]?outs?|"
           r"opted out|unsubscribes?|unsubscribed|clicks?|opens?|deliver(?:ed|ies)|new contacts|sign-?ups|"
           r"(?:reply|response|open|click|delivery|booking) rates?|cost per \w+|spend|spent|spending|costs?|"
           r"how much)\b")
_MONEY = re.compile(r"\b(?:spend|spent|spending|costs?|how much|budget)\b", re.I)


def numbers_over_a_period(text: str, vocab: Vocabulary) -> Any:
    """"texts sent yesterday", "how many people opted out this month", "whats our spend this month": a question
    about sends, replies, bookings, opt-outs or costs over a period -> the analytics of that period."""
    m = re.match(rf"^(.+?)\s+(?:in |during |over |for |since |from )?(?:the )?({PERIOD_RE})$", text, re.I)
    if not m or not re.search(_METRIC, m.group(1), re.I) or re.search(r"\bcampaigns?\b|\bads?\b", m.group(1), re.I):
        return None
    head = m.group(1).lower()
    if re.search(r"\b(?:with|without|tagged|who|named|whose)\b", head):  # an audience: a contact count
        return None
    if re.fullmatch(r"(?:(?:what|which|any|show|show me|list|see|our|my|the)(?: the| our| my)? )?(?:meetings|bookings|"
                    r"appointments|calls|demos)(?: (?:do (?:we|i) have|have (?:we|i) got|are there|are booked|"
                    r"booked|scheduled))?", head) and \
            re.fullmatch(r"(?:on )?(?:today|this week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
                         m.group(2).lower()):
        return None  # "meetings today", "what meetings do we have this week": the calendar, not a count of bookings
    if not re.match(r"^(?:how|what|whats|number|total|count|show|our|my|the|\w+ (?:sent|delivered|made)|"
                    rf"{_METRIC})", head, re.I):
        return None
    period = resolve_period(m.group(2), vocab.today or date.today())
    if period is None:
        return None
    args: dict[str, Any] = {"start": period[0].isoformat(), "end": period[1].isoformat()}
    if _MONEY.search(head):
        args["chart"] = "costs"
    return [Call("show_analytics", args)]


_GOT = re.compile(r"^(?:(?:show|list|tell)(?: me)? )?(?:who|which (?:contacts|people|leads|customers))(?: all)? "
                  r"(?:got|received|has received|have received|has gotten|have gotten|was sent|were sent|"
                  r"was in|were in|was on|were on|did we send|did we text|did we email)(?: to)? (?:the )?(.+?)\??$",
                  re.I)


def who_got_campaign(text: str, vocab: Vocabulary) -> Any:
    """"who got spring roof check", "who received the storm campaign": the people a campaign reached (past
    tense; "who gets ..." is the preview). Without the word "campaign", only when the phrase names one of the
    account's campaigns ("who got a text yesterday" is no campaign)."""
    m = _GOT.match(text.strip())
    if not m:
        return None
    phrase = re.sub(r"^(?:in|from|of|with|for) (?:the )?", "", m.group(1).strip(), flags=re.I)
    said = re.fullmatch(r"(?:campaign (.+)|(.+?) campaign)", phrase, re.I)
    name = (said.group(1) or said.group(2)).strip() if said else phrase
    if not said and not vocab.knows(name, "campaign"):
        return None
    if re.fullmatch(r"(?:the )?(?:last|latest|newest|recent|most recent|previous|first|this|that|my|our)", name, re.I):
        return None  # a campaign by its place in time, not its name: the filter keeps names only
    return [Call("query_contacts", {"filter": cond("contacted_in_campaign", "eq", name.lower())})]


def named_alone(text: str, vocab: Vocabulary) -> Any:
    """A message that is only the name of someone in the account ("olivia brown?") opens their card."""
    ref = contact_ref(text)
    if ref and vocab.knows(ref, "contact"):
        return [Call("open_contact", {"contact": ref})]
    return None


def vague_ads(text: str, vocab: Vocabulary) -> Any:
    """"create ads", "make some facebook ads": who and where are missing -> ask."""
    if re.match(r"^(?:draft|write|create|make|generate|prepare|run)(?: me)?(?: some| an?| new)?(?: (?:facebook|fb|"
                r"google|linkedin))? (?:ads?|adverts?|ad campaign)$", text, re.I):
        return clarify("Which contacts should the ads target, and on which platform (facebook, google or linkedin)? "
                       "E.g. `draft facebook ads for roofers`.")
    return None


FIRST_RULES = (sender, numbers_over_a_period, who_got_campaign)
LATE_RULES = (vague_ads, named_alone)


# --- texted / emailed: a channel the contact filter cannot tell apart -----------------------------------------

_BY_CHANNEL = re.compile(
    r"\b(?:(?P<sms>texted|txted|sms(?:'?e?d)|(?:got|get|gotten|received|receive|been sent|were sent|was sent|sent) "
    r"(?:an? |any |our |the |one of our )?(?:texts?|sms(?:es)?|text messages?)|(?:did|have|had|'ve) (?:we|i|you) "
    r"(?:text|sms)|(?:we|i) (?:text|sms))|(?P<email>e-?mailed|(?:got|get|gotten|received|receive|been sent|were sent|"
    r"was sent|sent) (?:an? |any |our |the |one of our )?e-?mails?|(?:did|have|had|'ve) (?:we|i|you) e-?mail|"
    r"(?:we|i) e-?mail))\b", re.I)
_ABOUT_PEOPLE = re.compile(r"^(?:who|whom|which|show|list|find|get|give|export|download|count|how many|number of|"
                           r"(?:all |the |our |my )*(?:contacts|people|everyone|everybody|anyone|anybody|folks|leads|"
                           r"customers|clients)\b)", re.I)


_FILLER = frozenset("who whom which contacts people show me list how many count number of everyone everybody anyone "
                    "anybody have has had did do we i you got get gotten been were was the a an any our in on during "
                    "over for not never haven't hasn't didn't havent hasnt didnt yet to that us all ever so far "
                    "'ve".split())


def _by_channel_filter(text: str, m: re.Match, period: re.Match | None, word: str, vocab: Vocabulary) -> Any:
    """"who did we text last week", "how many people haven't been emailed this month": the `texted` / `emailed`
    activity, in the period when one is said. Only when nothing else is said (any other word, e.g. a place or a
    tag, is left to the question back rather than dropped)."""
    rest = text[:m.start()] + " " + text[m.end():(period.start() if period else len(text))]
    if any(w not in _FILLER for w in re.findall(r"[\w']+", rest.lower().replace("?", ""))):
        return None
    negated = re.search(r"\b(?:not|never|n't|hasn'?t|haven'?t|didn'?t)\b", text, re.I)
    if period:
        conds = since_period(word, period.group(1), vocab.today or date.today())
        if conds is None:
            return None
        found = conds[0] if len(conds) == 1 else {"all": conds}
    else:
        found = cond(word, "present")
    if negated:
        found = {"not": found}
    tool = "count_contacts" if re.match(r"^(?:how many|count|number of)\b", text, re.I) else "query_contacts"
    return [Call(tool, {"filter": found})]


def by_channel(text: str, vocab: Vocabulary) -> Any:
    """"who got a text yesterday", "who did we email this month", "contacts we texted": the `texted` / `emailed`
    activity (tried last, when nothing else understood the message). When more is said than the grammar reads
    here, it asks rather than drop the rest."""
    m = _BY_CHANNEL.search(text)
    if not m or not _ABOUT_PEOPLE.match(text):
        return None
    campaign = re.search(r"\bthe ([\w'&()-]+(?: [\w'&()-]+){0,5}?) campaign\b", text, re.I)
    if campaign and not re.fullmatch(r"(?:last|latest|newest|recent|most recent|previous|first|this|that|same|other)",
                                     campaign.group(1), re.I):  # one campaign is one channel: whom it reached
        return [Call("query_contacts", {"filter": cond("contacted_in_campaign", "eq", campaign.group(1).lower())})]
    word = "texted" if m.group("sms") else "emailed"
    period = re.search(rf"(?:\b(?:in|during|over|on|for) )?(?:the )?\b({PERIOD_RE})$", text, re.I)
    found = _by_channel_filter(text, m, period, word, vocab)
    if found is not None:
        return found
    when = f" {period.group(1).lower()}" if period and resolve_period(period.group(1), vocab.today or date.today()) \
        else ""
    negated = re.search(r"\b(?:not|never|n't|hasn'?t|haven'?t|didn'?t)\b", text, re.I)
    listing = f"who hasn't been {word}{when}" if negated else f"who was {word}{when}"
    return clarify(f"I read only part of that. I can list everyone {'not ' if negated else ''}{word}{when} (say "
                   f"`{listing}`, then narrow it down, e.g. `which ones are in Austin`), or count texts and emails per "
                   f"day (say `analytics{when or ' last 30 days'}`). Which would you like?")


def opted_out_when(text: str, vocab: Vocabulary) -> Any:
    """"who opted out this week", "how many unsubscribed from email last month": the contacts whose opt-out of that
    channel (any channel when none is named) is dated in the period (`opted_out_sms_at` / `opted_out_email_at`)."""
    m = re.match(rf"^(show |list |who |which contacts |contacts who |people who |everyone who |how many )?(?:me )?"
                 rf"(?:contacts |people )?(?:who )?(?:have |has )?(?:opted out|unsubscribed)"
                 rf"(?: (?:of|from) (sms|texts?|e-?mails?))?"
                 rf"(?: (?:in|during|over|on|for|since))?(?: the)? ({PERIOD_RE})$", text, re.I)
    if not m:
        return None
    channel = m.group(2) and ("email" if "mail" in m.group(2).lower() else "sms")
    parts = []
    for name in ([channel] if channel else ["sms", "email"]):
        conds = since_period(f"opted_out_{name}_at", m.group(3), vocab.today or date.today())
        if conds is None:
            return None
        parts.append(conds[0] if len(conds) == 1 else {"all": conds})
    found = parts[0] if len(parts) == 1 else {"any": parts}
    tool = "count_contacts" if (m.group(1) or "").lower().startswith("how many") else "query_contacts"
    return [Call(tool, {"filter": found})]


FALLBACK_RULES = (by_channel, opted_out_when)
