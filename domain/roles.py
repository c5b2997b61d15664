"""Who may do what. Each tool declares the permission it needs; a role holds a set of permissions.

- reviewer: read contacts, review enrichment.
- marketer: everything but administration (users, API keys).
- admin: everything.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MARKETER = "marketer"
    REVIEWER = "reviewer"


class Permission(StrEnum):
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    ENRICHMENT_REVIEW = "enrichment:review"
    ENRICHMENT_RUN = "enrichment:run"
    CAMPAIGNS = "campaigns"
    INBOX = "inbox"
    ADS = "ads"
    ANALYTICS = "analytics"
    ADMIN = "admin"


_REVIEWER = {Permission.CONTACTS_READ, Permission.ENRICHMENT_REVIEW}
_MARKETER = set(Permission) - {Permission.ADMIN}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REVIEWER: frozenset(_REVIEWER),
    Role.MARKETER: frozenset(_MARKETER),
    Role.ADMIN: frozenset(Permission),
}


class PermissionDenied(Exception):
    """Raised when a role lacks a permission; the message says which and why."""


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ValueError(f"unknown role {value!r}: use one of {', '.join(r.value for r in Role)}") from None


def can(role: str | Role, permission: Permission) -> bool:
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def require(role: str | Role, permission: Permission, action: str = "") -> None:
    if not can(role, permission):
        what = f" to {action}" if action else ""
        raise PermissionDenied(f"your role ({role}) does not allow{what}: it needs the '{permission.value}' permission")
