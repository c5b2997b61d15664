"""One batch of an import against the database: match rows to existing contacts (one IN query per 1,000
emails/phones), apply the merge policy, keep suppressions, insert the new contacts in bulk, record field
changes and the row-level error report. Flushes; the caller commits (one transaction per batch)."""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from psycopg import sql as pgsql
from psycopg.rows import dict_row
from sqlalchemy.orm import Session

from db.models import Contact, ContactEvent, ImportError_, Suppression, utcnow
from db.models.contacts import folded_values
from domain.imports import SCALARS, merge
from tools.contacts.history import history_text
from tools.imports.wire import COPY_OPTIONS, ROW_FIELDS, OptOut, Packed, Row, copy_text_value, unpack

MAX_STORED_ERRORS = 100_000
_IN_CHUNK = 5000
_COLUMNS = (Contact.id, *(getattr(Contact, n) for n in SCALARS), Contact.tags, Contact.attributes,
            Contact.opted_out_sms, Contact.opted_out_email)


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    opted_out: int = 0  # rows whose consent or opt-out columns opted their address out
    probable_duplicates: int = 0  # new contacts sharing a phone with another contact (other email)

    def add(self, other: Counts) -> None:
        """Add another batch's counts to these."""
        for name in ("rows", "created", "updated", "unchanged", "duplicates", "rejected", "opted_out",
                     "probable_duplicates"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Prepared:
    """A batch after normalisation and de-duplication within the file (no database work yet)."""

    rows: list[Row] = field(default_factory=list)  # (line, email, phone, COPY text): see tools.imports.wire
    errors: list[dict[str, Any]] = field(default_factory=list)  # import_errors rows without import_id
    counts: Counts = field(default_factory=Counts)
    optouts: list[OptOut] = field(default_factory=list)  # every row's, duplicates' too: an opt-out is never lost
    found: list[dict[str, Any]] = field(default_factory=list)  # report rows apply_batch found in the database
    twins: set[int] = field(default_factory=set)  # lines with the phone of an earlier row of the file, other email

    @property
    def all_errors(self) -> list[dict[str, Any]]:
        return self.errors + self.found if self.found else self.errors


class FileDedup:
    """Addresses already seen in this file (hashes: 1M rows stay well under 200 MB)."""

    def __init__(self) -> None:
        self.emails: set[int] = set()
        self.phones: set[int] = set()

    def prepare(self, packed: Packed) -> Prepared:
        """Count and report rejected rows and rows whose email (else phone) came earlier in the file."""
        batch = Prepared(counts=Counts(rows=packed.read, rejected=packed.rejected), optouts=packed.optouts)
        batch.errors = [dict(zip(_ERROR_KEYS, e, strict=True)) for e in packed.errors]
        emails, phones = self.emails, self.phones
        for row in packed.rows:
            line, email, phone, _ = row
            if email:
                seen = hash(email) in emails
            else:
                seen = phone is not None and hash(phone) in phones
            if seen:
                batch.counts.duplicates += 1
                which = "email" if email else "phone"
                batch.errors.append({"line": line, "column": which, "reason": f"duplicate of an earlier row in this "
                                     f"file (same {which}); not imported again", "value": email or phone,
                                     "rejected": False})
                continue
            if email:
                emails.add(hash(email))
            if phone:
                key = hash(phone)
                if email and key in phones:
                    batch.twins.add(line)  # same phone as an earlier row, other email: apply_batch reports it
                phones.add(key)
            batch.rows.append(row)
        return batch


def _probable(line: int, phone: str, whom: str) -> dict[str, Any]:
    """The report row of a probable duplicate: imported as a new contact, worth a look (and maybe a merge)."""
    return {"line": line, "column": "phone", "value": phone, "rejected": False,
            "reason": f"probable duplicate of {whom}: same phone, other email; imported as a new contact (merge them "
                      "with 'merge contact A into B' if they are one person)"}


def apply_batch(session: Session, batch: Prepared, *, import_id: int, policy: str, actor: str | None,
                source: str, stored_errors: int) -> Counts:
    """Write one prepared batch; returns its counts (rows, created, updated, unchanged, duplicates, rejected)."""
    counts = Counts(rows=batch.counts.rows, duplicates=batch.counts.duplicates, rejected=batch.counts.rejected)
    by_email, by_phone = _existing(session, batch.rows)
    blocked_email = _suppressed(session, "email", [r[1] for r in batch.rows if r[1]])
    blocked_sms = _suppressed(session, "sms", [r[2] for r in batch.rows if r[2]])
    copy_rows = session.get_bind().dialect.name == "postgresql"
    now = utcnow()
    found_here: list[dict[str, Any]] = []  # report rows found against the database (set anew on a retry)
    texts, inserts, updates, events = [], [], [], []
    for line, email, phone, text in batch.rows:
        found = _match(email, phone, by_email, by_phone)
        if found is None:
            twin = by_phone.get(phone) if phone and email else None
            if twin is not None and twin["email"] and twin["email"] != email:
                found_here.append(_probable(line, phone, f"contact #{twin['id']} ({twin['email']})"))
            elif line in batch.twins:
                found_here.append(_probable(line, phone, "an earlier row in this file"))
            if copy_rows and email not in blocked_email and phone not in blocked_sms:
                texts.append(text)  # the common case: written by COPY as the worker packed it
            else:
                inserts.append(_new_row(unpack(text), source, import_id, now, blocked_email, blocked_sms))
            continue
        contact = unpack(text)
        changes = merge(found, contact, policy)
        changes.update(_suppression_changes(found, contact, blocked_email, blocked_sms, now))
        if not changes:
            counts.unchanged += 1
            continue
        counts.updated += 1
        events += _change_events(found, changes, import_id, actor, now)
        events.append(_imported(found["id"], "updated", import_id, actor, now))
        found.update(changes)
        for key in ("email", "phone"):
            if changes.get(key):
                (by_email if key == "email" else by_phone)[changes[key]] = found
        updates.append({"id": found["id"], **changes, **folded_values(changes), "updated_at": now})
    counts.created = len(texts) + len(inserts)
    if texts:  # no history row for a new contact: contacts.import_id says which import created it
        _copy_new_contacts(session, texts, source, import_id, now)
    if inserts:
        bulk_insert(session, Contact.__table__, inserts)
    if updates:
        session.execute(sa.update(Contact), updates)
    if events:
        bulk_insert(session, ContactEvent.__table__, events)
    batch.found = found_here
    counts.probable_duplicates = len(found_here)
    errors = batch.all_errors
    room = MAX_STORED_ERRORS - stored_errors
    if errors and room > 0:
        bulk_insert(session, ImportError_.__table__, [{**e, "import_id": import_id} for e in errors[:room]])
    session.flush()
    counts.opted_out = _apply_optouts(session, batch.optouts, actor)
    return counts


def _apply_optouts(session: Session, optouts: list[OptOut], actor: str | None) -> int:
    """Opt the addresses of rows whose consent columns said no out, through the suppression list (they stay out
    whatever a later file says). Rare rows: one opt_out per address and channel. Returns the rows opted out."""
    from tools.contacts.optouts import opt_out

    for _line, email, phone, channels in optouts:
        for channel, why in channels:
            address = email if channel == "email" else phone
            if address:
                opt_out(session, channel, address, reason="opt_out", source="import", actor=actor, note=why)
    return len(optouts)


_ERROR_KEYS = ("line", "column", "reason", "value", "rejected")
_NEW_CONTACT_COLUMNS = (*ROW_FIELDS, "source", "enrichment_status", "email_status", "is_sample", "opted_out_email",
                        "opted_out_sms", "import_id", "created_at", "updated_at")


def _copy_new_contacts(session: Session, texts: list[str], source: str, import_id: int, now: datetime) -> None:
    """COPY new contacts (none of them suppressed) from their packed text plus the columns every one shares."""
    stamp = now.isoformat()
    tail = "\t" + "\t".join([copy_text_value(source), "none", "ok", "f", "f", "f", str(import_id), stamp, stamp]) + "\n"
    query = pgsql.SQL("COPY contacts ({}) FROM STDIN WITH " + COPY_OPTIONS).format(
        pgsql.SQL(", ").join(pgsql.Identifier(n) for n in _NEW_CONTACT_COLUMNS))
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        with cursor.copy(query) as copy:
            copy.write(tail.join(texts) + tail)
    finally:
        cursor.close()


def bulk_insert(session: Session, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows (all with the same keys). PostgreSQL: COPY; elsewhere an executemany."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    json_columns = [i for i, n in enumerate(names) if isinstance(table.c[n].type, sa.JSON)]
    pick = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    query = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
        pgsql.Identifier(table.name), pgsql.SQL(", ").join(pgsql.Identifier(n) for n in names))
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        with cursor.copy(query) as copy:
            for row in rows:
                values = list(pick(row))
                for i in json_columns:
                    if values[i] is not None:
                        values[i] = json.dumps(values[i], ensure_ascii=False)
                copy.write_row(values)
    finally:
        cursor.close()


def _select_in(session: Session, columns: tuple[Any, ...], where: dict[str, str], column: Any,
               values: list[str]) -> list[dict[str, Any]]:
    """Rows (as dicts of `columns`) whose `column` is one of `values` and that equal `where`, by id. PostgreSQL:
    one array parameter (= ANY) through the driver, without SQLAlchemy's per-item array processing; elsewhere
    a plain IN list, in chunks."""
    table = column.table
    if session.get_bind().dialect.name == "postgresql":
        query = pgsql.SQL("SELECT {} FROM {} WHERE {} = ANY(%s){} ORDER BY id").format(
            pgsql.SQL(", ").join(pgsql.Identifier(c.key) for c in columns), pgsql.Identifier(table.name),
            pgsql.Identifier(column.key),
            pgsql.SQL("").join(pgsql.SQL(" AND {} = %s").format(pgsql.Identifier(k)) for k in where))
        cursor = session.connection().connection.driver_connection.cursor(row_factory=dict_row)
        try:
            return cursor.execute(query, (values, *where.values())).fetchall()
        finally:
            cursor.close()
    out: list[dict[str, Any]] = []
    for start in range(0, len(values), _IN_CHUNK):
        stmt = sa.select(*columns).where(column.in_(values[start:start + _IN_CHUNK]),
                                         *(table.c[k] == v for k, v in where.items())).order_by(table.c.id)
        out += [dict(row) for row in session.execute(stmt).mappings()]
    return out


def _suppressed(session: Session, channel: str, addresses: list[str]) -> set[str]:
    if not addresses:
        return set()
    rows = _select_in(session, (Suppression.address,), {"channel": channel}, Suppression.address, addresses)
    return {r["address"] for r in rows}


def _existing(session: Session, rows: list[Row]) -> tuple[dict[str, dict], dict[str, dict]]:
    emails = list({r[1] for r in rows if r[1]})
    phones = list({r[2] for r in rows if r[2]})
    by_email: dict[str, dict[str, Any]] = {}
    by_phone: dict[str, dict[str, Any]] = {}
    found: dict[int, dict[str, Any]] = {}
    for column, values in ((Contact.email, emails), (Contact.phone, phones)):
        if not values:
            continue
        for row in _select_in(session, _COLUMNS, {}, column, values):
            record = found.setdefault(row["id"], row)
            if record["email"]:
                by_email.setdefault(record["email"], record)
            if record["phone"]:
                by_phone.setdefault(record["phone"], record)
    return by_email, by_phone


def _match(email: str | None, phone: str | None, by_email: dict[str, dict],
           by_phone: dict[str, dict]) -> dict[str, Any] | None:
    """Same email; else same phone, unless both have an email and the emails differ (two people)."""
    if email and email in by_email:
        return by_email[email]
    found = by_phone.get(phone) if phone else None
    if found and (not email or not found["email"]):
        return found
    return None


def _new_row(contact: dict[str, Any], source: str, import_id: int, now: Any, blocked_email: set[str],
             blocked_sms: set[str]) -> dict[str, Any]:
    row = {name: contact.get(name) for name in SCALARS}
    row.update(folded_values(row))
    email_out = bool(contact.get("email")) and contact["email"] in blocked_email
    sms_out = bool(contact.get("phone")) and contact["phone"] in blocked_sms
    row.update(tags=contact.get("tags") or [], attributes=contact.get("attributes") or {}, source=source,
               enrichment_status="none", email_status="ok", is_sample=False, created_at=now, updated_at=now,
               opted_out_email=email_out, opted_out_email_at=now if email_out else None,
               opted_out_email_reason="suppressed address" if email_out else None,
               opted_out_sms=sms_out, opted_out_sms_at=now if sms_out else None,
               opted_out_sms_reason="suppressed address" if sms_out else None, chatwoot_contact_id=None,
               import_id=import_id)
    return row


def _suppression_changes(found: dict[str, Any], contact: dict[str, Any], blocked_email: set[str],
                         blocked_sms: set[str], now: Any) -> dict[str, Any]:
    """Suppressions win: a matched contact whose address is suppressed ends opted out, whatever the file says."""
    changes: dict[str, Any] = {}
    email = found.get("email") or contact.get("email")
    phone = found.get("phone") or contact.get("phone")
    if email in blocked_email and not found["opted_out_email"]:
        changes.update(opted_out_email=True, opted_out_email_at=now, opted_out_email_reason="suppressed address")
    if phone in blocked_sms and not found["opted_out_sms"]:
        changes.update(opted_out_sms=True, opted_out_sms_at=now, opted_out_sms_reason="suppressed address")
    return changes


def _change_events(found: dict[str, Any], changes: dict[str, Any], import_id: int, actor: str | None,
                   now: Any) -> list[dict[str, Any]]:
    events = []
    for name, value in changes.items():
        if name.endswith(("_at", "_reason")):
            continue
        events.append({"contact_id": found["id"], "kind": "field_changed", "field": name,
                       "before": history_text(found.get(name)), "after": history_text(value), "source": "import", "actor": actor,
                       "data": {"import_id": import_id}, "occurred_at": now})
    return events


def _imported(contact_id: int, result: str, import_id: int, actor: str | None, now: Any) -> dict[str, Any]:
    return {"contact_id": contact_id, "kind": "imported", "field": None, "before": None, "after": None,
            "source": "import", "actor": actor, "data": {"import_id": import_id, "result": result}, "occurred_at": now}
