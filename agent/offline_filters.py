"""Audience phrases of the offline grammar -> filters in the `domain.filters` JSON language.

"contacts in Austin without email", "roofers in Texas", "contacts tagged roofer at Acme", "everyone",
"contacts named Jane", "contacts who opted out of sms", "contacts not enriched". Pure; None when not understood.
"""

from __future__ import annotations

import re
from typing import Any

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
_NOUNS = r"(?:all |every |the )*(?:contacts?|people|persons|leads?|customers?|everyone|everybody|them)"
_KEYWORDS = r"\b(in|tagged|with|without|at|named|called|from|who|not)\b"
_FIELDS = {"email": "email", "emails": "email", "an email": "email", "phone": "phone", "phones": "phone",
           "a phone": "phone", "phone number": "phone", "a phone number": "phone", "website": "website",
           "a website": "website", "company": "company", "a company": "company", "title": "job_title",
           "job title": "job_title", "a job title": "job_title", "city": "city", "a city": "city"}


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


def _place(value: str) -> dict[str, Any]:
    key = value.lower().strip()
    if key in US_STATES:
        return cond("region", "in", [US_STATES[key], value.strip().title()])
    if value.strip().upper() in _CODES and len(value.strip()) == 2:
        code = value.strip().upper()
        names = [n.title() for n, c in US_STATES.items() if c == code]
        return cond("region", "in", [code, *names])
    return cond("city", "eq", value.strip())


def _clause(keyword: str, value: str) -> list[dict[str, Any]] | None:
    value = value.strip().strip("\"'").strip()
    kw = keyword.lower()
    if kw == "in" and value:
        return [_place(value)]
    if kw == "tagged" and value:
        return [cond("tags", "has", t.strip().lower()) for t in re.split(r"\s*(?:,|\band\b)\s*", value) if t]
    if kw in ("with", "without"):
        fld = _FIELDS.get(value.lower())
        if fld:
            return [cond(fld, "present" if kw == "with" else "missing")]
        m = re.match(r"^tags? (.+)$", value, re.I)
        if m and kw == "with":
            return [cond("tags", "has", m.group(1).strip().lower())]
        return None
    if kw == "at" and value:
        return [cond("company", "contains", value)]
    if kw in ("named", "called") and value:
        return [cond("name", "contains", value)]
    if kw == "from":
        m = re.match(r"^(?:company )?(.+)$", value, re.I)
        return [cond("company", "contains", m.group(1))] if m and m.group(1) else None
    if kw in ("who", "not"):
        return _status(value, negated=kw == "not")
    return None


def _status(value: str, negated: bool) -> list[dict[str, Any]] | None:
    v = value.lower()
    m = re.match(r"^(?:are |have )?(?:opted out|unsubscribed)(?: (?:of|from) (sms|email|texts?|emails?))?$", v)
    if m:
        channel = "email" if (m.group(1) or "sms").startswith("email") else "sms"
        return [cond(f"opted_out_{channel}", "eq", True)]
    m = re.match(r"^(?:are |have been |yet )?(enriched|pending enrichment)$", v)
    if m:
        status = "pending" if m.group(1) != "enriched" else ("none" if negated else "enriched")
        return [cond("enrichment_status", "eq", status)]
    return None


def parse_audience(text: str) -> dict[str, Any] | None:
    """A filter for an audience phrase; {} means everyone. None when a part is not understood."""
    text = re.sub(r"\s+", " ", text.strip().rstrip(".!?")).strip()
    conditions: list[dict[str, Any]] = []
    m = re.match(rf"^{_NOUNS}\b\s*", text, re.I)
    if m:
        text = text[m.end():]
    else:
        word = re.match(r"^([A-Za-z][\w-]*s)\b\s*", text)
        if not word:
            return None
        conditions.append(cond("tags", "has", _singular(word.group(1))))
        text = text[word.end():]
    named = re.search(r"\b(named|called)\b\s+(.+)$", text, re.I)
    if named:
        conditions.append(cond("name", "contains", named.group(2).strip().strip("\"'")))
        text = text[: named.start()]
    parts = re.split(_KEYWORDS, text, flags=re.I)
    if parts[0].strip():
        return None
    for i in range(1, len(parts) - 1, 2):
        found = _clause(parts[i], parts[i + 1])
        if found is None:
            return None
        conditions.extend(found)
    if not conditions:
        return {}
    return conditions[0] if len(conditions) == 1 else {"all": conditions}
