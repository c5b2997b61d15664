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
    address = sa.func.coalesce(A.to_address, column)
    return {address_key(campaign.channel, a) for a in session.scalars(
        sa.select(address).join(Contact, Contact.id == A.contact_id).where(
            A.campaign_id == campaign.id, A.channel == campaign.channel, A.status.in_(SENT_STATES),
            A.id.not_in(claimed), address.in_(wanted)))}
