"""Offline ad copy: variants built from templates filled with the segment's own data (industry, place, company, tags)
and the marketer's brief. Every variant meets the same limits as a model's (domain.ads); a template that would not
fit is skipped, never cut mid-word. Deterministic: the same segment and brief give the same copy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from domain.ads import SPECS, clean, repair_variant, shorten, slug, spec, validate_variant
from domain.ads_segment import US_STATES, SegmentProfile, is_instruction

_SMALL = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"}
# A tag naming people of a trade ("roofer") read as the trade's industry, for copy like "Grow Your Roofing Business".
TRADES = {"roofer": "Roofing", "plumber": "Plumbing", "electrician": "Electrical", "landscaper": "Landscaping",
          "painter": "Painting", "builder": "Construction", "contractor": "Contracting", "cleaner": "Cleaning",
          "mover": "Moving", "dentist": "Dental", "lawyer": "Legal", "attorney": "Legal", "realtor": "Real Estate",
          "accountant": "Accounting", "hvac": "HVAC", "mechanic": "Auto Repair", "gardener": "Gardening"}
DOMINANT = 0.5  # a place or company is named when at least half the segment shares it


@dataclass(frozen=True)
class Slots:
    industry: str | None  # "Roofing"
    places: tuple[str, ...]  # ("Texas", "TX"): longest first, shorter forms to fit tight limits
    company: str | None  # named only when most of the segment works there
    offer: str  # the brief, unless the brief is an instruction ("draft ads for ...")
    interest: str | None  # the most common tag


def title(text: str) -> str:
    words = clean(text).split(" ")
    return " ".join(w if (i and w.lower() in _SMALL) or w[:1].isupper() else w[:1].upper() + w[1:]
                    for i, w in enumerate(words) if w)


def slots_from(profile: SegmentProfile, brief: str) -> Slots:
    industry = profile.top("industries")
    if not industry and profile.tags:
        tag = profile.tags[0][0]
        industry = TRADES.get(tag.lower().rstrip("s"), title(tag))
    return Slots(industry=industry, places=_places(profile), company=_dominant(profile, "companies"),
                 offer="" if is_instruction(brief) else clean(brief).rstrip(". "),
                 interest=profile.tags[0][0] if profile.tags else None)


def _dominant(profile: SegmentProfile, name: str) -> str | None:
    pairs = getattr(profile, name)
    if pairs and profile.total and pairs[0][1] >= DOMINANT * profile.total:
        return pairs[0][0]
    return None


def _places(profile: SegmentProfile) -> tuple[str, ...]:
    """The place to name: a city that nearly all share, else a region that most share, else a city most share."""
    city, region = profile.top("cities"), profile.top("regions")

    def share(pairs: list[tuple[str, int]]) -> float:
        return pairs[0][1] / profile.total if pairs and profile.total else 0.0

    if city and share(profile.cities) >= 0.9:
        return (city.split(",")[0],)
    if region and share(profile.regions) >= DOMINANT:
        return (region, *[code for code, name in US_STATES.items() if name == region])
    if city and share(profile.cities) >= DOMINANT:
        return (city.split(",")[0],)
    return ()


# Templates per field: {industry} {place} {company} {offer} {interest}; {Offer} is the offer title-cased.
GOOGLE_HEADLINES = (
    "{industry} Pros in {place}", "Built for {industry} Teams", "Grow Your {industry} Business", "{Offer}",
    "{place} {industry} Companies", "Made for {place} Businesses", "Built for {company}", "More Leads for {industry}",
    "{industry} Made Simple", "Serving {place}", "Get Started Today", "Book a Free Consultation", "See How It Works",
    "Talk to Our Team Today", "Learn More Today", "Request a Quote", "Questions? We Can Help",
)
GOOGLE_DESCRIPTIONS = (
    "{offer}.", "Made for {industry} businesses in {place}. Get started today.",
    "Helping {industry} teams in {place} win more work. Talk to our team today.",
    "See why {industry} companies pick us. Book a call in minutes.",
    "Find out how we can help your business grow. Get in touch today.",
    "Simple to start and easy to use. Contact us for a quick walkthrough.",
)
META = {
    "primary_text": ("{place} {industry} pros: {offer}.", "Running a {industry} business in {place}? {offer}.",
                     "{offer}. Made for {industry} teams like yours.", "{offer}.",
                     "Built for {industry} businesses in {place}. See how we can help you win more work.",
                     "See how we help businesses like yours win more work. Learn more today.",
                     "Busy season ahead? See how {industry} teams in {place} stay on top of every job.",
                     "Less admin, more time for customers. Made for {industry} businesses like yours."),
    "headline": ("Built for {place} {industry} Pros", "Grow Your {industry} Business", "{Offer}",
                 "Made for {industry} Teams", "See How It Works", "Win More Work"),
    "description": ("Book a free call", "See how it works", "Learn more today"),
}
LINKEDIN = {
    "intro": ("{industry} leaders in {place}: {offer}.", "{offer}. Built for {industry} teams in {place}.",
              "Running a {industry} company? {offer}.", "{offer}.",
              "Built for {industry} businesses in {place}. See how teams like yours work smarter.",
              "See how teams like yours work smarter. Learn more today.",
              "What would your {industry} team do with an extra hour a day? Find out how peers in {place} get it.",
              "Less admin, more time for clients. Made for {industry} companies like yours."),
    "headline": ("{Offer}", "Built for {industry} Teams in {place}", "Grow Your {industry} Business",
                 "Made for {industry} Leaders", "See How Teams Like Yours Work Smarter"),
    "description": ("Made for {industry} businesses in {place}.", "Book a short call with our team.",
                    "Learn more today."),
}


def render(template: str, slots: Slots, limit: int, *, sentence: bool = False) -> str | None:
    """The template filled and within `limit`, trying shorter forms of the place; None when a slot is missing or it
    cannot fit. Sentence fields may be shortened between words (keeping at least half the room); headlines never."""
    needed = set(re.findall(r"{(\w+)}", template))
    text = None
    for place in slots.places or (None,):
        values = {"industry": slots.industry, "place": place, "company": slots.company, "offer": slots.offer,
                  "Offer": title(slots.offer) if slots.offer else None, "interest": slots.interest}
        if any(not values[n] for n in needed):
            return None
        if sentence and slots.industry and _plain_word(slots.industry):
            values["industry"] = slots.industry.lower()
        text = template.format(**{k: v or "" for k, v in values.items()})
        text = _sentence_case(text) if sentence else title(text)
        if len(text) <= limit:
            return text
    if sentence and text:
        short = shorten(text, limit)
        if short and len(short) * 2 >= limit:
            return short
    return None


def _plain_word(text: str) -> bool:
    """'Roofing' can be written 'roofing' mid-sentence; 'SaaS' or 'HVAC' cannot."""
    return all(w[:1].isupper() and w[1:].islower() or w.islower() for w in text.split())


def _sentence_case(text: str) -> str:
    text = clean(text)
    text = re.sub(r"([.?!]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text[:1].upper() + text[1:]


def _pick(templates: tuple[str, ...], slots: Slots, limit: int, *, count: int, offset: int = 0,
          sentence: bool = False) -> list[str]:
    out: list[str] = []
    rotated = templates[offset % len(templates):] + templates[: offset % len(templates)]
    for template in rotated:
        text = render(template, slots, limit, sentence=sentence)
        if text and text.lower() not in {o.lower() for o in out}:
            out.append(text)
        if len(out) >= count:
            break
    return out


def google_variant(slots: Slots, index: int = 0, final_url: str = "") -> dict[str, Any]:
    headlines = _pick(GOOGLE_HEADLINES, slots, spec("google", "headlines").limit, count=15, offset=index * 3)
    headlines = [h.replace("!", "") for h in headlines]
    descriptions = _pick(GOOGLE_DESCRIPTIONS, slots, spec("google", "descriptions").limit, count=4, offset=index,
                         sentence=True)
    path1 = slug(slots.industry or slots.interest or "", 15).lower()
    path2 = slug(slots.places[0], 15).lower() if slots.places and path1 else ""
    return {"headlines": headlines, "descriptions": descriptions, "path1": path1, "path2": path2,
            "final_url": final_url}


def _single(platform: str, table: dict[str, tuple[str, ...]], slots: Slots, index: int,
            final_url: str) -> dict[str, Any]:
    variant: dict[str, Any] = {"final_url": final_url}
    for item in SPECS[platform]:
        sentence = item.name in ("primary_text", "intro", "description")
        picked = _pick(table[item.name], slots, item.limit, count=len(table[item.name]), sentence=sentence)
        variant[item.name] = picked[index % len(picked)] if picked else ""
    return variant


def template_variants(platform: str, profile: SegmentProfile, brief: str, count: int = 1,
                      final_url: str = "") -> list[dict[str, Any]]:
    """`count` distinct variants for the platform, each passing validate_variant with no violation."""
    slots = slots_from(profile, brief)
    out: list[dict[str, Any]] = []
    for index in range(max(1, count)):
        if platform == "google":
            variant = google_variant(slots, index, final_url)
        else:
            table = META if platform == "facebook" else LINKEDIN
            variant = _single(platform, table, slots, index, final_url)
        variant, _ = repair_variant(platform, variant)
        if variant not in out and not validate_variant(platform, variant):
            out.append(variant)
    return out
