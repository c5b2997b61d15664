"""Campaign templates: merge fields with fallbacks, the CAN-SPAM email footer, signed unsubscribe tokens,
A/B variant assignment; campaign and activity statuses with their allowed moves and order. Pure functions.

Template syntax: ``{first_name}``, ``{first_name|there}`` (fallback when empty), ``{attributes.plan|free}``,
``{{`` and ``}}`` for literal braces. Values are HTML-escaped in HTML bodies (fallbacks too)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

FIELDS = ("first_name", "last_name", "full_name", "company", "job_title", "city", "region", "country", "email",
          "phone", "website")
SYSTEM_FIELDS = ("unsubscribe_url",)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}")
_NAME = re.compile(r"^(?:[a-z_]+|attributes\.[A-Za-z0-9_\-]+)$")


class TemplateError(ValueError):
    """A template that cannot be rendered: the message says which field and why."""


@dataclass(frozen=True)
class MergeField:
    name: str
    fallback: str | None


def merge_fields(template: str) -> list[MergeField]:
    """The merge fields a template uses, in order, with their fallbacks."""
    found = []
    for match in _TOKEN.finditer(template or ""):
        if match.group(0) in ("{{", "}}"):
            continue
        found.append(MergeField(match.group(1).strip(), match.group(2)))
    return found


def validate_template(template: str) -> list[str]:
    """Problems with a template (unknown fields, stray braces); empty when it is fine."""
    problems = []
    for field in merge_fields(template):
        if not _NAME.match(field.name) or (field.name not in FIELDS + SYSTEM_FIELDS
                                           and not field.name.startswith("attributes.")):
            problems.append(f"unknown merge field {{{field.name}}}: use one of {', '.join(FIELDS)} "
                            "or attributes.<key>, with an optional |fallback")
    leftover = _TOKEN.sub("", template or "")
    if "{" in leftover or "}" in leftover:
        problems.append("unbalanced brace: write {{ or }} for a literal brace")
    return problems


def field_value(values: Mapping[str, Any], name: str) -> str:
    if name.startswith("attributes."):
        raw = (values.get("attributes") or {}).get(name.split(".", 1)[1])
    elif name == "full_name":
        raw = " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
    else:
        raw = values.get(name)
    return "" if raw is None else str(raw).strip()


def render(template: str, values: Mapping[str, Any], *, html_escape: bool = False) -> str:
    """Fill the merge fields of `template` from `values` (a contact's fields). Empty values take the fallback."""

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name, fallback = match.group(1).strip(), match.group(2)
        value = field_value(values, name) or (fallback or "")
        if html_escape and name not in SYSTEM_FIELDS:
            return html.escape(value, quote=True)
        return value

    return _TOKEN.sub(fill, template or "")


def text_footer(postal_address: str, unsubscribe_url: str) -> str:
    return f"\n\n--\n{postal_address}\nUnsubscribe: {unsubscribe_url}\n"


def html_footer(postal_address: str, unsubscribe_url: str) -> str:
    address = html.escape(postal_address).replace("\n", "<br>")
    link = html.escape(unsubscribe_url, quote=True)
    return (f'<p style="font-size:12px;color:#666">{address}<br>'
            f'<a href="{link}">Unsubscribe</a></p>')


def add_html_footer(body: str, footer: str) -> str:
    """Put the footer before </body> when the body has one, else at the end."""
    index = body.lower().rfind("</body>")
    return body + footer if index < 0 else body[:index] + footer + body[index:]


def sign_token(secret: str, activity_id: int) -> str:
    """An unsubscribe token for one activity: its id and an HMAC-SHA256, URL-safe."""
    payload = str(activity_id).encode()
    mac = hmac.new(secret.encode(), b"unsub:" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + b"." + mac).decode().rstrip("=")


def verify_token(secret: str, token: str) -> int | None:
    """The activity id of a genuine token, else None (tampered, truncated or foreign tokens)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, mac = raw.split(b".", 1)
        activity_id = int(payload)
    except (ValueError, TypeError):
        return None
    good = hmac.new(secret.encode(), b"unsub:" + payload, hashlib.sha256).digest()[:16]
    return activity_id if hmac.compare_digest(good, mac) else None


def validate_variants(variants: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A/B variants: each {"name", "weight" (>0), and any of subject/body_text/body_html}. Returns them cleaned."""
    cleaned = []
    names = set()
    for raw in variants or []:
        name = str(raw.get("name") or "").strip()
        weight = raw.get("weight", 1)
        if not name or name in names:
            raise TemplateError(f"each variant needs a distinct name (got {name!r})")
        if not isinstance(weight, int) or weight <= 0:
            raise TemplateError(f"variant {name}: weight must be a positive whole number")
        names.add(name)
        item = {"name": name, "weight": weight}
        for key in ("subject", "body_text", "body_html"):
            if raw.get(key):
                problems = validate_template(str(raw[key]))
                if problems:
                    raise TemplateError(f"variant {name} {key}: {'; '.join(problems)}")
                item[key] = str(raw[key])
        cleaned.append(item)
    if len(cleaned) == 1:
        raise TemplateError("A/B needs at least two variants")
    return cleaned


def pick_variant(variants: list[dict[str, Any]], campaign_id: int, contact_id: int) -> dict[str, Any] | None:
    """A stable, weighted choice of variant for one contact (the same contact always gets the same one)."""
    if not variants:
        return None
    total = sum(v["weight"] for v in variants)
    digest = hashlib.sha256(f"{campaign_id}:{contact_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in variants:
        if point < variant["weight"]:
            return variant
        point -= variant["weight"]
    return variants[-1]  # pragma: no cover - unreachable, the weights sum to total


# --- statuses ----------------------------------------------------------------------------------------------------

class CampaignStatus(StrEnum):
    """A campaign's status (stored as its value)."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Allowed moves: launch (draft -> running), pause (by a person or after errors), resume, the tick completes a
# campaign with nothing left to send, a resend of sends in doubt runs a completed one again, cancel is for good.
CAMPAIGN_MOVES: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    CampaignStatus.DRAFT: frozenset({CampaignStatus.RUNNING, CampaignStatus.CANCELLED}),
    CampaignStatus.RUNNING: frozenset({CampaignStatus.PAUSED, CampaignStatus.COMPLETED, CampaignStatus.CANCELLED}),
    CampaignStatus.PAUSED: frozenset({CampaignStatus.RUNNING, CampaignStatus.CANCELLED}),
    CampaignStatus.COMPLETED: frozenset({CampaignStatus.RUNNING}),
    CampaignStatus.CANCELLED: frozenset(),
}


def campaign_can_move(current: str, new: str) -> bool:
    """Whether a campaign that is `current` may become `new` (False for an unknown status)."""
    try:
        return CampaignStatus(new) in CAMPAIGN_MOVES[CampaignStatus(current)]
    except ValueError:
        return False


class ActivityStatus(StrEnum):
    """A marketing activity's (one message's) status (stored as its value)."""

    QUEUED = "queued"
    DEFERRED = "deferred"
    CANCELLED = "cancelled"
    SENDING = "sending"
    UNKNOWN = "unknown"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


# The order delivery reports follow: a status only moves forward (a delivery receipt outranks a failure report
# whichever arrives first; bounced and complained override). Equal ranks do not move each other.
ACTIVITY_ORDER: dict[ActivityStatus, int] = {
    ActivityStatus.QUEUED: 0, ActivityStatus.DEFERRED: 0, ActivityStatus.CANCELLED: 0,
    ActivityStatus.SENDING: 1, ActivityStatus.UNKNOWN: 1, ActivityStatus.SENT: 2, ActivityStatus.FAILED: 3,
    ActivityStatus.DELIVERED: 4, ActivityStatus.OPENED: 5, ActivityStatus.CLICKED: 6, ActivityStatus.BOUNCED: 7,
    ActivityStatus.COMPLAINED: 8,
}
WAITING = frozenset({ActivityStatus.QUEUED, ActivityStatus.DEFERRED})  # not claimed yet: may still be cancelled

# The send path's moves that are not forward: a claim put back or deferred (quiet hours, retry, a worker that
# stopped), cancelled (campaign cancelled, cap reached or opted out at claim), in doubt, a deferral released,
# an SMS in doubt or a resend-anyway queued again.
_SEND_PATH_MOVES: dict[ActivityStatus, frozenset[ActivityStatus]] = {
    ActivityStatus.QUEUED: frozenset({ActivityStatus.DEFERRED, ActivityStatus.CANCELLED}),
    ActivityStatus.DEFERRED: frozenset({ActivityStatus.QUEUED, ActivityStatus.CANCELLED}),
    ActivityStatus.SENDING: frozenset({ActivityStatus.QUEUED, ActivityStatus.DEFERRED, ActivityStatus.CANCELLED,
                                       ActivityStatus.UNKNOWN}),
    ActivityStatus.UNKNOWN: frozenset({ActivityStatus.QUEUED}),
}


def activity_rank(status: str) -> int:
    """The place of `status` in ACTIVITY_ORDER (0 for a status it does not know)."""
    try:
        return ACTIVITY_ORDER[ActivityStatus(status)]
    except ValueError:
        return 0


def moves_forward(current: str, new: str) -> bool:
    """Whether a delivery report of status `new` moves an activity that is `current` (a replay does not)."""
    return ACTIVITY_ORDER[ActivityStatus(new)] > activity_rank(current)


def activity_can_move(current: str, new: str) -> bool:
    """Whether an activity that is `current` may become `new`: forward in ACTIVITY_ORDER, or one of the send
    path's moves back (retries, deferrals, cancellations)."""
    try:
        return moves_forward(current, new) or ActivityStatus(new) in _SEND_PATH_MOVES.get(ActivityStatus(current), ())
    except ValueError:
        return False
