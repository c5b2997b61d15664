"""A CSV import as a job over its `imports` row (outbox first): the row is written `queued` with everything the run
needs (the file's path, mapping, policy, region, size), then a run claims it (`running`, a runner token, a heartbeat)
and commits batch after batch, each batch's transaction also moving the row's counts, `done_line` (the last line of
the file now in the database) and heartbeat, under the runner's token only. A run cut short by a stopped process
leaves the row `running` with an old heartbeat: `sweep_stale` puts it back in the queue to resume after `done_line`
(a run that took the row over makes the old one's next batch roll back), or fails it plainly after MAX_ATTEMPTS
runs. The chat and the CLI follow a run through `progress_of` and read the outcome with `result_of`.
Runs themselves are tools.imports.importer.run_job (the actor imports.run, or run_import inline)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from db.models import Import, ImportError_, utcnow
from domain.roles import Permission, require
from tools.imports.batch import Counts
from tools.imports.results import ImportProgress, ImportResult, RowError
from tools.users import Actor

STALE_AFTER = timedelta(minutes=10)  # no batch committed for this long: the process running it stopped
MAX_ATTEMPTS = 3  # runs of one import (the first and two resumes) before the sweep fails it
FIRST_ERRORS = 20
FINISHED = ("done", "failed")


class ImportTakenOver(RuntimeError):
    """This run no longer holds the import (the sweep gave it to another run): its batch was rolled back."""


@dataclass(frozen=True)
class Claim:
    """An import claimed by a run: what the run needs from the row."""

    import_id: int
    runner: str
    path: str | None
    mapping: dict[str, str]
    policy: str
    region: str
    actor: str | None
    done_line: int
    bytes_total: int
    counts: Counts


def claim(session: Session, import_id: int) -> Claim | str:
    """Take a queued import for this run (status running, a new runner token, one more attempt, heartbeat now).
    Returns the claim, or why there is nothing to run (gone, already running, finished)."""
    token = uuid.uuid4().hex
    now = utcnow()
    taken = session.execute(sa.update(Import).where(Import.id == import_id, Import.status == "queued").values(
        status="running", runner=token, attempts=Import.attempts + 1, heartbeat_at=now, updated_at=now))
    record = session.get(Import, import_id)
    if record is None:
        return f"import #{import_id} is gone"
    if taken.rowcount != 1:
        return f"import #{import_id} is {record.status}, not queued: nothing to run"
    return Claim(import_id, token, record.path, dict(record.mapping or {}), record.policy, record.region or "",
                 record.created_by, record.done_line, record.bytes_total, counts_of(record))


def counts_of(record: Import) -> Counts:
    return Counts(rows=record.rows, created=record.created, updated=record.updated, unchanged=record.unchanged,
                  duplicates=record.duplicates, rejected=record.rejected, opted_out=record.opted_out,
                  probable_duplicates=record.probable_duplicates)


def save_batch(session: Session, import_id: int, runner: str | None, counts: Counts, line: int, done: int) -> None:
    """In a batch's transaction: the counts so far, the last line written, bytes read, heartbeat. Raises
    ImportTakenOver (the batch is rolled back) when `runner` no longer holds the import (None: no runner, the
    API's in-transaction import)."""
    now = utcnow()
    stmt = sa.update(Import).where(Import.id == import_id)
    if runner is not None:
        stmt = stmt.where(Import.runner == runner, Import.status == "running")
    moved = session.execute(stmt.values(
        rows=counts.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged,
        duplicates=counts.duplicates, rejected=counts.rejected, opted_out=counts.opted_out,
        probable_duplicates=counts.probable_duplicates, done_line=line, bytes_done=done, heartbeat_at=now,
        updated_at=now))
    if moved.rowcount != 1:
        raise ImportTakenOver(f"import #{import_id} was taken over by another run; this batch was not written")


def finish(session: Session, import_id: int, runner: str, status: str, error: str | None) -> bool:
    """End the run holding the import: done, or failed with `error`. False when it no longer holds it."""
    now = utcnow()
    ended = session.execute(sa.update(Import).where(Import.id == import_id, Import.runner == runner).values(
        status=status, error=error, finished_at=now, runner=None, heartbeat_at=now, updated_at=now))
    return ended.rowcount == 1


def stale_imports(session: Session, now: datetime | None = None, stale_after: timedelta = STALE_AFTER,
                  max_attempts: int = MAX_ATTEMPTS) -> list[int]:
    """The sweep: imports `running` whose heartbeat is older than `stale_after` (the process running them stopped)
    go back to `queued` to resume after their last committed batch, or are failed with the reason once they have
    had `max_attempts` runs (or have no file to resume from: rows from before imports were jobs); imports `queued` for that long (their message may be lost) are sent again.
    Returns the ids to send to imports.run."""
    now = now or utcnow()
    cutoff = now - stale_after
    old = sa.or_(Import.heartbeat_at < cutoff, sa.and_(Import.heartbeat_at.is_(None), Import.updated_at < cutoff))
    stale = session.scalars(sa.select(Import).where(Import.status == "running", old)
                            .order_by(Import.id).with_for_update(skip_locked=True)).all()
    again = []
    for record in stale:
        record.runner, record.heartbeat_at = None, now
        if record.path is None:  # from before imports were jobs: nothing to resume from
            record.status, record.finished_at = "failed", now
            record.error = (f"stopped before the end (the process running it was stopped); {record.rows:,} rows are "
                            "imported, the rest is not. Import the file again to finish: contacts already in are "
                            "matched, not duplicated")
        elif record.attempts >= max_attempts:
            record.status, record.finished_at = "failed", now
            record.error = (f"stopped {record.attempts} times before the end (the process running it was stopped or "
                            f"restarted); lines up to {record.done_line:,} are imported, the rest is not. Import the "
                            "file again to finish: contacts already in are matched, not duplicated")
        else:
            record.status = "queued"
            again.append(record.id)
    session.flush()
    lost = [i for i in session.scalars(sa.select(Import.id).where(
        Import.status == "queued", Import.updated_at < cutoff, Import.path.is_not(None))).all() if i not in again]
    if lost:  # sent again at most once per `stale_after` while it waits (behind a long import, say)
        session.execute(sa.update(Import).where(Import.id.in_(lost)).values(updated_at=now))
    return again + lost


def progress_of(session: Session, import_id: int) -> tuple[str, ImportProgress, str | None]:
    """(status, progress, error) of an import, read from its row (what a run has committed so far)."""
    record = session.get(Import, import_id)
    if record is None:
        raise LookupError(f"no import #{import_id}")
    progress = ImportProgress(import_id, record.rows, record.bytes_done, record.bytes_total, counts_of(record))
    return record.status, progress, record.error


def first_errors(session: Session, import_id: int, limit: int = FIRST_ERRORS) -> list[RowError]:
    stmt = sa.select(ImportError_).where(ImportError_.import_id == import_id).order_by(
        ImportError_.line, ImportError_.id).limit(limit)
    return [RowError(e.line, e.column, e.reason, e.value, e.rejected) for e in session.scalars(stmt)]


def stored_errors(session: Session, import_id: int) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ImportError_)
                          .where(ImportError_.import_id == import_id)) or 0


