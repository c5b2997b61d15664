"""Finding a campaign from what a person typed: '12', '#12', its name in any case and accents, or a unique part of
it ("the spring campaign" -> "Spring roof check (sample)"). Several matches are never guessed: the error names them.
Every tool that takes a campaign reference goes through `find_campaign`."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign


class CampaignNotFound(LookupError):
    """No campaign (or several) matches the reference; the message says what to give."""


def fold(text: str) -> str:
    """Lower case without accents, spaces squeezed: how names are compared."""
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


def find_campaign(session: Session, ref: str | int) -> Campaign:
    """A campaign by id ('12' or '#12') or name: exact, then ignoring case and accents, then a unique part of it.
    Raises CampaignNotFound naming the candidates when a part matches several."""
    text = str(ref).strip().lstrip("#").strip()
    if text.isdigit():
        found = session.get(Campaign, int(text))
        if found is not None:
            return found
    want = fold(text)
    rows = session.execute(sa.select(Campaign.id, Campaign.name).order_by(Campaign.id)).all()
    exact = [i for i, name in rows if fold(name) == want]
    part = exact or [i for i, name in rows if want and want in fold(name)]
    if len(part) == 1:
        return session.get(Campaign, part[0])
    if not part:
        raise CampaignNotFound(f"no campaign is called {text!r}: say 'list campaigns' to see them")
    names = ", ".join(f"#{i} {n}" for i, n in rows if i in part[:8])
    raise CampaignNotFound(f"{len(part)} campaigns match {text!r}: {names}. Say which one (its id or full name).")
