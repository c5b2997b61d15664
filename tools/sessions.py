"""Chat login tokens ended by logout: stored by their sha256 until they would have expired anyway."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import RevokedSession, utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_token(session: Session, token: str, expires_at: datetime) -> None:
    """Refuse `token` from now until `expires_at` (idempotent); expired revocations are swept on the way."""
    now = utcnow()
    session.execute(sa.delete(RevokedSession).where(RevokedSession.expires_at < now))
    digest = token_hash(token)
    if session.get(RevokedSession, digest) is None:
        session.add(RevokedSession(token_hash=digest, revoked_at=now, expires_at=expires_at))
    session.flush()


def is_revoked(session: Session, digest: str) -> bool:
    return session.get(RevokedSession, digest) is not None
