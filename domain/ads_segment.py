"""What a segment looks like, for ads: aggregates with counts built from contact rows, and targeting suggestions per
platform (locations, industries, company sizes; job titles for LinkedIn, interests for Meta, keywords for Google).
Pure functions; the rows are plain dicts with the contact's columns (city, region, country, company, job_title, tags,
attributes)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_STATES = ("AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|"
           "DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|KS Kansas|"
           "KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|MS Mississippi|"
           "MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|NM New Mexico|NY New York|"
           "NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|PA Pennsylvania|RI Rhode Island|"
           "SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|VT Vermont|VA Virginia|WA Washington|"
           "WV West Virginia|WI Wisconsin|WY Wyoming")
US_STATES = dict(item.split(" ", 1) for item in _STATES.split("|"))
# LinkedIn's company-size bands (employees).
SIZE_BANDS = ((1, "1"), (10, "2-10"), (50, "11-50"), (200, "51-200"), (500, "201-500"), (1000, "501-1000"),
              (5000, "1001-5000"), (10000, "5001-10000"))
INDUSTRY_KEYS = ("industry", "sector", "vertical")
SIZE_KEYS = ("company_size", "employees", "employee_count", "headcount", "size")
TOP = 10


@dataclass
class SegmentProfile:
    """Counts of what the segment's contacts have in common; each list is [(value, contacts)] most common first."""

    total: int = 0
    regions: list[tuple[str, int]] = field(default_factory=list)
    cities: list[tuple[str, int]] = field(default_factory=list)
    countries: list[tuple[str, int]] = field(default_factory=list)
    industries: list[tuple[str, int]] = field(default_factory=list)
    company_sizes: list[tuple[str, int]] = field(default_factory=list)
    job_titles: list[tuple[str, int]] = field(default_factory=list)
    companies: list[tuple[str, int]] = field(default_factory=list)
    tags: list[tuple[str, int]] = field(default_factory=list)

    def top(self, name: str) -> str | None:
        values = getattr(self, name)
        return values[0][0] if values else None


def region_name(region: str | None) -> str:
    """'TX' -> 'Texas'; anything else as written."""
    text = " ".join((region or "").split())
    return US_STATES.get(text.upper(), text)


def size_band(value: Any) -> str | None:
    """An employee count (or a band such as '11-50') as LinkedIn's company-size band."""
    if value is None or value == "":
        return None
    text = str(value).replace(",", "").strip()
    if re.fullmatch(r"\d+", text):
        count = int(text)
        for upper, label in SIZE_BANDS:
            if count <= upper:
                return label
        return "10001+"
    match = re.fullmatch(r"(\d+)\s*(?:-|–|to)\s*(\d+)", text)
    if match:
        return size_band(match.group(2))
    match = re.fullmatch(r"(\d+)\s*\+", text)
    return size_band(match.group(1)) if match else None


def _first(attributes: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if attributes.get(key) not in (None, ""):
            return attributes[key]
    return None


def _label(value: Any) -> str | None:
    text = " ".join(str(value or "").split())
    return text[:1].upper() + text[1:] if text else None


def _city(row: dict[str, Any]) -> str | None:
    region = region_name(row.get("region"))
    return f"{_label(row.get('city'))}, {region}" if row.get("city") and region else _label(row.get("city"))


# Each counted dimension: the value one contact row gives (None: nothing to count).
DIMENSIONS: dict[str, Any] = {
    "regions": lambda row: region_name(row.get("region")) or None,
    "cities": _city,
    "countries": lambda row: (row.get("country") or "").upper() or None,
    "industries": lambda row: _label(_first(row.get("attributes") or {}, INDUSTRY_KEYS)),
    "company_sizes": lambda row: size_band(_first(row.get("attributes") or {}, SIZE_KEYS)),
    "job_titles": lambda row: _label(row.get("job_title")),
    "companies": lambda row: " ".join((row.get("company") or "").split()) or None,
}


class ProfileBuilder:
    """Feed contact rows one at a time (`add`), or counts already grouped by the database (`add_grouped`,
    `add_tag`); `profile()` gives the counts. Both paths normalise values the same way ('TX' and 'Texas' merge)."""

    def __init__(self) -> None:
        self.total = 0
        self.counters: dict[str, Counter[str]] = {n: Counter() for n in (*DIMENSIONS, "tags")}

    def add(self, row: dict[str, Any]) -> None:
        self.total += 1
        for name in DIMENSIONS:
            self.add_grouped(name, row, 1)
        for tag in {str(t).strip().lower() for t in row.get("tags") or [] if str(t).strip()}:
            self.counters["tags"][tag] += 1

    def add_grouped(self, name: str, row: dict[str, Any], contacts: int) -> None:
        """`contacts` contacts share `row`'s values for dimension `name`."""
        value = DIMENSIONS[name](row)
        if value:
            self.counters[name][value] += contacts

    def add_tag(self, tag: Any, contacts: int) -> None:
        text = str(tag or "").strip().lower()
        if text:
            self.counters["tags"][text] += contacts

    def profile(self) -> SegmentProfile:
        tops = {name: sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
                for name, counter in self.counters.items()}
        return SegmentProfile(total=self.total, **tops)


def build_profile(rows: Iterable[dict[str, Any]]) -> SegmentProfile:
    builder = ProfileBuilder()
    for row in rows:
        builder.add(row)
    return builder.profile()


def _counted(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"value": value, "contacts": count} for value, count in pairs]


