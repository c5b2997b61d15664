"""Building the message a contact gets on a campaign's channel (the channel's rule says which kind): a text with
the STOP notice, measured in segments where priced per segment (SMS), or a rich email (subject, the brand's HTML
layout with its text twin, the footer with the postal address and the one-click unsubscribe link, tracking); and
its price from the channel's registry entry. Previews, launch, test sends and the send path all render here."""

from __future__ import annotations

import re
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from db.models import Campaign, Contact
from domain import campaigns as tpl
from domain import channels as channel_rules
from domain import email_render, sms
from settings import get_settings
from tools import channels
from tools.channels import Outgoing


def unsubscribe_secret() -> str:
    """The key that signs unsubscribe links (MKT_UNSUBSCRIBE_SECRET, else generated once under var/)."""
    s = get_settings()
    if s.unsubscribe_secret:
        return s.unsubscribe_secret
    import secrets

    from ops.files import secret_file

    return secret_file(Path(s.var_dir) / "unsubscribe_secret", lambda: secrets.token_urlsafe(32))


def unsubscribe_url(activity_id: int | None) -> str:
    """The one-click unsubscribe link of an activity (a placeholder in previews)."""
    base = get_settings().public_url.rstrip("/")
    token = tpl.sign_token(unsubscribe_secret(), activity_id) if activity_id else "PREVIEW"
    return f"{base}/unsubscribe/{token}"


def contact_values(contact: Contact) -> dict[str, Any]:
    """The merge-field values of a contact (ORM object or light row)."""
    return {name: getattr(contact, name, None) for name in tpl.FIELDS if name != "full_name"} | {
        "attributes": contact.attributes or {}}


# The text already tells how to opt out: "Reply STOP", "text stop to end", "STOP to opt out". A word that only
# contains the letters ("nonstop", "one-stop shop") or another use of the word ("stop by our store") is no notice.
_STOP_NOTICE = re.compile(r"\b(?:reply|text|txt|send|respond|answer)(?: with)?\s+[\"'“‘]?stop(?:all)?\b"
                          r"|\bstop(?:all)?[\"'”’]?\s+(?:to|2)\s+(?:opt|unsub|end|cancel|quit|stop)", re.I)


def with_stop_notice(text: str) -> str:
    """SMS carry the opt-out instruction, on a line of its own, unless the text already gives it (_STOP_NOTICE)."""
    if _STOP_NOTICE.search(text):
        return text
    body = text.rstrip()
    return f"{body}\nReply STOP to opt out." if body else "Reply STOP to opt out."


SANDBOX_POSTAL = "(your postal address goes here: an admin sets it before real emails can go out)"


def render_message(campaign: Campaign, contact: Contact, *, activity_id: int | None, variant: str | None = None,
                   to: str | None = None) -> Outgoing:
    """The message this contact gets (merge fields filled; email footer; SMS segments; its cost)."""
    s = get_settings()
    chosen = next((v for v in campaign.variants or [] if v["name"] == variant), {})
    values = contact_values(contact)
    address = to or channel_rules.address_of(campaign.channel, contact) or ""
    rule, entry = channel_rules.rule(campaign.channel), channels.get(campaign.channel)
    price = entry.price_micros(address)
    if not rule.rich:  # text with the STOP notice, priced per segment (SMS) or per message
        text = with_stop_notice(tpl.render(chosen.get("body_text") or campaign.body_text, values))
        segments = sms.segments(text) if rule.per_segment else None
        return Outgoing(activity_id or 0, contact.id, address, text=text, segments=segments,
                        cost_micros=price * (segments or 1))
    url = unsubscribe_url(activity_id)
    postal = s.sender_postal_address or (SANDBOX_POSTAL if entry.sandboxed() else "")
    values = values | {"unsubscribe_url": url, "postal_address": postal}
    subject = chosen.get("subject") or campaign.subject or ""
    compiled = compiled_email(chosen.get("body_text") or campaign.body_text, subject,
                              chosen.get("body_html") or campaign.body_html)
    return Outgoing(activity_id or 0, contact.id, address, subject=tpl.render(subject, values),
                    text=email_render.fill_text(compiled, values), html=email_render.fill(compiled, values),
                    unsubscribe_url=url, cost_micros=price,
                    **(tracking(campaign) if rule.tracks_engagement else {}))


def tracking(campaign: Campaign) -> dict[str, bool]:
    """The campaign's open and link tracking; where it does not say, the account's (MKT_EMAIL_TRACKING_DEFAULT)."""
    default = get_settings().email_tracking_default
    return {"track_opens": default if campaign.track_opens is None else campaign.track_opens,
            "track_links": default if campaign.track_links is None else campaign.track_links}


def compiled_email(body: str, subject: str, body_html: str | None) -> email_render.CompiledEmail:
    """The campaign's email compiled once (Markdown, layout, brand, inlined CSS) for every contact it goes to."""
    return _compile(body or "", subject or "", body_html or None, current_brand())


@lru_cache(maxsize=32)
def _compile(body: str, subject: str, body_html: str | None, brand: email_render.Brand) -> email_render.CompiledEmail:
    return email_render.compile_email(body, brand, subject=subject, body_html=body_html)


def current_brand() -> email_render.Brand:
    """The brand in force (settings, with what an admin stored applied by tools.sender.apply_stored)."""
    s = get_settings()
    name = s.brand_name or parseaddr(s.email_from)[0]
    postal = s.sender_postal_address or (SANDBOX_POSTAL if s.sandbox_email else "")
    return email_render.Brand(name, s.brand_logo_url or None, s.brand_accent_color, postal)
