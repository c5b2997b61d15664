"""Ads: turn a segment of contacts into ad copy for Google, Meta (Facebook/Instagram) or LinkedIn within each
platform's limits, with targeting suggestions from the segment's own data; save drafts, edit them by chat, track
performance per day (CTR, CPC, cost per lead). Nothing here publishes to an ad platform: drafts are exported as CSV for
each platform's bulk tool (tools/ads/bulk_csv.py) and results are entered by chat or CSV."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import AdCampaign, AdMetric, Contact
from domain import ads_metrics as m
from domain.ads import (
    AdRuleError,
    apply_edit,
    check_status_change,
    errors,
    is_web_url,
    lengths,
    normalise_platform,
    normalise_variant,
    validate_variant,
)
from domain.ads_copy import template_variants
from domain.ads_segment import SegmentProfile, suggest_targeting
from domain.roles import Permission, require
from domain.wording import plural
from settings import get_settings
from tools.ads.audience import segment_profile
from tools.contacts.history import record_event
from tools.users import Actor

log = logging.getLogger(__name__)
DEFAULT_COUNT = {"google": 1, "facebook": 3, "linkedin": 3}
MAX_COUNT = 5


class AdError(ValueError):
    """Bad input for an ads tool (unknown ad, bad edit, bad figures); the message says what to do."""


@dataclass
class VariantView:
    number: int  # 1-based, as people say it
    fields: dict[str, Any]
    lengths: dict[str, Any]
    problems: list[str]  # empty: fits every limit


@dataclass
class AdDraft:
    id: int
    name: str
    platform: str
    status: str
    audience: int  # contacts in the segment
    variants: list[VariantView]
    targeting: dict[str, Any]
    generator: str  # "model <name>" or "offline templates"
    offline: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class MetricsResult:
    ad_id: int
    name: str
    day: date
    created: bool  # False: that day's figures were replaced
    spend_micros: int
    impressions: int
    clicks: int
    conversions: int
    conversions_linked: int = 0


@dataclass
class DayRow:
    day: date
    spend_micros: int
    impressions: int
    clicks: int
    conversions: int
    ctr: float | None
    cpc_micros: int | None
    cost_per_lead_micros: int | None


@dataclass
class AdReport:
    id: int
    name: str
    platform: str
    status: str
    days: list[DayRow]
    spend_micros: int
    impressions: int
    clicks: int
    conversions: int
    ctr: float | None  # fraction: 0.025 = 2.5 %
    cpc_micros: int | None
    cost_per_lead_micros: int | None
    conversion_rate: float | None  # conversions / clicks


# --- drafts ---------------------------------------------------------------------------------------------------------

def draft_ads(session: Session, actor: Actor, *, platform: str, filter: Any, brief: str, name: str | None = None,
              count: int | None = None, final_url: str = "", generator: str = "auto") -> AdDraft:
    """Draft ad copy for a segment and save it as an ad campaign with status draft.

    platform: google (responsive search ad: 3-15 headlines <=30 chars, 2-4 descriptions <=90, paths <=15), facebook/meta
    (primary text <=125 shown, headline <=40, description <=30) or linkedin (intro <=150 shown, headline <=70,
    description <=100, never naming LinkedIn). filter: the contacts filter (JSON language of query_contacts); brief:
    what to advertise in a sentence. count: variants (default 1 ad for google with up to 15 headlines, 3 otherwise;
    at most 5). final_url: landing page. generator: auto (the language model when configured, else templates), model,
    or offline. Every variant fits the limits (a model's answer that does not is repaired at word boundaries or
    regenerated) and shows its lengths. Also returns the audience size and targeting suggestions with counts.
    Drafts only: nothing is published or spent. Needs the ads permission."""
    require(actor.role, Permission.ADS, "draft ads")
    platform, count = _check_draft_args(platform, brief, count, generator)
    variant_url = _check_url(final_url)
    use_model = _use_model(generator)
    fresh = not session.in_transaction()
    profile, filter_json = segment_profile(session, filter)
    if use_model and fresh:
        session.rollback()  # ends the read-only transaction this call began: none is held while the model thinks
    templates = template_variants(platform, profile, brief, count, variant_url)
    variants, label, notes = _generate(platform, profile, brief, count, templates, variant_url, generator, use_model)
    targeting = suggest_targeting(platform, profile, brief)
    ad = AdCampaign(name=(name or _default_name(platform, profile, brief))[:200], platform=platform, status="draft",
                    target_filter=filter_json or {}, brief=brief, variants=variants,
                    targeting={**targeting, "generated_by": label}, created_by=actor.email)
    session.add(ad)
    session.flush()
    return _view(ad, notes)


def _check_draft_args(platform: str, brief: str, count: int | None, generator: str) -> tuple[str, int]:
    try:
        platform = normalise_platform(platform)
    except AdRuleError as exc:
        raise AdError(str(exc)) from None
    if not (brief or "").strip():
        raise AdError("a brief is needed: say in a sentence what the ads should promote")
    if generator not in ("auto", "model", "offline"):
        raise AdError("generator must be auto, model or offline")
    count = DEFAULT_COUNT[platform] if count is None else int(count)
    if not 1 <= count <= MAX_COUNT:
        raise AdError(f"count must be between 1 and {MAX_COUNT}")
    return platform, count


def _check_url(url: str) -> str:
    url = (url or "").strip()
    if url and not is_web_url(url):
        raise AdError(f"final_url {url!r} must be an http(s) address like https://example.com/offer")
    return url


def _use_model(generator: str) -> bool:
    offline = get_settings().offline_model
    if generator == "model" and offline:
        raise AdError("generator=model needs OPENAI_API_KEY; use generator=offline for template copy")
    return generator == "model" or (generator == "auto" and not offline)


def _generate(platform: str, profile: SegmentProfile, brief: str, count: int, templates: list[dict[str, Any]],
              final_url: str, generator: str, use_model: bool) -> tuple[list[dict[str, Any]], str, list[str]]:
    settings = get_settings()
    if not use_model:
        why = "asked for" if generator == "offline" else "no OPENAI_API_KEY"
        return templates, "offline templates", [f"offline: copy from templates ({why}); no language model was used"]
    from integrations.llm import chat_model
    from tools.ads.model import generate

    model = chat_model(api_key=settings.openai_api_key, model=settings.openai_model,
                       base_url=settings.openai_base_url, timeout=60)
    result = generate(model, platform, profile, brief, count, templates, final_url)
    label = f"model {settings.openai_model}" if result.used_templates < len(result.variants) else "offline templates"
    return result.variants, label, result.notes


def _default_name(platform: str, profile: SegmentProfile, brief: str) -> str:
    what = " / ".join(v for v in (profile.top("industries"), profile.top("regions")) if v) or " ".join(brief.split()[:6])
    return f"{platform.capitalize()} ads: {what}"


def _view(ad: AdCampaign, notes: list[str] | None = None) -> AdDraft:
    views = []
    for number, variant in enumerate(ad.variants or [], 1):
        problems = [v.describe() for v in validate_variant(ad.platform, variant)]
        views.append(VariantView(number, variant, lengths(ad.platform, variant), problems))
    targeting = dict(ad.targeting or {})
    label = targeting.pop("generated_by", "unknown")
    return AdDraft(id=ad.id, name=ad.name, platform=ad.platform, status=ad.status,
                   audience=int(targeting.get("audience", 0)), variants=views, targeting=targeting,
                   generator=label, offline=label == "offline templates", notes=notes or [])


def find_ad(session: Session, ref: Any) -> AdCampaign:
    """An ad campaign by id ('12', '#12') or by name (exact, case-insensitive); ambiguity names the candidates."""
    text = str(ref or "").strip().lstrip("#")
    if text.isdigit():
        ad = session.get(AdCampaign, int(text))
        if ad:
            return ad
    found = list(session.scalars(sa.select(AdCampaign).where(sa.func.lower(AdCampaign.name) == text.lower())
                                 .order_by(AdCampaign.id).limit(6)))
    if len(found) == 1:
        return found[0]
    if found:
        raise AdError(f"{len(found)} ad campaigns are named {text!r}: " + ", ".join(f"#{a.id}" for a in found))
    raise AdError(f"no ad campaign {ref!r}: give its id or exact name (list_ads shows them)")


def get_ad(session: Session, actor: Actor, ref: Any) -> AdDraft:
    """One ad campaign with its variants (and their lengths and any problems) and targeting. Needs the ads permission."""
    require(actor.role, Permission.ADS, "see ads")
    return _view(find_ad(session, ref))


def list_ads(session: Session, actor: Actor, *, status: str | None = None, platform: str | None = None,
             limit: int = 50) -> list[AdDraft]:
    """Ad campaigns, newest first, optionally by status (draft/active/paused/ended) or platform."""
    require(actor.role, Permission.ADS, "list ads")
    stmt = sa.select(AdCampaign).order_by(AdCampaign.id.desc()).limit(max(1, min(limit, 200)))
    if status:
        stmt = stmt.where(AdCampaign.status == status)
    if platform:
        try:
            stmt = stmt.where(AdCampaign.platform == normalise_platform(platform))
        except AdRuleError as exc:
            raise AdError(str(exc)) from None
    return [_view(ad) for ad in session.scalars(stmt)]


def update_ad(session: Session, actor: Actor, ref: Any, *, changes: dict[str, Any] | None = None, variant: int = 1,
              status: str | None = None, name: str | None = None) -> AdDraft:
    """Edit an ad campaign by chat. changes: fields of one variant (number `variant`, 1-based), e.g.
    {"headlines.3": "New headline"} (replace the 3rd; one past the end adds; "" removes), {"headlines": [...]} (all),
    {"primary_text": "..."}, {"final_url": "https://..."}. status: draft -> active -> paused -> active -> ended.
    An edit that breaks a platform's hard limit is refused with the reasons and nothing is changed; one that is only
    truncated when shown (e.g. Meta primary text over 125) is saved and flagged. Needs the ads permission."""
    require(actor.role, Permission.ADS, "edit ads")
    ad = find_ad(session, ref)
    if changes:
        _edit_variant(ad, variant, changes)
    if status:
        try:
            ad.status = check_status_change(ad.status, status.strip().lower())
        except AdRuleError as exc:
            raise AdError(str(exc)) from None
    if name is not None and name.strip():
        ad.name = name.strip()[:200]
    session.flush()
    return _view(ad)


def _edit_variant(ad: AdCampaign, number: int, changes: dict[str, Any]) -> None:
    variants = list(ad.variants or [])
    if not 1 <= number <= len(variants):
        raise AdError(f"ad #{ad.id} has {plural(len(variants), 'variant')}; choose 1 to {len(variants)}")
    edited = dict(variants[number - 1])
    try:
        for key, value in changes.items():
            edited = apply_edit(ad.platform, edited, key, value)
        edited = normalise_variant(ad.platform, edited)
    except AdRuleError as exc:
        raise AdError(str(exc)) from None
    hard = errors(validate_variant(ad.platform, edited))
    if hard:
        raise AdError("not saved: " + "; ".join(v.describe() for v in hard))
    variants[number - 1] = edited
    ad.variants = variants


# --- performance ------------------------------------------------------------------------------------------------------

def record_ad_metrics(session: Session, actor: Actor, ref: Any, day: Any, spend_micros: Any, impressions: Any,
                      clicks: Any, conversions: Any, *, converted_contacts: list[str] | None = None,
                      source: str = "chat") -> MetricsResult:
    """Record one day's results of an ad campaign: spend in micro-dollars (1 dollar = 1,000,000; text with a '$' such
    as "$120.50" is read as dollars), impressions,
    clicks, conversions. Entering a day again replaces that day's figures (no double counting). The campaign's totals
    and the daily analytics' ad costs follow. converted_contacts: optional ids/emails of contacts who converted, each
    noted on their timeline. Needs the ads permission."""
    require(actor.role, Permission.ADS, "record ad results")
    ad = find_ad(session, ref)
    try:
        figures = m.check_figures(day, spend_micros, impressions, clicks, conversions)
    except m.MetricsError as exc:
        raise AdError(str(exc)) from None
    created = upsert_day(session, ad, figures)
    linked = _link_conversions(session, actor, ad, figures.day, converted_contacts or [], source)
    refresh_totals(session, ad)
    return MetricsResult(ad.id, ad.name, figures.day, created, figures.spend_micros, figures.impressions,
                         figures.clicks, figures.conversions, linked)


def upsert_day(session: Session, ad: AdCampaign, figures: m.DayFigures) -> bool:
    """Write one day's figures for the ad, replacing any; True when the day is new."""
    row = session.scalar(sa.select(AdMetric).where(AdMetric.ad_campaign_id == ad.id, AdMetric.day == figures.day))
    created = row is None
    if created:
        row = AdMetric(ad_campaign_id=ad.id, day=figures.day)
        session.add(row)
    row.spend_micros, row.impressions = figures.spend_micros, figures.impressions
    row.clicks, row.conversions = figures.clicks, figures.conversions
    session.flush()
    return created


