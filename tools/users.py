"""Users: create, authenticate, bootstrap the first admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from db.models import User, utcnow
from domain.roles import Role, parse_role

_hasher = PasswordHasher()
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Actor:
    """The person (or system) on whose behalf a tool runs."""

    email: str
    role: Role
    user_id: int | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(email=name, role=Role.ADMIN)


class UserError(ValueError):
    pass


def normalise_login(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise UserError(f"not a valid email address: {email!r} ({exc})") from None


def create_user(session: Session, email: str, password: str, role: str, name: str = "") -> User:
    email = normalise_login(email)
    parsed = parse_role(role)
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    if session.scalar(sa.select(User.id).where(User.email == email)):
        raise UserError(f"a user with email {email} already exists")
    user = User(email=email, name=name, password_hash=_hasher.hash(password), role=parsed.value)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Same work whether or not the user exists."""
    try:
        email = normalise_login(email)
    except UserError:
        return None
    user = session.scalar(sa.select(User).where(User.email == email, User.is_active.is_(True)))
    stored = user.password_hash if user else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    user.last_login_at = utcnow()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def ensure_admin(session: Session, email: str = "", password: str = "") -> tuple[str, str] | None:
    """Create the first admin when there are no users. Returns (email, one-time password) when a password
    was generated, so the caller can print it once; None when nothing was generated."""
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    email = email or "admin@example.com"
    generated = not password
    password = password or secrets.token_urlsafe(12)
    create_user(session, email, password, Role.ADMIN.value, name="Administrator")
    return (normalise_login(email), password) if generated else None


def list_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).order_by(User.id)))


_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
