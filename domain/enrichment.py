"""Pure enrichment rules: field suggestions with their citation, citation verification, corroboration and
conflicts, the free-mail list, staleness.

A suggestion is {field, value, source_url, quote, confidence}. It is kept only when its URL was fetched in this
run and its quote occurs in that page (whitespace and case normalised). A quote that cannot be found drops the
suggestion, unless the value itself is on that page: then it stays with its confidence cut. Different values
for one field are all kept and flagged as a conflict, for a person to choose."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

# Where an approved field lands: a Contact column, or contact.attributes[<name>].
COLUMN_FIELDS = ("company", "website", "job_title", "city", "region", "country", "postal_code", "phone", "email")
ATTRIBUTE_FIELDS = ("industry", "company_description", "company_size", "founded", "company_phone", "company_email",
                    "linkedin", "twitter", "facebook", "instagram", "youtube", "github", "company_linkedin")
FIELDS = COLUMN_FIELDS + ATTRIBUTE_FIELDS
UNVERIFIED_CAP = 0.3
MIN_CONFIDENCE = 0.2
FREE_MAIL_DOMAINS = frozenset("""
gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com rocketmail.com hotmail.com hotmail.co.uk
hotmail.fr outlook.com live.com msn.com aol.com icloud.com me.com mac.com proton.me protonmail.com pm.me gmx.com
gmx.de gmx.net web.de mail.com zoho.com yandex.com yandex.ru mail.ru inbox.ru qq.com 163.com 126.com sina.com
comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net charter.net earthlink.net optonline.net
fastmail.com hey.com tutanota.com tuta.io mailinator.com 10minutemail.com guerrillamail.com temp-mail.org
yopmail.com trashmail.com sharklasers.com getnada.com orange.fr free.fr laposte.net libero.it t-online.de
""".split())
_INJECTION = re.compile(
    r"ignore (?:all |any |your |the )?(?:previous |prior |above )?instructions|disregard (?:all |your |the )?"
    r"(?:previous |prior )?(?:instructions|rules)|system prompt|you are now|act as (?:an? )?(?:admin|assistant)|"
    r"call the (?:\w+ )?tool|approve (?:all|every)", re.IGNORECASE)


@dataclass
class Suggestion:
    """One suggested value for one field, with where it was read and how sure we are."""

    field: str
    value: str
    source_url: str
    quote: str
    confidence: float
    verified: bool = False
    note: str = ""
    sources: list[str] = dc_field(default_factory=list)
    alternatives: list[dict[str, Any]] = dc_field(default_factory=list)
    current: str | None = None

    def __post_init__(self) -> None:
        self.sources = list(self.sources or [self.source_url])
        self.alternatives = list(self.alternatives or [])
        self.confidence = round(max(0.0, min(1.0, float(self.confidence))), 2)
        self.value = " ".join(str(self.value).split())

    @property
    def conflict(self) -> bool:
        return bool(self.alternatives)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["conflict"] = self.conflict
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suggestion:
        keys = {"field", "value", "source_url", "quote", "confidence", "verified", "note", "sources",
                "alternatives", "current"}
        return cls(**{k: v for k, v in data.items() if k in keys})


def normalise_text(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed, typographic quotes and dashes made plain: the form in which a
    quote is looked for in a page."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-", 0xA0: " "})
    return " ".join(text.split()).casefold()


def looks_like_injection(text: str) -> bool:
    """True when text reads like an instruction to a model ("ignore your instructions", "system prompt"...)."""
    return bool(_INJECTION.search(text or ""))


def verify(suggestions: list[Suggestion], evidence: dict[str, str]) -> tuple[list[Suggestion], list[str]]:
    """Check each citation against the pages fetched in this run (`evidence`: url -> page text).
    Returns (kept suggestions, one reason per dropped suggestion)."""
    pages = {url: normalise_text(text) for url, text in evidence.items()}
    kept: list[Suggestion] = []
    dropped: list[str] = []
    for s in suggestions:
        reason = _check(s, pages)
        if reason:
            dropped.append(f"{s.field}={s.value!r} from {s.source_url}: {reason}")
        elif s.confidence >= MIN_CONFIDENCE:
            kept.append(s)
        else:
            dropped.append(f"{s.field}={s.value!r}: confidence {s.confidence} too low")
    return kept, dropped


def _check(s: Suggestion, pages: dict[str, str]) -> str | None:
    if s.field not in FIELDS:
        return f"unknown field {s.field!r}"
    if not s.value:
        return "empty value"
    if s.source_url not in pages:
        return "its source was not fetched in this run"
    if looks_like_injection(s.quote) or looks_like_injection(s.value):
        return "the text reads like an instruction to a model, not a fact"
    page = pages[s.source_url]
    if looks_like_injection(page):
        return "the page holds instructions aimed at a model: nothing from it is used"
    if s.field == "website":
        return _check_website(s)
    quote = normalise_text(s.quote)
    if quote and quote in page:
        if value_in_quote(s.value, s.quote):
            s.verified = True
        else:
            _cut(s, "the quote is on the page but does not contain the value; confidence cut")
        return None
    if normalise_text(s.value) in page:
        _cut(s, "quote not found on the page; the value is there, confidence cut")
        return None
    return "quote not found on the page (fabricated or paraphrased)"


def _cut(s: Suggestion, note: str) -> None:
    s.verified, s.note, s.confidence = False, note, min(s.confidence, UNVERIFIED_CAP)


def _check_website(s: Suggestion) -> str | None:
    """A website is evidenced by having been fetched: its host must be the host of the page read."""
    if _host(s.value) != _host(s.source_url):
        return "the website differs from the page that was read"
    s.verified = True
    return None


def _host(url: str) -> str:
    text = url if "://" in url else "https://" + url
    return (urlsplit(text).netloc or "").lower().removeprefix("www.")


def value_in_quote(value: str, quote: str) -> bool:
    """Does the quote state the value? Text (case, spacing, CamelCase), phone digits, and URLs are compared."""
    v, q = normalise_text(value), normalise_text(quote)
    if v and v in q:
        return True
    if v and v in normalise_text(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", quote)):
        return True
    dv, dq = re.sub(r"\D", "", value), re.sub(r"\D", "", quote)
    if len(dv) >= 7 and len(dq) >= 7 and (dv.endswith(dq) or dq.endswith(dv)):
        return True
    return _comparable(value) in _comparable(quote)


def merge(suggestions: list[Suggestion]) -> list[Suggestion]:
    """One entry per field. The same value from several pages is corroborated (sources listed, confidence raised
    a little); different values are all kept as alternatives of the best one and flagged as a conflict."""
    by_field: dict[str, dict[str, Suggestion]] = {}
    for s in suggestions:
        values = by_field.setdefault(s.field, {})
        key = normalise_text(s.value)
        best = values.get(key)
        if best is None:
            values[key] = s
            continue
        winner, other = (s, best) if s.confidence > best.confidence else (best, s)
        winner.sources = _union(winner.sources, other.sources)
        winner.confidence = round(min(0.95, winner.confidence + 0.05), 2)
        values[key] = winner
    merged: list[Suggestion] = []
    for options in by_field.values():
        ranked = sorted(options.values(), key=lambda x: (-x.confidence, x.value))
        top = ranked[0]
        top.alternatives = [{"value": o.value, "source_url": o.source_url, "quote": o.quote,
                             "confidence": o.confidence} for o in ranked[1:]]
        merged.append(top)
    return sorted(merged, key=lambda x: FIELDS.index(x.field) if x.field in FIELDS else 99)


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]


def drop_unchanged(suggestions: list[Suggestion], current: dict[str, Any]) -> list[Suggestion]:
    """Keep only suggestions that would change something; record the current value on each."""
    out = []
    for s in suggestions:
        now = current.get(s.field)
        s.current = None if now in (None, "") else str(now)
        if s.current is None or _comparable(s.current) != _comparable(s.value):
            out.append(s)
    return out


def _comparable(value: str) -> str:
    text = normalise_text(value).rstrip("/")
    return text.removeprefix("https://").removeprefix("http://").removeprefix("www.")


def is_free_mail(domain: str | None) -> bool:
    return (domain or "").lower().strip(".") in FREE_MAIL_DOMAINS


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].lower().strip(".") or None


def is_stale(finished_at: datetime | None, now: datetime, max_age_days: int) -> bool:
    """A past enrichment is stale when it is older than max_age_days (or never finished)."""
    return finished_at is None or now - finished_at > timedelta(days=max_age_days)


ALIASES = {"title": "job_title", "role": "job_title", "position": "job_title", "company_name": "company",
           "linkedin_url": "linkedin", "phone_number": "phone", "description": "company_description",
           "employees": "company_size", "size": "company_size", "state": "region", "zip": "postal_code",
           "zip_code": "postal_code", "year_founded": "founded", "site": "website", "url": "website"}


def field_name(name: str) -> str:
    """Our field name for what a reviewer typed ("title" -> "job_title", "Zip" -> "postal_code")."""
    key = "_".join(str(name).strip().lower().replace("-", " ").split())
    return ALIASES.get(key, key)


def approved_subset(suggestions: list[Suggestion], approve: list[str] | str,
                    edits: dict[str, str] | None) -> tuple[list[Suggestion], list[str]]:
    """The suggestions a reviewer approved ("all" or a list of field names), with edits applied (an edit also
    approves its field). Returns (approved, unknown field names asked for)."""
    edits = {field_name(k): " ".join(str(v).split()) for k, v in (edits or {}).items()}
    wanted = {s.field for s in suggestions} if approve == "all" else {field_name(f) for f in approve} | set(edits)
    by_field = {s.field: s for s in suggestions}
    unknown = sorted(f for f in wanted if f not in by_field and f not in FIELDS)
    chosen: list[Suggestion] = []
    for name in sorted(wanted - set(unknown), key=lambda f: FIELDS.index(f) if f in FIELDS else 99):
        base = by_field.get(name)
        if name in edits:
            chosen.append(_edited(base, name, edits[name]))
        elif base is not None:
            chosen.append(base)
    return chosen, unknown


def _edited(base: Suggestion | None, name: str, value: str) -> Suggestion:
    if base is None:
        return Suggestion(name, value, "", "", 1.0, verified=False, note="entered by the reviewer")
    return Suggestion(name, value, base.source_url, base.quote, base.confidence, verified=base.verified,
                      note=f"edited by the reviewer (suggested {base.value!r})", sources=base.sources,
                      current=base.current)
