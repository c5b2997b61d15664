"""The email sender (name, address, postal address) that admins set from the chat. Stored in `account_settings`;
an environment variable (MKT_EMAIL_FROM, MKT_SENDER_POSTAL_ADDRESS) overrides the stored value. The values in
force are applied to this process's settings by `apply_stored(session)`, which the launch, preview, test send and
every send batch call first, so a change made in the chat is used by the next send in any process."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import AccountSetting
from domain.roles import Permission, require
from settings import Settings, get_settings
from tools.users import Actor

ENV = {"email_from": "MKT_EMAIL_FROM", "sender_postal_address": "MKT_SENDER_POSTAL_ADDRESS",
       "brand_name": "MKT_BRAND_NAME", "brand_logo_url": "MKT_BRAND_LOGO_URL",
       "brand_accent_color": "MKT_BRAND_ACCENT_COLOR"}  # brand: tools/campaigns/email_design.py
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]{2,}$")


class SenderError(ValueError):
    """A sender value that cannot be used; the message says why."""


@dataclass
class Sender:
    name: str
    email: str
    postal_address: str
    source: dict[str, str] = field(default_factory=dict)  # setting -> environment, chat or default
    notes: list[str] = field(default_factory=list)

    @property
    def from_header(self) -> str:
        return formataddr((self.name, self.email)) if self.name else self.email


def _from_env(settings: Settings, name: str) -> bool:
    return name in settings.model_fields_set


def _stored(session: Session) -> dict[str, str]:
    return dict(session.execute(sa.select(AccountSetting.key, AccountSetting.value)
                                .where(AccountSetting.key.in_(tuple(ENV)))).all())


def apply_stored(session: Session, settings: Settings | None = None) -> Settings:
    """Put the stored sender values in force in this process (environment variables still win; a setting with no
    stored value goes back to its default)."""
    settings = settings or get_settings()
    stored = _stored(session)
    for name in ENV:
        if not _from_env(settings, name):
            # straight into the values: an assignment would mark the field as given (as if by the environment)
            settings.__dict__[name] = stored.get(name) or Settings.model_fields[name].default
    return settings


def current_sender(session: Session) -> Sender:
    """The sender in force, and where each value comes from."""
    settings = apply_stored(session)
    stored = _stored(session)
    name, email = parseaddr(settings.email_from)
    source = {k: "environment" if _from_env(settings, k) else ("chat" if stored.get(k) else "default") for k in ENV}
    return Sender(name, email, settings.sender_postal_address, source)


def show_sender(session: Session, actor: Actor) -> Sender:
    """The sender in force and where each value comes from, for someone allowed to run campaigns."""
    require(actor.role, Permission.CAMPAIGNS, "see the email sender")
    return current_sender(session)


def store_settings(session: Session, actor: Actor, changes: dict[str, str]) -> None:
    """Write account settings (key -> value) as `actor`, creating or updating each row."""
    for key, value in changes.items():
        row = session.get(AccountSetting, key)
        if row is None:
            session.add(AccountSetting(key=key, value=value, updated_by=actor.email))
        else:
            row.value, row.updated_by = value, actor.email
    session.flush()


def set_sender(session: Session, actor: Actor, *, name: str | None = None, email: str | None = None,
               postal_address: str | None = None) -> Sender:
    """Set the email sender's name, address and/or postal address (admins only). Stored in the database; an
    environment variable for the same value overrides it (the result's notes say so). Raises SenderError for an
    invalid address or an empty postal address."""
    require(actor.role, Permission.ADMIN, "set the email sender")
    now = current_sender(session)
    changes: dict[str, str] = {}
    if name is not None or email is not None:
        new_email = (email if email is not None else now.email).strip()
        if not _EMAIL.match(new_email):
            raise SenderError(f"{new_email!r} is not an email address")
        new_name = (name if name is not None else now.name).strip().replace("\n", " ")
        changes["email_from"] = formataddr((new_name, new_email)) if new_name else new_email
    if postal_address is not None:
        text = "\n".join(line.strip() for line in postal_address.strip().splitlines() if line.strip())
        if len(text) < 8:
            raise SenderError("give the full postal address (street, city, postal code): every email carries it")
        changes["sender_postal_address"] = text
    if not changes:
        raise SenderError("say what to set: the sender name, the sender email or the postal address")
    store_settings(session, actor, changes)
    result = current_sender(session)
    result.notes = [f"{ENV[k]} is set in the environment and overrides this" for k in changes
                    if result.source[k] == "environment"]
    return result
