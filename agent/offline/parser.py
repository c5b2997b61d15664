"""The offline model's grammar: what marketers type -> the same tool calls a language model would make.

Pure (no database, no LangChain). `understand(text, vocab)` returns an `Understanding`: tool calls, or a reply
(greeting, thanks, help, a "which one?" question, or "not understood" naming what was not understood with the
two closest commands). `parse(text)` is just the calls. Filters are the JSON filter language of
`domain.filters`. The rules live in agent/offline/contacts.py and agent/offline/campaigns.py; small talk and
suggestions in agent/offline/talk.py; relative dates in agent/offline/dates.py.

When the text as typed is not understood, its rephrasing as a command (agent/offline/questions.py: "who replied
last week" -> "show contacts who replied last week") is tried, so questions widen what is understood without
changing what already was.

Order matters: free-text forms first (a campaign body or a reply is kept exactly as typed), then the specific
forms, then "show <audience>" last. A rule that does not fully understand its part returns None, so the message
falls to "not understood" rather than to a guess."""

from __future__ import annotations

import difflib
import re

from agent.offline import campaigns as camp
from agent.offline import contacts as cont
from agent.offline import email_design as em
from agent.offline import questions as q
from agent.offline import records as rec
from agent.offline import sequences as seq
from agent.offline.filters import PURE, Vocabulary, unknown_noun
from agent.offline.talk import Call, Understanding, not_understood, small_talk

__all__ = ["EXAMPLES", "Call", "Understanding", "Vocabulary", "parse", "understand"]

EXAMPLES = [
    "show contacts in Austin without email",
    "how many roofers in Texas",
    "open contact Luis Garcia",
    "set Jane Doe's phone to 512 555 0100",
    "tag contacts in Austin as vip",
    "opt out +15125550100 from sms",
    "enrich contacts tagged roofer",
    "review enrichment",
    "list campaigns",
    "draft an sms campaign to roofers in Texas: Hi {first_name|there}, ...",
    "preview campaign Spring",
    "launch campaign Spring",
    "how did the Spring campaign do",
    "show replies",
    "show upcoming bookings",
    "draft facebook ads for roofers",
    "analytics last 7 days",
    "history for jane@acme.com",
    "export contacts tagged roofer",
    "load sample data",
]

_POLITE = re.compile(r"^(?:(?:please|pls|plz|kindly|hey|hi|ok|okay|so|now|just|quickly|also|and|then|great|"
                     r"can you|could you|would you|will you|can u|could u|would you mind|i want to|i wanna|"
                     r"i'd like to|i would like to|i need to|i need you to|help me|let's|lets|go ahead and|"
                     r"can i|could i|i want you to|mkt)[\s,]+)+", re.I)
_POLITE_END = re.compile(r"(?:[\s,]+(?:please|pls|plz|for me|thanks|thank you|thx|asap|right now|now|again|"
                         r"real quick|at the moment|currently))+$",
                         re.I)
_WORDS = ("show list contacts contact campaign campaigns analytics enrichment enrich history timeline launch preview "
          "pause resume cancel export import replies inbox bookings meetings conversations conversation status "
          "results approve review upcoming yesterday today tagged without people customers remove update change "
          "unsubscribe draft report performance statistics appointments phone email everyone month week").split()
_KEEP = set(_WORDS) | set("last past list this that with from into them they what when week how many much done sent "
                          "send text tags tag all new next open closed stats leads lead enriched enriching contacted replied booked "
                          "launched paused exported imported updated changed reviewed approved rejected previews "
                          "statuses reports results reviews timelines histories".split())
