"""A campaign's audience with every send rule's decision, evaluated chunk by chunk in contact id order, so that a
preview or a launch of a million recipients holds one chunk (CHUNK contacts: light rows, their facts, decisions)
at a time instead of the whole audience (issue 21; bench/RESULTS.md ## scale).

One message per address (domain.audience.one_per_address) spans chunks: the addresses that occur more than once
in the audience are found first with one GROUP BY, and only those are remembered from chunk to chunk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign, Contact
from domain.audience import address_key, one_per_address
from domain.send_rules import Decision, Outcome, SendRules, decide
from settings import get_settings
from tools.campaign_sending import default_rules

CHUNK = 20_000
CONTACT_COLUMNS = ("id", "email", "phone", "first_name", "last_name", "company", "job_title", "city", "region",
                   "country", "website", "attributes", "timezone", "opted_out_email", "opted_out_sms", "email_status",
                   "is_sample")


@dataclass
class Chunk:
    contacts: list[Any]  # light rows (CONTACT_COLUMNS), in id order
    decisions: dict[int, Decision]  # contact id -> send, defer or exclude (with the reason)


def evaluate(session: Session, campaign: Campaign, now: datetime, *, sandbox: bool,
             size: int | None = None) -> Iterator[Chunk]:
    """The audience of `campaign` in chunks, each with its decisions at `now`. Sample contacts are excluded
    unless `sandbox` (sample data is messaged only where nothing leaves the building)."""
    size = size or CHUNK
    condition = q.audience_condition(campaign.target_filter)
    columns = [getattr(Contact, name) for name in CONTACT_COLUMNS]
    rules = SendRules.from_dict(campaign.send_rules, default_rules())
    zone = get_settings().account_timezone
    since = rules.stop_since or now - timedelta(days=30)
    shared = _shared_addresses(session, campaign.channel, condition)
    kept: dict[str, int] = {}
    last = 0
    while True:
        contacts = list(session.execute(sa.select(*columns).where(condition, Contact.id > last)
                                        .order_by(Contact.id).limit(size)))
        if not contacts:
            return
        scope = sa.select(Contact.id).where(condition, Contact.id.between(contacts[0].id, contacts[-1].id))
        last = contacts[-1].id
        facts = q.recipient_facts(session, campaign, contacts, now, scope=scope, since=since)
        decisions = {f.contact_id: decide(f, rules, now, zone) for f in facts}
        for c in contacts if not sandbox else ():
            if c.is_sample:
                decisions[c.id] = Decision(Outcome.EXCLUDE, "sample")
        if shared:
            one_per_address(campaign.channel, ((f.contact_id, f.address) for f in facts
                                               if address_key(campaign.channel, f.address) in shared),
                            decisions, kept=kept)
        yield Chunk(contacts, decisions)


def _shared_addresses(session: Session, channel: str, condition: sa.ColumnElement[bool]) -> set[str]:
    """Address keys (domain.audience.address_key) held by more than one contact of the audience."""
    column = Contact.email if channel == "email" else Contact.phone
    key = sa.func.lower(sa.func.trim(column)) if channel == "email" else sa.func.trim(column)
    rows = session.scalars(sa.select(key).where(condition, column.is_not(None), column != "")
                           .group_by(key).having(sa.func.count() > 1))
    return {k for k in (address_key(channel, r) for r in rows) if k}
