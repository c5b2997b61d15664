"""An import's row-level error report: the first problems by line, or the whole report as a CSV file."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Import, ImportError_
from domain.csv_safety import safe_row
from domain.roles import Permission, require
from tools.imports.results import ImportRequestError, RowError
from tools.users import Actor


def list_import_errors(session: Session, actor: Actor, import_id: int, *, limit: int = 50) -> list[RowError]:
    """The first `limit` problems of an import, by line. Needs contacts:read."""
    require(actor.role, Permission.CONTACTS_READ, "read import reports")
    stmt = sa.select(ImportError_).where(ImportError_.import_id == import_id).order_by(ImportError_.line,
                                                                                        ImportError_.id).limit(limit)
    return [RowError(e.line, e.column, e.reason, e.value, e.rejected) for e in session.scalars(stmt)]


def export_import_errors(session: Session, actor: Actor, import_id: int, path: str | Path) -> int:
    """Write an import's row-level error report to a CSV file (line, column, reason, value, rejected), for
    download from the chat. Cells that a spreadsheet would run as formulas are neutralised. Returns the row
    count. Needs contacts:read."""
    require(actor.role, Permission.CONTACTS_READ, "read import reports")
    if session.get(Import, import_id) is None:
        raise ImportRequestError(f"no import #{import_id}")
    stmt = (sa.select(ImportError_).where(ImportError_.import_id == import_id)
            .order_by(ImportError_.line, ImportError_.id).execution_options(yield_per=5000))
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "column", "reason", "value", "rejected"])
        for e in session.scalars(stmt):
            writer.writerow(safe_row([e.line, e.column, e.reason, e.value, "yes" if e.rejected else "no"]))
            count += 1
    return count
