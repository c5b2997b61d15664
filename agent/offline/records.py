"""Offline-parser rules of the record lane, kept apart (the conversation lane owns the phrasings): the command forms
this lane's next-step buttons say that no other rule reads yet."""

from __future__ import annotations

import re
from typing import Any

from agent.offline.filters import Vocabulary
from agent.offline.talk import Call

FAILED = {"field": "enrichment_status", "op": "eq", "value": "failed"}


def retry_enrichment(text: str, vocab: Vocabulary) -> Any:
    """'retry failed enrichment' (the Retry button of the enrichment progress): enrich again the contacts whose
    last enrichment failed (it waits for Approve, like any enrichment request)."""
    if re.match(r"^(?:retry|redo|re-?run|try again)(?: the| all)?(?: failed)? enrichments?(?: that failed| failures)?$",
                text, re.I):
        return [Call("enrich_contacts", {"filter": FAILED})]
    return None


RULES = (retry_enrichment,)