def suggest_targeting(platform: str, profile: SegmentProfile, brief: str = "") -> dict[str, Any]:
    """Targeting ideas from the segment's own data, each with how many of its contacts support it."""
    locations = profile.cities[:5] + profile.regions[:5] + profile.countries[:3]
    out: dict[str, Any] = {"audience": profile.total, "locations": _counted(locations),
                           "industries": _counted(profile.industries), "company_sizes": _counted(profile.company_sizes)}
    if platform == "linkedin":
        out["job_titles"] = _counted(profile.job_titles)
    elif platform == "facebook":
        out["interests"] = _counted(_interests(profile))
    elif platform == "google":
        out["keywords"] = _counted(_keywords(profile, brief))
    return out


def _interests(profile: SegmentProfile) -> list[tuple[str, int]]:
    merged: Counter[str] = Counter()
    for value, count in profile.industries + [(t.title(), c) for t, c in profile.tags]:
        merged[value] = max(merged[value], count)
    return merged.most_common(TOP)


_STOP = {"a", "an", "and", "the", "for", "to", "of", "in", "on", "our", "your", "with", "this", "that", "is", "are",
         "get", "we", "you", "it", "at", "by", "from", "their", "them", "new", "now", "ads", "ad", "draft", "free",
         "best", "cheap", "today", "more", "great", "top", "save", "off", "crews", "team", "teams", "us", "my"}


_INSTRUCTION = re.compile(r"^\s*(please\s+)?((draft|write|create|make|generate|give|build|prepare)\b|"
                          r"(\w+\s+)?ads?\s+(for|to|targeting)\b)", re.IGNORECASE)


def is_instruction(brief: str | None) -> bool:
    """'draft google ads for roofers' or 'Ads for roofers in Texas' name the audience, not what is advertised."""
    return bool(_INSTRUCTION.match(brief or ""))


def brief_phrase(brief: str, limit: int = 3) -> str:
    """The brief's first content words ('free drone roof inspections' -> 'drone roof inspections')."""
    if is_instruction(brief):
        return ""
    words = [w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", (brief or "").lower()) if w not in _STOP]
    return " ".join(list(dict.fromkeys(words))[:limit])


def _keywords(profile: SegmentProfile, brief: str) -> list[tuple[str, int]]:
    """Search keywords: the industry, the industry with each top place, and the brief's main phrase (alone and with
    the top place). The count is how many contacts of the segment have that industry / place."""
    found: dict[str, int] = {}
    phrase = brief_phrase(brief)
    industries = profile.industries[:3]
    places = [(name.split(",")[0], c) for name, c in profile.cities[:3]] + profile.regions[:2]
    for industry, count in industries:
        found.setdefault(industry.lower(), count)
        for place, place_count in places:
            found.setdefault(f"{industry.lower()} {place.lower()}", min(count, place_count))
    if phrase:
        found.setdefault(phrase, profile.total)
        for place, place_count in places[:2]:
            found.setdefault(f"{phrase} {place.lower()}", place_count)
    if not industries:
        for tag, count in profile.tags[:5]:
            found.setdefault(tag, count)
    return sorted(found.items(), key=lambda kv: -kv[1])[: TOP * 2]
