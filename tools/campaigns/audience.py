"""A campaign's audience with every send rule's decision, evaluated chunk by chunk in contact id order, so that a
preview or a launch of a million recipients holds one chunk (CHUNK contacts: light rows, their facts, decisions)
at a time instead of the whole audience (issue 21; bench/RESULTS.md ## scale).

One message per address (domain.audience.one_per_address) spans chunks: the phone numbers that occur more than
once in the audience are found first with one GROUP BY, and only those are remembered from chunk to chunk. Each
chunk's send-rule facts read the chunk's id range of the per-contact indexes (db.campaigns.recipient_facts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign, Contact
from domain import channels
from domain.audience import address_key, one_per_address
from domain.send_rules import Decision, Outcome, SendRules, decide
from settings import get_settings
from tools.campaigns.sending import default_rules

CHUNK = 20_000
CONTACT_COLUMNS = ("id", "email", "phone", "first_name", "last_name", "company", "job_title", "city", "region",
                   "country", "website", "attributes", "timezone", "opted_out_email", "opted_out_sms", "email_status",
                   "is_sample")
# what the send rules read: enough when nothing is rendered (an email launch, the bulk of an email preview)
RULE_COLUMNS = ("id", "email", "phone", "timezone", "opted_out_email", "opted_out_sms", "email_status", "is_sample")


@dataclass
class Chunk:
    contacts: list[Any]  # light rows (CONTACT_COLUMNS), in id order
    decisions: dict[int, Decision]  # contact id -> send, defer or exclude (with the reason)


def evaluate(session: Session, campaign: Campaign, now: datetime, *, sandbox: bool, render: bool = True,
             size: int | None = None) -> Iterator[Chunk]:
    """The audience of `campaign` in chunks, each with its decisions at `now`. Sample contacts are excluded
    unless `sandbox` (sample data is messaged only where nothing leaves the building). `render`: the rows carry
    every column a message renders from (CONTACT_COLUMNS), else only RULE_COLUMNS (see `full_rows`)."""
    size = size or CHUNK
    condition = q.audience_condition(campaign.target_filter)
    columns = [getattr(Contact, name) for name in (CONTACT_COLUMNS if render else RULE_COLUMNS)]
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
        facts = q.recipient_facts(session, campaign, contacts, now, scope=scope, since=since,
                                  bounds=(contacts[0].id, last))
        decisions = {f.contact_id: decide(f, rules, now, zone) for f in facts}
        for c in contacts if not sandbox else ():
            if c.is_sample:
                decisions[c.id] = Decision(Outcome.EXCLUDE, "sample")
        if shared:
            one_per_address(campaign.channel, ((f.contact_id, f.address) for f in facts
                                               if address_key(campaign.channel, f.address) in shared),
                            decisions, kept=kept)
        yield Chunk(contacts, decisions)


def full_rows(session: Session, ids: list[int]) -> list[Any]:
    """The CONTACT_COLUMNS rows of these contacts, in id order (to render a few of a chunk read without them)."""
    columns = [getattr(Contact, name) for name in CONTACT_COLUMNS]
    return list(session.execute(sa.select(*columns).where(Contact.id.in_(ids)).order_by(Contact.id))) if ids else []


def _shared_addresses(session: Session, channel: str, condition: sa.ColumnElement[bool]) -> set[str]:
    """Address keys (domain.audience.address_key) held by more than one contact of the audience. Emails are
    unique and stored normalised (lower-case, trimmed: domain.contacts), so only phones can be shared: a channel
    whose address column is unique has none."""
    column = getattr(Contact, channels.rule(channel).address_field)
    if Contact.__table__.c[column.key].unique:
        return set()
    rows = session.scalars(sa.select(column).where(condition, column.is_not(None), column != "")
                           .group_by(column).having(sa.func.count() > 1))
    return {k for k in (address_key(channel, r) for r in rows) if k}
