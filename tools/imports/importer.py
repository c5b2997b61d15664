"""CSV import of contacts (chat upload, CLI, n8n API) and its row-level error report.

`inspect_csv` reads the start of a file and proposes a column mapping (nothing is written): the chat shows it
and asks for confirmation. An import is a job over its `imports` row (tools/imports/job.py): `create_import`
writes it queued, `queue_import` also sends the actor imports.run, `run_job` runs it (streams the file in batches,
one transaction per batch, resuming after the last committed one; so it opens its own units of work: call it
from a worker thread, never on the event loop) and records counts and an `import_errors` row per problem (line,
column, reason). `run_import` is the two in a row, in the calling thread (the CLI, the tests).
`import_rows` applies the same rules to rows given as dicts (the API), inside the caller's transaction."""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from psycopg.errors import UniqueViolation
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from db.jobs import enqueue
from db.models import Import, utcnow
from db.session import unit_of_work
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
from tools.imports import job as jobs
from tools.imports.batch import MAX_STORED_ERRORS, Counts, FileDedup, Prepared, apply_batch
from tools.imports.csv_files import FileFormat, ImportFileError, detect_format, read_records
from tools.imports.job import ImportTakenOver
from tools.imports.reports import export_import_errors, list_import_errors
from tools.imports.results import CsvPreview, ImportProgress, ImportRequestError, ImportResult, RowError
from tools.imports.wire import Packed, pack
from tools.imports.worker import worker_pool
from tools.users import Actor

__all__ = ["CsvPreview", "ImportFileError", "ImportProgress", "ImportRequestError", "ImportResult", "ImportTakenOver",
           "RowError", "create_import", "export_import_errors", "import_rows", "inspect_csv", "list_import_errors",
           "queue_import", "run_import", "run_job"]

