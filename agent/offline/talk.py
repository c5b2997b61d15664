"""The offline model's small talk and honesty: greetings, thanks, help, "which one?" questions, and the answer to
something it did not understand (what it did not understand, and the two closest commands). Pure."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

NOT_UNDERSTOOD_PREFIX = "I didn't understand"
CLARIFY_PREFIX = "Which"  # every clarifying question starts with a word like this and ends with "?"
HELP_MARK = "Things you can say"


@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Understanding:
    """What the offline model makes of one message: tool `calls`, or a `reply` of some `kind`:
    "greeting", "thanks", "help", "clarify" (a question back) or "unknown" (not understood)."""

    calls: list[Call] = field(default_factory=list)
    reply: str = ""
    kind: str = "calls"


def said(kind: str, text: str) -> Understanding:
    return Understanding(reply=text, kind=kind)


def clarify(question: str) -> Understanding:
    return said("clarify", question)


_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|howdy|yo|hola|bonjour|good (?:morning|afternoon|evening|day)|"
                       r"greetings|sup|what'?s up)(?: there| team| mkt| bot| assistant| all| everyone)?$", re.I)
_THANKS = re.compile(r"^(?:(?:ok(?:ay)?|great|cool|perfect|awesome|nice|super|brilliant|excellent|good|got it)"
                     r"(?:,? )?)*(?:thanks?(?: (?:you|a lot|so much|very much|again))*|thank you(?: (?:so much|very much"
                     r"|again))?|thx|ty|tysm|cheers|much appreciated|appreciate it)?$", re.I)
_HELP = re.compile(r"^(?:help(?: me)?|\?|h|commands|examples|menu|what can (?:you|i|it|this|this thing|this bot|"
                   r"this app|this tool|the bot|the assistant) (?:do|say|ask)(?: here| for me)?|"
                   r"i'?m (?:lost|stuck|confused|new(?: here)?)|where do i (?:start|begin)|what now|"
                   r"what (?:do|should|can) i (?:type|say|write|ask|do)(?: here)?|"
                   r"what do you do|how does this work|how do i use this|what are the commands|show (?:me )?"
                   r"(?:the )?(?:help|commands|examples)|i need help|usage|getting started)$", re.I)


def small_talk(text: str, help_text: str) -> Understanding | None:
    """A short reply to a greeting, thanks or a request for help; None for anything else."""
    t = text.strip().rstrip("!.?").strip() if text.strip() not in ("?",) else "?"
    t = re.sub(r"[\s,]+(?:please|pls|plz)$", "", t, flags=re.I)
    if not t:
        return None
    if _HELP.match(t):
        return said("help", help_text)
    if _GREETING.match(t):
        return said("greeting", "Hello! What would you like to do? (say `help` for examples)")
    words = re.findall(r"[a-z']+", t.lower())
    if (_THANKS.match(t) and t) or (words and set(words) <= _THANK_WORDS and set(words) & _THANK_CORE):
        return said("thanks", "You're welcome.")
    return None


_THANK_CORE = {"thanks", "thank", "thx", "ty", "cheers", "appreciated", "appreciate", "perfect", "great", "awesome",
               "cool", "excellent", "brilliant", "wonderful", "amazing", "lovely", "nice"}
_THANK_WORDS = _THANK_CORE | {"you", "so", "much", "very", "that's", "thats", "that", "is", "was", "ok", "okay", "a",
                              "lot", "again", "it", "super", "good", "got", "all", "for", "the", "help", "job",
                              "done", "works", "worked", "many", "really", "oh", "wow", "just", "what", "i", "needed",
                              "one"}


# One line per capability: the closest two are suggested when a message is not understood.
COMMANDS = [
    "show contacts in Austin without email", "how many roofers in Texas", "open contact Jane Doe",
    "set Jane Doe's phone to 512 555 0100", "tag contacts in Austin as vip", "opt out Luis Garcia from sms",
    "enrich contacts tagged roofer", "review enrichment", "list campaigns", "open campaign Spring",
    "draft an sms campaign to roofers in Texas: Hi {first_name|there}, ...", "preview campaign Spring",
    "launch campaign Spring", "pause campaign Spring", "how did the Spring campaign do", "show replies",
    "reply to Jane on whatsapp: ...", "show upcoming bookings", "list ad campaigns", "draft facebook ads for roofers",
    "analytics last 7 days", "history for jane@acme.com", "export contacts tagged roofer", "import leads.csv",
    "load sample data", "help",
]


def closest(text: str, n: int = 2) -> list[str]:
    """The `n` commands whose words are closest to `text`."""
    words = set(re.findall(r"[a-z]+", text.lower()))

    def score(cmd: str) -> float:
        cw = set(re.findall(r"[a-z]+", cmd.lower()))
        overlap = len(words & cw) / (len(cw) or 1)
        return overlap + difflib.SequenceMatcher(None, text.lower(), cmd.lower()).ratio()

    return sorted(COMMANDS, key=score, reverse=True)[:n]


def not_understood(text: str, what: str | None = None) -> Understanding:
    """Says what was not understood and suggests the two closest commands (never the whole list)."""
    part = f" \"{what}\"" if what else f" \"{text.strip()[:120]}\""
    lead = (f"{NOT_UNDERSTOOD_PREFIX}{part}: it is not a field, tag or command I know."
            if what else f"{NOT_UNDERSTOOD_PREFIX}{part}.")
    tries = " or ".join(f"`{c}`" for c in closest(text))
    return said("unknown", f"{lead} Did you mean {tries}? (say `help` for more)")
