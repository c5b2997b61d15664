"""Finding a campaign from what a person typed: '12', '#12', its name in any case and accents, or a unique part of
it ("the spring campaign" -> "Spring roof check (sample)"), or "the last campaign" (the one made last; for results,
the one launched last). Several matches are never guessed: the error names them.
Every tool that takes a campaign reference goes through `find_campaign`."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Campaign
from domain.filters import digits


class CampaignError(ValueError):
    """A request on a campaign that cannot be done as asked; the message says why and what to do."""


class CampaignNotFound(LookupError):
    """No campaign (or several) matches the reference; the message says what to give."""


def fold(text: str) -> str:
    """Lower case without accents, spaces squeezed: how names are compared."""
    text = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(ch for ch in text if not unicodedata.combining(ch)).lower().split())


# "the last campaign", "my latest one", "the most recent sequence": by its place in time, when no name is that
_NEWEST = re.compile(r"(?:(?:the|my|our) )?(?:last|latest|newest|most recent|recent)(?: (?:one|launched|sent))?"
                     r"(?: (?:campaign|sequence))?")


def _newest(session: Session, model: Any, launched: bool) -> Any:
    """The one made last; with `launched`, the one launched last (the one made last when none was)."""
    order = [model.launched_at.desc().nulls_last()] if launched else []
    return session.scalars(sa.select(model).order_by(*order, model.id.desc()).limit(1)).first()


def find_named(session: Session, model: Any, ref: str | int, noun: str, error: type[Exception], *,
               launched: bool = False) -> Any:
    """A row of `model` (a table with id and name) by id ('12' or '#12') or name: exact, then ignoring case and
    accents, then "the last one" (no name being that: the one made last, or with `launched` the one launched last),
    then a unique part of it. Raises `error` naming the candidates when a part matches several."""
    text = str(ref).strip().lstrip("#").strip()
    if digits(text) and (found := session.get(model, int(text))) is not None:
        return found
    want = fold(text)
    rows = session.execute(sa.select(model.id, model.name).order_by(model.id)).all()
    exact = [i for i, name in rows if fold(name) == want]
    if not exact and _NEWEST.fullmatch(want):
        if (newest := _newest(session, model, launched)) is not None:
            return newest
        raise error(f"there is no {noun} yet: say 'list {noun}s' to see them")
    part = exact or [i for i, name in rows if want and want in fold(name)]
    if len(part) == 1:
        return session.get(model, part[0])
    if not part:
        raise error(f"no {noun} is called {text!r}: say 'list {noun}s' to see them")
    names = ", ".join(f"#{i} {n}" for i, n in rows if i in part[:8])
    raise error(f"{len(part)} {noun}s match {text!r}: {names}. Say which one (its id or full name).")


def find_campaign(session: Session, ref: str | int, *, launched: bool = False) -> Campaign:
    """A campaign by id ('12' or '#12') or name: exact, then ignoring case and accents, then "the last campaign"
    (the one made last: "launch the last campaign" is the draft just written; with `launched`, for results, the one
    launched last), then a unique part of it. Raises CampaignNotFound naming the candidates when a part matches
    several."""
    return find_named(session, Campaign, ref, "campaign", CampaignNotFound, launched=launched)
