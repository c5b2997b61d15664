"""One message per address per campaign, re-checked when a batch is claimed (tools.campaigns.sending.begin_batch).

Launch already keeps one contact per address (domain.audience). An address can still meet another row of the same
campaign later: a contact's phone edited after launch, two contacts merged or re-imported. The claim cancels such a
row (error_code duplicate_address) when the campaign has messaged, or is messaging, that address through another
row, or when a row of the same batch is sent to it. One query per batch."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.campaigns import SENT_STATES
from db.models import Campaign, Contact, MarketingActivity
from domain import channels
from domain.audience import address_key


def addresses_taken(session: Session, campaign: Campaign, claimed: list[int], addresses: list[str | None]) -> set[str]:
    """Which of `addresses` (as domain.audience.address_key gives them) this campaign has messaged, or is messaging,
    through a row other than the `claimed` ones. The caller adds each address it sends to, so a second row of the
    same batch with that address is caught too."""
    wanted = sorted({k for k in (address_key(campaign.channel, a) for a in addresses) if k})
    if not wanted:
        return set()
    A = MarketingActivity
    column = getattr(Contact, channels.rule(campaign.channel).address_field)
    mine = (A.campaign_id == campaign.id, A.channel == campaign.channel, A.status.in_(SENT_STATES),
            A.id.not_in(claimed))
    # the address of a row is coalesce(to_address, the contact's address), asked as two index look-ups (rows that
    # recorded an address: ix_marketing_activities_campaign_to_address; the others through the contact's address
    # and the campaign+contact key) instead of computing it for every sent row of the campaign per batch, which
    # grew with the campaign (1.2 s a batch after 70k of a 1M campaign: bench/RESULTS.md ## scale)
    recorded = sa.select(A.to_address).where(*mine, A.to_address.in_(wanted))
    pending = sa.select(column).join(A, A.contact_id == Contact.id).where(*mine, A.to_address.is_(None),
                                                                          column.in_(wanted))
    return {address_key(campaign.channel, a) for a in session.scalars(sa.union(recorded, pending))}