def result_of(session: Session, import_id: int, warnings: list[str] | None = None) -> ImportResult:
    """An import's result from its row and its first problems (what the chat shows once the job has ended)."""
    record = session.get(Import, import_id)
    if record is None:
        raise LookupError(f"no import #{import_id}")
    c = counts_of(record)
    warnings = list(warnings or [])
    if c.rows == 0 and record.status == "done":
        warnings.append("no data rows: nothing was imported")
    return ImportResult(import_id, c.rows, c.created, c.updated, c.unchanged, c.duplicates, c.rejected,
                        first_errors(session, import_id), record.status, warnings, record.encoding, record.delimiter,
                        c.opted_out, c.probable_duplicates)


@dataclass(frozen=True)
class ImportStatus:
    import_id: int
    filename: str
    status: str  # queued, running, done, failed
    rows: int
    created: int
    rejected: int
    done_line: int  # the last line in the database
    attempts: int  # runs started (more than 1: resumed)
    error: str | None
    created_at: datetime


def recent_imports(session: Session, actor: Actor, *, limit: int = 20,
                   import_id: int | None = None) -> list[ImportStatus]:
    """The `limit` latest imports, newest first, with where each stands (queued, running, done, failed and why,
    resumed runs); with `import_id`, that import alone (an empty list when there is none). Needs contacts:read."""
    require(actor.role, Permission.CONTACTS_READ, "read imports")
    query = sa.select(Import).order_by(Import.id.desc()).limit(limit)
    if import_id is not None:
        query = query.where(Import.id == import_id)
    return [ImportStatus(r.id, r.filename, r.status, r.rows, r.created, r.rejected, r.done_line, r.attempts, r.error,
                         r.created_at) for r in session.scalars(query)]
