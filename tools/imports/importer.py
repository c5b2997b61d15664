"""CSV import of contacts (chat upload, CLI, n8n API) and its row-level error report.

`inspect_csv` reads the start of a file and proposes a column mapping (nothing is written): the chat shows it
and asks for confirmation. `run_import` then streams the whole file in batches, one transaction per batch
(so it opens its own units of work: call it from a worker thread, never on the event loop), and records an
`imports` row with counts and an `import_errors` row per problem (line, column, reason).
`import_rows` applies the same rules to rows given as dicts (the API), inside the caller's transaction."""

from __future__ import annotations

import csv
import json
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from psycopg.errors import UniqueViolation
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db.models import Import, ImportError_, utcnow
from db.session import unit_of_work
from domain.csv_safety import safe_row
from domain.imports import (
    POLICIES,
    Mapping,
    apply_overrides,
    build_plan,
    header_key,
    normalise_records,
    normalise_row,
    propose_mapping,
)
from domain.roles import Permission, require
from settings import get_settings
from tools.imports.batch import MAX_STORED_ERRORS, Counts, FileDedup, Prepared, apply_batch
from tools.imports.csv_files import FileFormat, ImportFileError, detect_format, read_records
from tools.imports.wire import Packed, pack
from tools.imports.worker import worker_pool
from tools.users import Actor

__all__ = ["CsvPreview", "ImportFileError", "ImportProgress", "ImportRequestError", "ImportResult", "RowError",
           "export_import_errors", "import_rows", "inspect_csv", "list_import_errors", "run_import"]

BATCH_SIZE = 5000
PARALLEL_FROM_BYTES = 1_500_000  # about 10,000 rows
MAX_WORKERS = 2
SAMPLE_ROWS = 5
FIRST_ERRORS = 20


@dataclass(frozen=True)
class CsvPreview:
    encoding: str  # what a person calls it: "UTF-8", "UTF-16", "Windows-1252 / Latin-1"
    delimiter: str
    headers: list[str]
    mapping: dict[str, str]  # column -> field ("email", ..., "ignore", "attributes.<key>")
    sample_rows: list[dict[str, str]]
    warnings: list[str]
    size_bytes: int = 0


@dataclass(frozen=True)
class RowError:
    line: int
    column: str | None
    reason: str
    value: str | None
    rejected: bool  # False: the row was imported (or was a duplicate) and this one cell was dropped


@dataclass(frozen=True)
class ImportResult:
    import_id: int
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    errors: list[RowError]  # the first ones; the whole report: export_import_errors
    status: str = "done"  # done, failed
    warnings: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    opted_out: int = 0  # rows opted out by a consent or opt-out column (suppressed, reported when unclear)
    probable_duplicates: int = 0  # new contacts with the phone of another contact and another email (reported)


@dataclass(frozen=True)
class ImportProgress:
    import_id: int
    rows: int
    bytes_read: int
    bytes_total: int
    counts: Counts

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_read / self.bytes_total) if self.bytes_total else 1.0

    def __str__(self) -> str:
        return f"{self.rows:,}"


class ImportRequestError(ValueError):
    """An import that cannot start (bad policy, rows that are not objects, unknown import)."""


def inspect_csv(path: str | Path, mapping: dict[str, str] | None = None) -> CsvPreview:
    """Look at a CSV file without writing anything: its encoding and delimiter, the headers, the proposed
    mapping of each column to a contact field (headers in English, French, Spanish, German, Portuguese or
    Italian; unknown columns go to attributes) with `mapping`'s changes ({"Column": "field"}) applied, the first
    5 rows and warnings (no email/phone column, header only, ragged first rows). Raises ImportFileError (a
    ValueError) with a clear reason for an empty, binary or undecodable file, ValueError for a bad change."""
    fmt = detect_format(path)
    headers, samples, warnings = _head(path, fmt)
    mapping = apply_overrides(propose_mapping(headers), mapping) if mapping else propose_mapping(headers)
    names = list(mapping.columns)
    rows = [dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=False)) for cells in samples]
    return CsvPreview(fmt.label, fmt.delimiter, headers, dict(mapping.columns), rows, mapping.warnings + warnings,
                      Path(path).stat().st_size)


def _head(path: str | Path, fmt: FileFormat) -> tuple[list[str], list[list[str]], list[str]]:
    headers: list[str] | None = None
    samples: list[list[str]] = []
    warnings: list[str] = []
    for line, cells, error, _ in read_records(path, fmt):
        if error:
            warnings.append(f"line {line}: {error}")
            continue
        assert cells is not None
        if headers is None:
            headers = [c.strip() for c in cells]
            continue
        if len(cells) != len(headers):
            warnings.append(f"line {line} has {len(cells)} cells, the header has {len(headers)}")
        samples.append(cells)
        if len(samples) >= SAMPLE_ROWS:
            break
    if headers is None:
        raise ImportFileError("the file has no header row")
    if not samples:
        warnings.append("the file has a header but no data rows")
    return headers, samples, warnings


