"""Contacts, their change history, suppressions and imports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from db.models.base import Base, Timestamps, utcnow
from domain.folding import FOLDED_FIELDS as FOLDED
from domain.folding import fold_key

# FOLDED: text columns filtered accent- and case-insensitively through a stored folded copy (db/filters.py), so
# that "city = Montreal" is an index look-up: column -> its folded column. Every write path keeps them in step: ORM
# attribute sets (Contact.validates below), Core inserts that leave them out (the column default), and the paths
# that bypass both, which add `folded_values(...)` themselves (the import's bulk update) or fold in the COPY text
# (tools.imports.wire).


def folded_values(values: dict[str, Any]) -> dict[str, str | None]:
    """The folded columns for the FOLDED columns present in `values` (a row or a set of changes)."""
    return {FOLDED[name]: fold_key(value) for name, value in values.items() if name in FOLDED}


def _folded_default(source: str) -> Any:
    def default(context: Any) -> str | None:
        return fold_key(context.get_current_parameters().get(source))
    return default


class Contact(Timestamps, Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), unique=True)  # normalised (lower-case)
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)  # E.164
    phone_ext: Mapped[str | None] = mapped_column(sa.String(20))
    first_name: Mapped[str | None] = mapped_column(sa.String(200))
    last_name: Mapped[str | None] = mapped_column(sa.String(200))
    company: Mapped[str | None] = mapped_column(sa.String(300))
    job_title: Mapped[str | None] = mapped_column(sa.String(300))
    website: Mapped[str | None] = mapped_column(sa.String(500))
    domain: Mapped[str | None] = mapped_column(sa.String(253), index=True)
    city: Mapped[str | None] = mapped_column(sa.String(200))
    region: Mapped[str | None] = mapped_column(sa.String(200))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(2))  # ISO 3166-1 alpha-2
    timezone: Mapped[str | None] = mapped_column(sa.String(64))  # IANA name
    tags: Mapped[list[Any]] = mapped_column(default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(sa.String(40), default="manual")  # import, chat, api, chatwoot, calcom, sample
    # the import that created this contact (imports.id), instead of an "imported" history row per new contact:
    # no foreign key, so a bulk COPY of new contacts pays no per-row check (import rows are never deleted)
    import_id: Mapped[int | None]
    enrichment_status: Mapped[str] = mapped_column(sa.String(20), default="none", index=True)
    opted_out_sms: Mapped[bool] = mapped_column(default=False)
    opted_out_sms_at: Mapped[datetime | None]
    opted_out_sms_reason: Mapped[str | None] = mapped_column(sa.String(200))
    opted_out_email: Mapped[bool] = mapped_column(default=False)
    opted_out_email_at: Mapped[datetime | None]
    opted_out_email_reason: Mapped[str | None] = mapped_column(sa.String(200))
    email_status: Mapped[str] = mapped_column(sa.String(20), default="ok")  # ok, bounced, complained
    chatwoot_contact_id: Mapped[int | None] = mapped_column(index=True)
    is_sample: Mapped[bool] = mapped_column(default=False)
    # fold_key(city/region/company): what the filters compare and index (FOLDED above; migration 0009)
    city_folded: Mapped[str | None] = mapped_column(sa.String(200), default=_folded_default("city"))
    region_folded: Mapped[str | None] = mapped_column(sa.String(200), default=_folded_default("region"))
    company_folded: Mapped[str | None] = mapped_column(sa.String(300), default=_folded_default("company"))

    __table_args__ = (
        sa.Index("ix_contacts_created_at", "created_at"),  # new contacts per day (0002_analytics)
        # "tags has" filters: JSONB containment (@>) on PostgreSQL (0002_contacts)
        sa.Index("ix_contacts_tags", "tags", postgresql_using="gin"),
        # accent- and case-insensitive filters on the columns people filter by (db/filters.py, 0009)
        sa.Index("ix_contacts_city_folded", "city_folded"),
        sa.Index("ix_contacts_region_folded", "region_folded"),
        sa.Index("ix_contacts_company_folded", "company_folded"),
        # the chat's "without email" and "opted out" filters: partial indexes over the few rows they match, so a
        # count is an index-only scan and the newest page a short backward walk (bench/RESULTS.md ## scale)
        sa.Index("ix_contacts_without_email", "created_at", postgresql_where=sa.text("email IS NULL OR email = ''"),
                 sqlite_where=sa.text("email IS NULL OR email = ''")),
        sa.Index("ix_contacts_opted_out", "created_at",
                 postgresql_where=sa.text("opted_out_sms IS true OR opted_out_email IS true"),
                 sqlite_where=sa.text("opted_out_sms IS 1 OR opted_out_email IS 1")),
    )

    @validates(*FOLDED)
    def _keep_folded(self, name: str, value: Any) -> Any:
        setattr(self, FOLDED[name], fold_key(value))
        return value


class ContactEvent(Base):
    """One entry of a contact's history that no other table holds: edits (before/after), opt-outs and
    opt-ins, imports, enrichment applied (with its citation)."""

    __tablename__ = "contact_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))  # field_changed, opted_out, opted_in, imported, enriched, created
    field: Mapped[str | None] = mapped_column(sa.String(100))
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(40))  # chat, import, api, enrichment, sms_keyword, webhook, bounce
    actor: Mapped[str | None] = mapped_column(sa.String(320))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.Index("ix_contact_events_contact_time", "contact_id", "occurred_at"),
        sa.Index("ix_contact_events_kind_time", "kind", "occurred_at"),  # opt-outs per day (0002_analytics)
    )


class Suppression(Base):
    """An address that must not be messaged on a channel, whatever any file or contact says."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(10))  # sms, email
    address: Mapped[str] = mapped_column(sa.String(320))  # normalised email or E.164
    reason: Mapped[str] = mapped_column(sa.String(40))  # opt_out, hard_bounce, complaint, manual
    source: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("channel", "address"),)


class Import(Timestamps, Base):
    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(20), default="queued")  # queued, running, done, failed
    policy: Mapped[str] = mapped_column(sa.String(20), default="fill")
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    encoding: Mapped[str | None] = mapped_column(sa.String(40))
    delimiter: Mapped[str | None] = mapped_column(sa.String(4))
    rows: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str | None] = mapped_column(sa.String(320))
    finished_at: Mapped[datetime | None]
    # the job over this row (tools/imports/job.py): its file, where it stands, the run that holds it
    path: Mapped[str | None] = mapped_column(sa.String(1000))  # the CSV file (var/uploads for the chat)
    region: Mapped[str | None] = mapped_column(sa.String(8))  # for phones without +country
    done_line: Mapped[int] = mapped_column(default=0)  # last line of the last committed batch: a resume starts after
    bytes_done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # the file's size when queued
    opted_out: Mapped[int] = mapped_column(default=0)
    probable_duplicates: Mapped[int] = mapped_column(default=0)
    runner: Mapped[str | None] = mapped_column(sa.String(64))  # the run holding it: a batch commits only under it
    attempts: Mapped[int] = mapped_column(default=0)  # runs started (a resume is one more)
    heartbeat_at: Mapped[datetime | None]  # the last batch committed (or the start): the sweep finds stale runs


class ImportError_(Base):
    """One problem with one line of an import (the row-level error report)."""

    __tablename__ = "import_errors"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("imports.id", ondelete="CASCADE"), index=True)
    line: Mapped[int]
    column: Mapped[str | None] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.String(500))
    value: Mapped[str | None] = mapped_column(sa.Text)
    rejected: Mapped[bool] = mapped_column(default=True)  # False: the row imported, one field was dropped
