"""Follow-up sequences: ordered steps (each sends through a campaign of its own, so the campaigns' send path and
send rules apply unchanged) and enrolments (one contact's way through one sequence)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Timestamps


class Sequence(Timestamps, Base):
    __tablename__ = "sequences"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")  # draft, running, paused, completed, cancelled
    target_filter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enrol_new: Mapped[bool] = mapped_column(default=False)  # also enrol contacts who match later
    exit_rules: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"exit_on": [...], "goal": ...}
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(sa.String(320))
    launched_at: Mapped[datetime | None]


class SequenceStep(Base):
    """Step `position` (0-based) of a sequence: its wait and condition; its message is the campaign `campaign_id`."""

    __tablename__ = "sequence_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    position: Mapped[int]
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True)
    wait: Mapped[dict[str, Any]] = mapped_column(default=dict)
    condition: Mapped[str] = mapped_column(sa.String(20), default="always")

    __table_args__ = (sa.UniqueConstraint("sequence_id", "position"),)


class SequenceEnrolment(Timestamps, Base):
    """One contact in one sequence. `position` is the next step to go out and `next_due_at` when; a step goes out
    only by moving `position` on from the value read (compare and set) while the enrolment is active, so two workers
    never both send it. At most one active enrolment per contact and sequence."""

    __tablename__ = "sequence_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")  # active, completed, exited
    position: Mapped[int] = mapped_column(default=0)
    next_due_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime]
    last_step_at: Mapped[datetime | None]
    exited_at: Mapped[datetime | None]
    exit_reason: Mapped[str | None] = mapped_column(sa.String(40))  # domain.sequences.EXIT_REASONS

    __table_args__ = (
        sa.Index("ix_sequence_enrolments_status_due", "status", "next_due_at"),
        sa.Index("ix_sequence_enrolments_sequence_status", "sequence_id", "status"),
        sa.Index("uq_sequence_enrolments_active", "sequence_id", "contact_id", unique=True,
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
    )
