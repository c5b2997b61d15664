"""The look and the reusable content of HTML emails: the brand (name, logo URL, accent colour; admins set it,
stored in account_settings beside the sender, environment variables override), the three starter templates and
the templates people save from a campaign, and putting a template into a draft campaign. Rendering itself is
domain/email_render.py; a campaign's message, tools/campaigns/messages.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign, EmailTemplate
from domain import campaigns as tpl
from domain import email_render
from domain.channels import rule as channel_rule
from domain.email_templates import STARTERS
from domain.roles import Permission, require
from tools.campaigns.lookup import CampaignNotFound, find_campaign
from tools.campaigns.messages import compiled_email, current_brand
from tools.sender import ENV, apply_stored, store_settings
from tools.users import Actor

_NAME = re.compile(r"^[\w][\w .'&-]{0,99}$")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


class DesignError(ValueError):
    """A brand value or template request that cannot be done; the message says why and what to do."""


@dataclass
class TemplateView:
    name: str
    subject: str
    body: str
    kind: str  # starter or saved
    about: str = ""


@dataclass
class BrandView:
    name: str
    logo_url: str | None
    accent_color: str
    postal_address: str
    notes: list[str]


def show_brand(session: Session, actor: Actor) -> BrandView:
    """The brand in force for HTML emails (for anyone who may run campaigns)."""
    require(actor.role, Permission.CAMPAIGNS, "see the email brand")
    apply_stored(session)
    b = current_brand()
    return BrandView(b.name, b.logo_url, b.accent, b.postal_address, [])


def set_brand(session: Session, actor: Actor, *, name: str | None = None, logo_url: str | None = None,
              accent_color: str | None = None) -> BrandView:
    """Set the brand of HTML emails (admins): the name atop each email (the logo's alt text), the logo's absolute
    https URL ("" removes it), the accent colour (#rrggbb) of the bar, links and buttons. Stored in the database;
    MKT_BRAND_* environment variables override (the result's notes say so)."""
    require(actor.role, Permission.ADMIN, "set the email brand")
    changes: dict[str, str] = {}
    if name is not None:
        if not _NAME.match(name.strip()):
            raise DesignError("a brand name is 1-100 letters, digits, spaces or .'&-")
        changes["brand_name"] = name.strip()
    if logo_url is not None:
        if logo_url.strip() and not re.match(r"^https://[^\s/]+\.[^\s/]+/\S*$", logo_url.strip()):
            raise DesignError("the logo must be an absolute https:// URL of an image (mail clients fetch it)")
        changes["brand_logo_url"] = logo_url.strip()
    if accent_color is not None:
        if not _COLOUR.match(accent_color.strip()):
            raise DesignError("the accent colour is a hex colour like #e11d48")
        changes["brand_accent_color"] = accent_color.strip()
    if not changes:
        raise DesignError("say what to set: the brand name, the logo URL or the accent colour")
    store_settings(session, actor, changes)
    settings = apply_stored(session)
    view = show_brand(session, actor)
    view.notes = [f"{ENV[k]} is set in the environment and overrides this" for k in changes
                  if k in settings.model_fields_set]
    return view


def list_templates(session: Session, actor: Actor) -> list[TemplateView]:
    """The starter templates (announcement, offer, newsletter) and the saved ones, by name."""
    require(actor.role, Permission.CAMPAIGNS, "see email templates")
    starters = [TemplateView(s.name, s.subject, s.body, "starter", s.about) for s in STARTERS.values()]
    saved = [TemplateView(t.name, t.subject, t.body, "saved") for t in
             session.scalars(sa.select(EmailTemplate).order_by(EmailTemplate.name))]
    return starters + saved


def find_template(session: Session, name: str) -> TemplateView:
    """A saved template by name (any case), else a starter; DesignError listing them when there is none."""
    key = (name or "").strip().strip("\"'").lower()
    key = re.sub(r"\s+template$|^template\s+", "", key)
    saved = session.scalar(sa.select(EmailTemplate).where(sa.func.lower(EmailTemplate.name) == key))
    if saved is not None:
        return TemplateView(saved.name, saved.subject, saved.body, "saved")
    if key in STARTERS:
        s = STARTERS[key]
        return TemplateView(s.name, s.subject, s.body, "starter", s.about)
    names = list(STARTERS) + list(session.scalars(sa.select(EmailTemplate.name).order_by(EmailTemplate.name)))
    raise DesignError(f"no email template named {name!r}: there are {', '.join(names)}")


def save_template(session: Session, actor: Actor, ref: int | str, name: str) -> TemplateView:
    """Save an email campaign's subject and body as a template called `name` (a new name, not a starter's)."""
    require(actor.role, Permission.CAMPAIGNS, "save email templates")
    campaign = _campaign(session, ref)
    name = (name or "").strip().strip("\"'")
    if not _NAME.match(name):
        raise DesignError("a template name is 1-100 letters, digits, spaces or .'&-")
    taken = session.scalar(sa.select(EmailTemplate.id).where(sa.func.lower(EmailTemplate.name) == name.lower()))
    if taken or name.lower() in STARTERS:
        raise DesignError(f"a template named {name!r} exists already: choose another name")
    session.add(EmailTemplate(name=name, subject=campaign.subject or "", body=campaign.body_text,
                              created_by=actor.email))
    session.flush()
    return TemplateView(name, campaign.subject or "", campaign.body_text, "saved")


def use_template(session: Session, actor: Actor, template: str, ref: int | str) -> tuple[TemplateView, list[str]]:
    """Put a template's subject and body into a DRAFT email campaign (its own HTML body, if any, is dropped so the
    template's Markdown is what goes out). Returns the template and the email's warnings."""
    require(actor.role, Permission.CAMPAIGNS, "edit campaigns")
    chosen = find_template(session, template)
    campaign = _campaign(session, ref)
    if campaign.status != "draft":
        raise DesignError(f"campaign {campaign.name!r} is {campaign.status}: only a draft's content can change")
    for label, text in (("subject", chosen.subject), ("body", email_render.template_source(chosen.body))):
        problems = tpl.validate_template(text)
        if problems:
            raise DesignError(f"template {chosen.name} {label}: {'; '.join(problems)}")
    campaign.subject, campaign.body_text, campaign.body_html = chosen.subject, chosen.body, None
    session.flush()
    return chosen, list(compiled_email(chosen.body, chosen.subject, None).warnings)


def _campaign(session: Session, ref: int | str) -> Campaign:
    try:
        campaign = find_campaign(session, ref)
    except CampaignNotFound as exc:
        raise DesignError(str(exc)) from None
    if not channel_rule(campaign.channel).rich:
        raise DesignError(f"campaign {campaign.name!r} is an {campaign.channel} campaign: templates are for email")
    return campaign
