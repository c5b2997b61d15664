"""Offline grammar, imports: import a file already uploaded, where imports stand ("how did my import go", "is
import 4 done?", "show my imports"), an import's rejected rows, and how to import. Pure, like the other rule files."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.filters import Vocabulary
from agent.offline.talk import Call, said

_ONE_IMPORT = re.compile(r"^(?:(?:what(?:'s| is) the )?status of|how(?:'s| is| did)|where(?:'s| is)|is|did|has|check(?: on)?)"
                         r" (?:the |my )?import #?(\d+)(?: going| go| doing| done| finished| finish| over| complete"
                         r"| completed| through| stuck| still running| ok| okay| status)*\??$|"
                         r"^import #?(\d+)(?: status)?\??$", re.I)
_LAST_IMPORT = re.compile(r"^(?:how(?:'s| is| did| was)|where(?:'s| is)|is|did|has|check(?: on)?|what(?:'s| is| was)"
                          r"(?: the status of)?|status of) (?:the |my |our )?(?:last |latest |recent )?(?:csv |file |"
                          r"contacts? )?(?:import|upload)(?: going| go| doing| done| finished| finish| over| complete"
                          r"| completed| through| stuck| still running| work| working| ok| okay| status)*\??$", re.I)
_ALL_IMPORTS = re.compile(r"^(?:(?:show|list|see|get|view)(?: me)? )?(?:the |my |our |all |all the |recent |latest |"
                          r"last |past |previous )*(?:csv |contact )?(?:imports|uploads)(?: status| so far| history)?"
                          r"\??$|^(?:imports?|uploads?) (?:status|history|list)\??$|^status of (?:the |my )?imports\??$",
                          re.I)


def _import_status(text: str) -> dict[str, Any] | None:
    """Where imports stand: one by number, the latest one ("how did my import go"), or the latest few."""
    m = _ONE_IMPORT.match(text)
    if m:
        return {"import_id": int(m.group(1) or m.group(2))}
    if _LAST_IMPORT.match(text):
        return {"limit": 1}
    if _ALL_IMPORTS.match(text):
        return {}
    return None


def imports(text: str, vocab: Vocabulary) -> Any:
    m = re.match(r"^(?:import|upload|load|add)(?: contacts| leads)?(?: from)?(?: the)?(?: file| csv)? "
                 r"(\S+\.(?:csv|tsv|txt))(?:,? (?:and |but )?(?:with |using )?(?:policy )?(fill|overwrite|skip)"
                 r"(?: existing(?: contacts)?| duplicates| them| blanks)?)?$", text, re.I)
    if m:
        args = {"file": m.group(1)}
        if m.group(2):
            args["policy"] = m.group(2).lower()
        return [Call("import_contacts", args)]
    found = _import_status(text)
    if found is not None:
        return [Call("list_imports", found)]
    m = re.match(r"^(?:show |list |see |get )?(?:me )?(?:the )?(?:rejected rows|errors|import errors|problems|"
                 r"failed rows|bad rows)(?: (?:of|for|in|from) (?:the )?import)? #?(\d+)$|"
                 r"^(?:what went wrong with|why did) import #?(\d+)(?: fail)?$|^import #?(\d+) errors$", text, re.I)
    m = m or re.match(r"^(?=.*\b(?:fail|failed|errors?|wrong|rejected|problems?|bad|skipped)\b).*\bimport #?(\d+)"
                      r"(?: (?:fail|failed|errors?|go wrong|rejected))?$", text, re.I)
    if m:
        return [Call("import_errors", {"import_id": int(next(g for g in m.groups() if g))})]
    if re.match(r"^(?:how (?:do|can) i |can i |how to )?(?:import|upload|add|bring in)(?: my| some| new| an?)? "
                r"(?:contacts|leads|a csv|a file|a list|csv|spreadsheets?|excel(?: files?)?|lists?)(?: files?)?$",
                text, re.I):
        return said("help", "Drop a CSV file into the chat (or say `import FILE.csv` for a file already uploaded): "
                            "I show the column mapping and import on your Approve.")
    return None
