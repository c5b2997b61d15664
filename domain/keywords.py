"""SMS (and short reply) keywords: opt-out, opt-in and help. FIELD.md section 5.

The whole message, trimmed and case-folded, must be the keyword (optionally with trailing punctuation):
"STOP" and "stop!" opt out; "please stop texting" does not match the keyword set, but the FCC lets
consent be revoked by any reasonable means, so a short message that *starts* with a per-se revocation
word ("stop please", "unsubscribe me") counts as an opt-out as well."""

from __future__ import annotations

import re
from enum import StrEnum

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT-OUT",
                     "OPT OUT", "REMOVE", "ARRET", "TD"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})
# Words the FCC order treats as a valid revocation on their own (47 CFR 64.1200(a)(10)).
PER_SE_REVOCATION = ("STOP", "QUIT", "END", "REVOKE", "OPT OUT", "OPT-OUT", "OPTOUT", "CANCEL", "UNSUBSCRIBE")


class Keyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


def classify(text: str | None) -> Keyword | None:
    """The keyword meaning of an inbound reply, or None for an ordinary message."""
    cleaned = re.sub(r"[\s.!?,;:]+$", "", (text or "").strip()).upper()
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return None
    if cleaned in OPT_OUT:
        return Keyword.OPT_OUT
    if cleaned in OPT_IN:
        return Keyword.OPT_IN
    if cleaned in HELP:
        return Keyword.HELP
    words = cleaned.split()
    if len(words) <= 4 and _PER_SE_START.match(cleaned):
        return Keyword.OPT_OUT
    return None


# a per-se word as a whole word at the start ("stop please", "Stop, thanks"), not a longer word ("Ending soon?",
# "stopping by later" are ordinary messages)
_PER_SE_START = re.compile("(?:" + "|".join(re.escape(w) for w in PER_SE_REVOCATION) + ")(?![A-Z0-9])")