def run_import(path: str | Path, *, actor: Actor, mapping: dict[str, str] | None = None, policy: str = "fill",
               progress: Callable[[ImportProgress], None] | None = None, default_region: str | None = None,
               filename: str | None = None, batch_size: int = BATCH_SIZE, engine: Engine | None = None) -> ImportResult:
    """Import contacts from a CSV file. `mapping` overrides the proposed mapping ({"Column": "field"}, as
    confirmed in the chat or given with --map). `policy` for contacts that already exist (same email, else same
    phone): "fill" blank fields (default), "overwrite" with the file's values, "skip" them. Suppressed
    addresses stay opted out. One transaction per batch of 5,000 rows; `progress` is called after each.
    Returns counts and the first errors; the report is in import_errors. Needs contacts:write. Changes many
    rows: the chat confirms the mapping first. Raises ImportFileError for a file it cannot read."""
    require(actor.role, Permission.CONTACTS_WRITE, "import contacts")
    if policy not in POLICIES:
        raise ImportRequestError(f"unknown policy {policy!r}: use one of {', '.join(POLICIES)}")
    fmt = detect_format(path)
    headers, _, warnings = _head(path, fmt)
    chosen = apply_overrides(propose_mapping(headers), mapping)
    region = (default_region or get_settings().default_region).upper()
    with unit_of_work(engine) as uow:
        record = Import(filename=filename or Path(path).name, status="running", policy=policy,
                        mapping=chosen.columns, encoding=fmt.label, delimiter=fmt.delimiter, created_by=actor.email)
        uow.session.add(record)
        uow.session.flush()
        import_id = record.id
    job = _Job(import_id, chosen, policy, region, actor.email, engine)
    total = Path(path).stat().st_size
    try:
        job.stream(path, fmt, batch_size, lambda done: progress and progress(
            ImportProgress(import_id, job.counts.rows, done, total, job.counts)))
    except Exception as exc:
        job.finish("failed", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    job.finish("done", None)
    return _result(job, chosen.warnings + warnings, fmt)


class _Job:
    def __init__(self, import_id: int, mapping: Mapping, policy: str, region: str, actor: str,
                 engine: Engine | None) -> None:
        self.import_id, self.policy, self.region, self.actor, self.engine = import_id, policy, region, actor, engine
        self.plan = build_plan(mapping)
        self.width = len(mapping.columns)
        self.dedup = FileDedup()
        self.counts = Counts()
        self.stored_errors = 0
        self.first_errors: list[RowError] = []
        self.writer: ThreadPoolExecutor | None = None
        self.written: Future[None] | None = None

    def stream(self, path: str | Path, fmt: FileFormat, batch_size: int, tick: Callable[[int], Any]) -> None:
        """Read, normalise (in worker processes for large files) and write batch after batch, in file order,
        with at most a few batches in flight (bounded memory whatever the file size). The database work of a
        batch runs in a writer thread while this one reads and de-duplicates the next: batches still commit
        one after another, in file order, exactly as if written here."""
        records = read_records(path, fmt)
        next(records, None)  # the header
        workers = _workers(Path(path).stat().st_size)
        args = (self.plan, self.region, self.width)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as self.writer:
            if not workers:
                for chunk, done in _chunks(records, batch_size):
                    self.hand_over(pack(normalise_records(chunk, *args)), done, tick)
            else:
                with worker_pool(workers) as pool:
                    pending: deque[int] = deque()
                    for chunk, done in _chunks(records, batch_size):
                        ready = (pool.result(), pending.popleft()) if pool.in_flight >= workers else None
                        pool.submit((chunk, *args))  # to the worker just freed: both work while we write
                        pending.append(done)
                        if ready:
                            self.hand_over(*ready, tick)
                    while pool.in_flight:
                        self.hand_over(pool.result(), pending.popleft(), tick)
            self.wait_written()

    def hand_over(self, packed: Packed, done: int, tick: Callable[[int], Any]) -> None:
        """De-duplicate a batch against the file so far, then write it once the previous one is committed."""
        batch = self.dedup.prepare(packed)
        self.wait_written()
        self.written = self.writer.submit(self.write, batch, done, tick)

    def wait_written(self) -> None:
        """Wait for the batch being written; its error, if any, is raised here."""
        written, self.written = self.written, None
        if written is not None:
            written.result()

    def write(self, batch: Prepared, done: int = 0, tick: Callable[[int], Any] | None = None) -> None:
        """One batch, one transaction. If another writer created one of these addresses between our look-up
        and our insert (unique email), the batch is rolled back and done again once: it then finds it."""
        for attempt in (1, 2):
            try:
                with unit_of_work(self.engine) as uow:
                    counts = apply_batch(uow.session, batch, import_id=self.import_id, policy=self.policy,
                                         actor=self.actor, source="import", stored_errors=self.stored_errors)
                    merged = Counts()
                    merged.add(self.counts)
                    merged.add(counts)
                    _save_counts(uow.session, self.import_id, merged)
                break
            except (sa.exc.IntegrityError, UniqueViolation):
                if attempt == 2:
                    raise
        self.counts = merged
        self.note_errors(batch)
        if tick:
            tick(done)

    def note_errors(self, batch: Prepared) -> None:
        errors = batch.all_errors
        self.stored_errors += len(errors)
        room = FIRST_ERRORS - len(self.first_errors)
        self.first_errors += [RowError(**e) for e in errors[:max(room, 0)]]

    def finish(self, status: str, error: str | None) -> None:
        with unit_of_work(self.engine) as uow:
            record = uow.session.get(Import, self.import_id)
            record.status, record.error, record.finished_at = status, error, utcnow()
            if self.stored_errors > MAX_STORED_ERRORS:
                record.error = (error or "") + f" (only the first {MAX_STORED_ERRORS:,} problems are in the report)"


def _chunks(records: Any, size: int) -> Any:
    """(records, bytes read) in lists of `size` (the last one shorter)."""
    chunk: list[tuple[int, list[str] | None, str | None]] = []
    done = 0
    for line, cells, error, done in records:
        chunk.append((line, cells, error))
        if len(chunk) >= size:
            yield chunk, done
            chunk = []
    if chunk:
        yield chunk, done


def _workers(size_bytes: int) -> int:
    """Worker processes for normalisation: none for small files (starting them costs more than it saves)."""
    cpus = os.cpu_count() or 1
    if size_bytes < PARALLEL_FROM_BYTES or cpus < 2:
        return 0
    return min(cpus, MAX_WORKERS)


def _save_counts(session: Session, import_id: int, counts: Counts) -> None:
    session.execute(sa.update(Import).where(Import.id == import_id).values(
        rows=counts.rows, created=counts.created, updated=counts.updated, unchanged=counts.unchanged,
        duplicates=counts.duplicates, rejected=counts.rejected, updated_at=utcnow()))


def _result(job: _Job, warnings: list[str], fmt: FileFormat | None) -> ImportResult:
    c = job.counts
    if c.rows == 0:
        warnings = [*warnings, "no data rows: nothing was imported"]
    return ImportResult(job.import_id, c.rows, c.created, c.updated, c.unchanged, c.duplicates, c.rejected,
                        job.first_errors, "done", warnings, fmt.label if fmt else None, fmt.delimiter if fmt else None,
                        c.opted_out, c.probable_duplicates)


def import_rows(session: Session, actor: Actor, rows: list[dict[str, Any]], *, policy: str = "fill",
                source: str = "api", mapping: dict[str, str] | None = None) -> ImportResult:
    """Import contacts given as dicts (the API): keys are mapped like CSV headers ("Email", "First Name",
    "phone" ...; unknown keys go to attributes), same normalisation, de-duplication, merge policy and
    suppressions as a file. Runs in the caller's transaction (flushes, never commits). Needs contacts:write."""
    require(actor.role, Permission.CONTACTS_WRITE, "import contacts")
    if policy not in POLICIES:
        raise ImportRequestError(f"unknown policy {policy!r}: use one of {', '.join(POLICIES)}")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ImportRequestError("rows must be a list of objects (one per contact)")
    names: dict[str, str] = {}  # header_key -> the first spelling seen ("Email" and "email" are one column)
    for row in rows:
        for key in row:
            names.setdefault(header_key(_key(key)) or _key(key), _key(key))
    keys = list(names.values())
    chosen = apply_overrides(propose_mapping(keys), mapping)
    record = Import(filename=f"{source} ({len(rows)} rows)", status="running", policy=policy, mapping=chosen.columns,
                    created_by=actor.email)
    session.add(record)
    session.flush()
    job = _Job(record.id, chosen, policy, get_settings().default_region.upper(), actor.email, None)
    for start in range(0, len(rows), BATCH_SIZE):
        outcomes = []
        for offset, row in enumerate(rows[start:start + BATCH_SIZE]):
            given = {header_key(_key(k)) or _key(k): v for k, v in row.items()}
            cells = [_cell_text(given.get(header_key(k) or k)) for k in keys]
            outcomes.append((start + offset + 1, normalise_row(cells, job.plan, job.region)))
        batch = job.dedup.prepare(pack(outcomes))
        job.counts.add(apply_batch(session, batch, import_id=record.id, policy=policy, actor=actor.email,
                                   source=source, stored_errors=job.stored_errors))
        job.note_errors(batch)
    _save_counts(session, record.id, job.counts)
    record.status, record.finished_at = "done", utcnow()
    session.flush()
    return _result(job, list(chosen.warnings), None)


def _key(key: Any) -> str:
    """A row's key as a column name: NUL characters dropped (PostgreSQL refuses them in JSON and text)."""
    return str(key).replace("\x00", "")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


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