BATCH_SIZE = 5000
PARALLEL_FROM_BYTES = 1_500_000  # about 10,000 rows
MAX_WORKERS = 2
SAMPLE_ROWS = 5
FIRST_ERRORS = 20


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
    rows: the chat confirms the mapping first. Raises ImportFileError for a file it cannot read.
    The import is a job over its row (tools.imports.job): written queued, then run here, in this thread; if this
    process stops half-way, the sweep resumes it after its last committed batch."""
    with unit_of_work(engine) as uow:
        import_id = create_import(uow.session, path, actor=actor, mapping=mapping, policy=policy,
                                  default_region=default_region, filename=filename)
    return run_job(import_id, progress=progress, batch_size=batch_size, engine=engine)


def create_import(session: Session, path: str | Path, *, actor: Actor, mapping: dict[str, str] | None = None,
                  policy: str = "fill", default_region: str | None = None, filename: str | None = None) -> int:
    """Write an import's row, queued, with what its run needs (the file's path and size, the mapping, policy and
    region); returns its id. Nothing is read past the first rows and no contact is written: run it with
    `run_job` or queue it with `queue_import`. Same arguments, permission and errors as `run_import`. Flushes."""
    require(actor.role, Permission.CONTACTS_WRITE, "import contacts")
    if policy not in POLICIES:
        raise ImportRequestError(f"unknown policy {policy!r}: use one of {', '.join(POLICIES)}")
    fmt = detect_format(path)
    headers, _, _ = _head(path, fmt)
    chosen = apply_overrides(propose_mapping(headers), mapping)
    where = str(Path(path).resolve())
    if len(where) > 1000:
        raise ImportRequestError("the file's path is longer than 1,000 characters: move it to a shorter one")
    record = Import(filename=filename or Path(path).name, status="queued", policy=policy, mapping=chosen.columns,
                    encoding=fmt.label, delimiter=fmt.delimiter, created_by=actor.email, path=where,
                    region=(default_region or get_settings().default_region).upper(),
                    bytes_total=Path(path).stat().st_size)
    session.add(record)
    session.flush()
    return record.id


def queue_import(session: Session, path: str | Path, **options: Any) -> int:
    """`create_import`, and the job imports.run sent once the caller's transaction commits (the chat: it follows
    the row with tools.imports.job.progress_of). Returns the import id."""
    import_id = create_import(session, path, **options)
    enqueue(session, "imports.run", import_id)
    return import_id


def run_job(import_id: int, *, progress: Callable[[ImportProgress], None] | None = None,
            batch_size: int = BATCH_SIZE, engine: Engine | None = None) -> ImportResult:
    """Run a queued import (the actor imports.run, or run_import): claim its row, stream the file from after the
    last committed batch (a resume reads the lines before only to know their addresses again, so duplicates
    across the cut are still found), commit batch after batch, end it done or failed. Raises
    ImportRequestError when the import is not queued (nothing is done), ImportFileError when the file is gone or
    changed since it was queued (the import is failed with that reason), ImportTakenOver when another run took
    it over (the row is left to that run), and whatever failed a batch (the import is failed with it)."""
    with unit_of_work(engine) as uow:
        claimed = jobs.claim(uow.session, import_id)
    if isinstance(claimed, str):
        raise ImportRequestError(claimed)
    try:
        fmt, chosen, warnings = _reopen(claimed)
    except (OSError, ValueError) as exc:
        with unit_of_work(engine) as uow:
            jobs.finish(uow.session, import_id, claimed.runner, "failed", f"{exc}"[:2000])
        raise ImportFileError(str(exc)) from exc
    run = _Job(import_id, chosen, claimed.policy, claimed.region, claimed.actor, engine, runner=claimed.runner)
    if claimed.done_line:
        run.resume(claimed)
    try:
        run.stream(claimed.path, fmt, batch_size, lambda done: progress and progress(
            ImportProgress(import_id, run.counts.rows, done, claimed.bytes_total, run.counts)))
    except ImportTakenOver:
        raise
    except KeyboardInterrupt:  # Ctrl-C in `mkt contacts import`: stopped on purpose, not resumed behind one's back
        run.finish("failed", f"interrupted (Ctrl-C) after line {run.done_line:,}: the rows up to it are imported. "
                   "Import the file again to finish: contacts already in are matched, not duplicated")
        raise
    except Exception as exc:
        run.finish("failed", f"{type(exc).__name__}: {exc}"[:2000])
        raise
    run.finish("done", None)
    return _result(run, chosen.warnings + warnings, fmt)


def _reopen(claimed: jobs.Claim) -> tuple[FileFormat, Mapping, list[str]]:
    """The format, mapping and warnings of a claimed import's file, checked to be the file it was queued with."""
    path = Path(claimed.path or "")
    if not claimed.path or not path.is_file():
        raise ImportFileError(f"the file {path.name or '(none)'} is no longer there (uploads are kept under "
                              "var/uploads): upload it again")
    if path.stat().st_size != claimed.bytes_total:
        raise ImportFileError(f"the file {path.name} changed since the import was queued: import it again")
    fmt = detect_format(path)
    headers, _, warnings = _head(path, fmt)
    chosen = apply_overrides(propose_mapping(headers), claimed.mapping)
    if set(chosen.columns) != set(claimed.mapping):
        raise ImportFileError(f"the columns of {path.name} changed since the import was queued: import it again")
    return fmt, chosen, warnings