_TYPOS = {"shwo": "show", "sho": "show", "hwo": "how", "lsit": "list", "teh": "the", "waht": "what",
          "contcts": "contacts", "cntacts": "contacts", "ppl": "people", "msgs": "messages", "convos": "conversations",
          "stats": "stats", "emial": "email", "emal": "email", "phne": "phone", "yday": "yesterday",
          "tmrw": "tomorrow", "hw": "how", "r": "are", "u": "you", "w/o": "without", "w/": "with", "thru": "through", "whats": "what's",
          "contatcs": "contacts", "contacs": "contacts", "conacts": "contacts", "contats": "contacts",
          "pasue": "pause", "puase": "pause", "lauch": "launch", "luanch": "launch", "lanuch": "launch",
          "resme": "resume", "campagn": "campaign", "campiagn": "campaign", "camapign": "campaign",
          "campaing": "campaign", "campain": "campaign", "campains": "campaigns", "campaings": "campaigns",
          "anaytics": "analytics", "analitics": "analytics", "analytcs": "analytics", "histroy": "history",
          "hsitory": "history", "enirch": "enrich", "reivew": "review", "previw": "preview", "exprot": "export",
          # apostrophes left out
          "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "havent": "haven't", "hasnt": "hasn't",
          "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't", "werent": "weren't", "wont": "won't",
          "cant": "can't", "whos": "who's", "hows": "how's", "wheres": "where's", "thats": "that's",
          "theres": "there's", "im": "i'm", "ive": "i've", "youre": "you're", "lets": "let's"}


def _fix_word(word: str) -> str:
    low = word.lower()
    if low in _TYPOS:
        return _TYPOS[low]
    if low in _KEEP or len(low) < 5 or not low.isalpha() or word != low:
        return word
    close = difflib.get_close_matches(low, _WORDS, n=1, cutoff=0.88)
    if close and (low.startswith(close[0]) or close[0].startswith(low)):  # "meeting", "unsubscribed": not typos
        return word
    return close[0] if close else word


def clean(text: str) -> str:
    """Spaces collapsed, end punctuation, politeness and common typos removed (names are kept)."""
    t = re.sub(r"\s+", " ", text.strip()).rstrip(".!?").strip()
    t = _POLITE_END.sub("", _POLITE.sub("", t)).strip().rstrip(".!?,").strip()
    t = re.sub(r"^(?:open|bring|call) up\b", "open", t, flags=re.I)
    return " ".join(_fix_word(w) for w in t.split(" "))


def _polite_only(text: str) -> str:
    return _POLITE.sub("", re.sub(r"[ \t]+", " ", text.strip())).strip()


def _apply(rule, text: str, vocab: Vocabulary) -> Understanding | None:
    got = rule(text, vocab)
    if got is None or got == []:
        return None
    return got if isinstance(got, Understanding) else Understanding(calls=list(got))


_RULES = (*seq.RULES, *q.FIRST_RULES, *rec.RULES, *camp.RULES[:3], *cont.RULES[:5], *camp.RULES[3:], *cont.RULES[5:],
          *q.LATE_RULES, *cont.LAST_RULES)


def _first(text: str, vocab: Vocabulary) -> Understanding | None:
    """What the first rule that applies makes of `text` (None when no rule does)."""
    for rule in _RULES:
        got = _apply(rule, text, vocab)
        if got:
            return got
    return None


def understand(text: str, vocab: Vocabulary = PURE, *, help_text: str = "") -> Understanding:
    """What to do with one message (see the module docstring)."""
    raw = (text or "").strip()
    if not raw:
        return not_understood("")
    cleaned = clean(raw)
    talk = small_talk(raw, help_text) or small_talk(cleaned, help_text)
    if talk:
        return talk
    free = _polite_only(raw)
    for rule in (*seq.FREE_TEXT_RULES, *camp.FREE_TEXT_RULES, *em.FREE_TEXT_RULES):
        got = _apply(rule, free, vocab)
        if got:
            return got
    got = _first(cleaned, vocab)
    if got and got.kind != "unknown":
        return got
    rephrased = q.rephrase(cleaned)
    again = _first(rephrased, vocab) if rephrased.lower() != cleaned.lower() else None
    if again and again.kind != "unknown":
        return again
    for rule in q.FALLBACK_RULES:  # a question back about what the grammar cannot tell apart ("who was texted")
        fallback = _apply(rule, cleaned, vocab)
        if fallback:
            return fallback
    if got:
        return got
    words = cleaned.split()
    noun = next((unknown_noun(" ".join(words[i:]), vocab) for i in range(min(len(words), 4))
                 if unknown_noun(" ".join(words[i:]), vocab)), None)
    return not_understood(raw, noun if noun and len(words) <= 4 else None)


def parse(text: str, vocab: Vocabulary = PURE) -> list[Call]:
    """The tool calls for `text`, or [] when it is not a request for tools."""
    return understand(text, vocab).calls
