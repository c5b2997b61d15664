"""What the claim of a batch re-checks (tools.campaigns.sending.begin_batch), because a batch can be claimed long
after launch: opt-outs and suppressions since, frequency caps (another campaign launched at about the same time may
have got there first; counted under a per-contact advisory lock on PostgreSQL) and quiet hours; and how the rows
held back are written (cancelled with the cap as reason, or deferred until the window opens), giving back the
claim's attempt. One message per address is re-checked in tools/campaigns/address_guard.py."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db import campaigns as q
from db.models import Campaign, Contact, MarketingActivity
from domain import channels as channel_rules
from domain.send_rules import REASONS

CAP_LOCK_NAMESPACE = 0x63617073  # pg_advisory_xact_lock(namespace, contact id): one claim per contact at a time


def recent_sends(session: Session, campaign: Campaign, contact_ids: list[int],
                 now: datetime) -> dict[int, list[datetime]]:
    """The contacts' messages of other campaigns on this channel sent or being sent in the last 7 days (the query
    launch uses), read after taking their advisory locks on PostgreSQL: a concurrent claim of another campaign for
    one of them has committed (and is counted) or waits for ours."""
    if not contact_ids:
        return {}
    if session.get_bind().dialect.name == "postgresql":  # ids sorted: claims lock in one order, no deadlock
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:ns, c) FROM unnest(CAST(:ids AS integer[])) AS c"),
                        {"ns": CAP_LOCK_NAMESPACE, "ids": contact_ids})
    return q._recent_sends(session, campaign.channel, contact_ids, campaign.id, now)


def cancel_capped(session: Session, capped: dict[int, str], now: datetime) -> None:
    """Claimed rows whose contact reached a frequency cap -> cancelled with the cap as reason (as launch excludes
    them); not sent, so the claim's attempt is given back."""
    table = MarketingActivity.__table__
    session.connection().execute(
        sa.update(table).where(table.c.id == sa.bindparam("b_id"), table.c.status == "sending").values(
            status="cancelled", claimed_at=None, attempts=table.c.attempts - 1, error_code=sa.bindparam("b_code"),
            error_message=sa.bindparam("b_message"), updated_at=now),
        [{"b_id": activity_id, "b_code": code, "b_message": f"{REASONS[code]}: found when the batch was claimed"}
         for activity_id, code in capped.items()])


def defer_quiet(session: Session, until: dict[int, datetime], now: datetime) -> None:
    """Claimed rows back to "deferred" until their window opens: not sent, so the claim's attempt is given back."""
    table = MarketingActivity.__table__
    session.connection().execute(
        sa.update(table).where(table.c.id == sa.bindparam("b_id"), table.c.status == "sending").values(
            status="deferred", scheduled_for=sa.bindparam("b_until"), claimed_at=None,
            attempts=table.c.attempts - 1, error_code="quiet_hours",
            error_message=f"{REASONS['quiet_hours']}: found when the batch was claimed", updated_at=now),
        [{"b_id": activity_id, "b_until": when} for activity_id, when in until.items()])


def suppressed_among(session: Session, channel: str, contacts: list[Contact]) -> set[str]:
    """The addresses these contacts have on `channel` that are on the suppression list."""
    from tools.contacts.optouts import suppressed_addresses

    addresses = [a for a in (channel_rules.address_of(channel, c) for c in contacts) if a]
    return suppressed_addresses(session, channel, addresses)