def refresh_totals(session: Session, ad: AdCampaign) -> None:
    """The campaign's totals recomputed from its days."""
    sums = session.execute(sa.select(*(sa.func.coalesce(sa.func.sum(c), 0) for c in (
        AdMetric.spend_micros, AdMetric.impressions, AdMetric.clicks, AdMetric.conversions)))
        .where(AdMetric.ad_campaign_id == ad.id)).one()
    ad.spend_micros, ad.impressions, ad.clicks, ad.conversions = (int(v) for v in sums)
    session.flush()


def _link_conversions(session: Session, actor: Actor, ad: AdCampaign, day: date, refs: list[str],
                      source: str) -> int:
    from tools.contacts.records import find_by_address

    linked = 0
    for ref in refs:
        text = str(ref).strip()
        contact = session.get(Contact, int(text)) if text.isdigit() else find_by_address(session, email=text,
                                                                                           phone=text)
        if contact is None:
            raise AdError(f"no contact {ref!r} to link the conversion to (give an id, email or phone)")
        record_event(session, contact.id, "ad_conversion", source, actor.email,
                     data={"ad_campaign_id": ad.id, "ad_name": ad.name, "platform": ad.platform,
                           "day": day.isoformat()})
        linked += 1
    return linked


def ad_report(session: Session, actor: Actor, ref: Any, *, start: date | None = None,
              end: date | None = None) -> AdReport:
    """Performance of an ad campaign: per day and in total, spend, impressions, clicks, conversions, CTR (fraction),
    CPC and cost per lead (micro-dollars; None when there is nothing to divide by). start/end limit the days."""
    require(actor.role, Permission.ADS, "see ad results")
    ad = find_ad(session, ref)
    stmt = sa.select(AdMetric).where(AdMetric.ad_campaign_id == ad.id).order_by(AdMetric.day)
    if start:
        stmt = stmt.where(AdMetric.day >= m.parse_day(start))
    if end:
        stmt = stmt.where(AdMetric.day <= m.parse_day(end))
    days = [_row(r.day, r.spend_micros, r.impressions, r.clicks, r.conversions) for r in session.scalars(stmt)]
    total = _row(date.min, *(sum(getattr(d, k) for d in days) for k in ("spend_micros", "impressions", "clicks",
                                                                          "conversions")))
    return AdReport(ad.id, ad.name, ad.platform, ad.status, days, total.spend_micros, total.impressions, total.clicks,
                    total.conversions, total.ctr, total.cpc_micros, total.cost_per_lead_micros,
                    total.conversions / total.clicks if total.clicks else None)


def _row(day: date, spend: int, impressions: int, clicks: int, conversions: int) -> DayRow:
    return DayRow(day, spend, impressions, clicks, conversions, m.ctr(clicks, impressions), m.per(spend, clicks),
                  m.per(spend, conversions))