class _Job:
    def __init__(self, import_id: int, mapping: Mapping, policy: str, region: str, actor: str | None,
                 engine: Engine | None, runner: str | None = None) -> None:
        self.import_id, self.policy, self.region, self.actor, self.engine = import_id, policy, region, actor, engine
        self.runner = runner  # the claim every batch commits under (None: the API's import in one transaction)
        self.plan = build_plan(mapping)
        self.width = len(mapping.columns)
        self.dedup = FileDedup()
        self.counts = Counts()
        self.done_line = 0
        self.stored_errors = 0
        self.first_errors: list[RowError] = []
        self.writer: ThreadPoolExecutor | None = None
        self.written: Future[None] | None = None

    def resume(self, claimed: jobs.Claim) -> None:
        """Carry on from the row: its counts, the last committed line, the problems already reported."""
        self.counts, self.done_line = claimed.counts, claimed.done_line
        with unit_of_work(self.engine) as uow:
            self.stored_errors = jobs.stored_errors(uow.session, self.import_id)
            self.first_errors = jobs.first_errors(uow.session, self.import_id, FIRST_ERRORS)

    def stream(self, path: str | Path, fmt: FileFormat, batch_size: int, tick: Callable[[int], Any]) -> None:
        """Read, normalise (in worker processes for large files) and write batch after batch, in file order,
        with at most a few batches in flight (bounded memory whatever the file size). The database work of a
        batch runs in a writer thread while this one reads and de-duplicates the next: batches still commit
        one after another, in file order, exactly as if written here."""
        records = read_records(path, fmt)
        next(records, None)  # the header
        if self.done_line:
            records = self.skip_done(records, batch_size)
        workers = _workers(Path(path).stat().st_size)
        args = (self.plan, self.region, self.width)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer") as self.writer:
            if not workers:
                for chunk, mark in _chunks(records, batch_size):
                    self.hand_over(pack(normalise_records(chunk, *args)), mark, tick)
            else:
                with worker_pool(workers) as pool:
                    pending: deque[tuple[int, int]] = deque()
                    for chunk, mark in _chunks(records, batch_size):
                        ready = (pool.result(), pending.popleft()) if pool.in_flight >= workers else None
                        pool.submit((chunk, *args))  # to the worker just freed: both work while we write
                        pending.append(mark)
                        if ready:
                            self.hand_over(*ready, tick)
                    while pool.in_flight:
                        self.hand_over(pool.result(), pending.popleft(), tick)
            self.wait_written()

    def skip_done(self, records: Iterator[Any], size: int) -> Iterator[Any]:
        """The records after done_line. Those up to it are in the database already: they are only normalised
        again so that the file's de-duplication knows their addresses (normalising is deterministic)."""
        args = (self.plan, self.region, self.width)
        chunk: list[tuple[int, list[str] | None, str | None]] = []
        for record in records:
            if record[0] > self.done_line:
                if chunk:
                    self.dedup.prepare(pack(normalise_records(chunk, *args)))
                yield record
                yield from records
                return
            chunk.append(record[:3])
            if len(chunk) >= size:
                self.dedup.prepare(pack(normalise_records(chunk, *args)))
                chunk = []

    def hand_over(self, packed: Packed, mark: tuple[int, int], tick: Callable[[int], Any]) -> None:
        """De-duplicate a batch against the file so far, then write it once the previous one is committed."""
        batch = self.dedup.prepare(packed)
        self.wait_written()
        self.written = self.writer.submit(self.write, batch, mark, tick)

    def wait_written(self) -> None:
        """Wait for the batch being written; its error, if any, is raised here."""
        written, self.written = self.written, None
        if written is not None:
            written.result()

    def write(self, batch: Prepared, mark: tuple[int, int] = (0, 0),
              tick: Callable[[int], Any] | None = None) -> None:
        """One batch, one transaction, with the row's counts and `mark` (bytes read, last line) under the
        run's claim. If another writer created one of these addresses between our look-up and our insert
        (unique email), the batch is rolled back and done again once: it then finds it."""
        for attempt in (1, 2):
            try:
                with unit_of_work(self.engine) as uow:
                    counts = apply_batch(uow.session, batch, import_id=self.import_id, policy=self.policy,
                                         actor=self.actor, source="import", stored_errors=self.stored_errors)
                    merged = Counts()
                    merged.add(self.counts)
                    merged.add(counts)
                    jobs.save_batch(uow.session, self.import_id, self.runner, merged, mark[1], mark[0])
                break
            except (sa.exc.IntegrityError, UniqueViolation):
                if attempt == 2:
                    raise
        self.counts, self.done_line = merged, mark[1]
        self.note_errors(batch)
        if tick:
            tick(mark[0])

    def note_errors(self, batch: Prepared) -> None:
        errors = batch.all_errors
        self.stored_errors += len(errors)
        room = FIRST_ERRORS - len(self.first_errors)
        self.first_errors += [RowError(**e) for e in errors[:max(room, 0)]]

    def finish(self, status: str, error: str | None) -> None:
        if self.stored_errors > MAX_STORED_ERRORS:
            error = (error or "") + f" (only the first {MAX_STORED_ERRORS:,} problems are in the report)"
        with unit_of_work(self.engine) as uow:
            jobs.finish(uow.session, self.import_id, self.runner or "", status, error)


def _chunks(records: Any, size: int) -> Any:
    """(records, (bytes read, last line)) in lists of `size` (the last one shorter)."""
    chunk: list[tuple[int, list[str] | None, str | None]] = []
    done = 0
    for line, cells, error, done in records:
        chunk.append((line, cells, error))
        if len(chunk) >= size:
            yield chunk, (done, line)
            chunk = []
    if chunk:
        yield chunk, (done, chunk[-1][0])


def _workers(size_bytes: int) -> int:
    """Worker processes for normalisation: none for small files (starting them costs more than it saves)."""
    cpus = os.cpu_count() or 1
    if size_bytes < PARALLEL_FROM_BYTES or cpus < 2:
        return 0
    return min(cpus, MAX_WORKERS)


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
    jobs.save_batch(session, record.id, None, job.counts, 0, 0)
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
