"""The import job's row, rule by rule (issue 24, the mutants of tools/imports/job.py): what a claim takes and
writes, what a batch and the end of a run write and under which runner, what the sweep does with each kind of
row (stale by heartbeat or by its last change, at the bound, resumable, run too often, from before imports were
jobs, queued and lost), and what progress, the first problems, the result and the list of imports read back."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from db.models import Import, ImportError_, utcnow
from domain.roles import PermissionDenied, Role
from tools.imports import job as jobs
from tools.imports.batch import Counts
from tools.imports.job import Claim, ImportStatus, ImportTakenOver
from tools.imports.results import ImportProgress, ImportResult, RowError
from tools.users import Actor

WHO = "importer@example.com"
ADMIN = Actor.system(WHO)


def _import(session, **fields):
    values = {"filename": "f.csv", "status": "queued", "policy": "fill", "mapping": {"Email": "email"}} | fields
    record = Import(**values)
    session.add(record)
    session.flush()
    return record


def _row(session, import_id):
    session.expire_all()
    return session.get(Import, import_id)


def test_a_claim_takes_a_queued_import_with_everything_its_run_needs(db, session):
    record = _import(session, policy="overwrite", mapping={"Email": "email", "Tel": "phone"}, region="DE",
                     created_by=WHO, path="/data/people.csv", done_line=13, bytes_total=999, attempts=1, rows=12,
                     created=1, updated=2, unchanged=3, duplicates=4, rejected=5, opted_out=6, probable_duplicates=7)
    other = _import(session)
    session.commit()
    before = utcnow()
    claimed = jobs.claim(session, record.id)
    after = utcnow()
    session.commit()
    assert re.fullmatch("[0-9a-f]{32}", claimed.runner)
    assert claimed == Claim(record.id, claimed.runner, "/data/people.csv", {"Email": "email", "Tel": "phone"},
                            "overwrite", "DE", WHO, 13, 999, Counts(12, 1, 2, 3, 4, 5, 6, 7))
    row = _row(session, record.id)
    assert (row.status, row.runner, row.attempts) == ("running", claimed.runner, 2)
    assert before <= row.heartbeat_at <= after
    assert row.updated_at == row.heartbeat_at
    row = _row(session, other.id)
    assert (row.status, row.runner, row.attempts, row.heartbeat_at) == ("queued", None, 0, None)
    again = jobs.claim(session, other.id)
    assert again.runner != claimed.runner
    assert again == Claim(other.id, again.runner, None, {"Email": "email"}, "fill", "", None, 0, 0, Counts())


def test_a_claim_says_why_there_is_nothing_to_run(db, session):
    running, done, failed = (_import(session, status=s) for s in ("running", "done", "failed"))
    session.commit()
    assert jobs.claim(session, running.id) == f"import #{running.id} is running, not queued: nothing to run"
    assert jobs.claim(session, done.id) == f"import #{done.id} is done, not queued: nothing to run"
    assert jobs.claim(session, failed.id) == f"import #{failed.id} is failed, not queued: nothing to run"
    assert jobs.claim(session, failed.id + 100) == f"import #{failed.id + 100} is gone"
    assert [(r.status, r.attempts, r.runner) for r in session.scalars(sa.select(Import).order_by(Import.id))] == [
        ("running", 0, None), ("done", 0, None), ("failed", 0, None)]


def test_a_batch_writes_the_counts_line_bytes_and_heartbeat_under_its_runner_only(db, session):
    held = _import(session, status="running", runner="r1", bytes_total=500)
    other = _import(session, status="running", runner="r2")
    session.commit()
    before = utcnow()
    jobs.save_batch(session, held.id, "r1", Counts(9, 1, 2, 3, 4, 5, 6, 7), 11, 321)
    after = utcnow()
    session.commit()
    row = _row(session, held.id)
    assert (row.rows, row.created, row.updated, row.unchanged, row.duplicates, row.rejected, row.opted_out,
            row.probable_duplicates, row.done_line, row.bytes_done, row.bytes_total, row.status, row.runner) == (
        9, 1, 2, 3, 4, 5, 6, 7, 11, 321, 500, "running", "r1")
    assert before <= row.heartbeat_at <= after
    assert row.updated_at == row.heartbeat_at
    assert (_row(session, other.id).rows, _row(session, other.id).done_line) == (0, 0)


def test_a_batch_under_a_runner_that_lost_the_import_is_refused(db, session):
    taken = _import(session, status="running", runner="new run")
    ended = _import(session, status="done", runner="r1")
    session.commit()
    for import_id, runner in ((taken.id, "old run"), (ended.id, "r1"), (ended.id + 100, "r1")):
        with pytest.raises(ImportTakenOver) as refused:
            jobs.save_batch(session, import_id, runner, Counts(rows=5), 6, 70)
        assert str(refused.value) == (f"import #{import_id} was taken over by another run; this batch was not "
                                      "written")
    session.rollback()
    assert [(r.rows, r.done_line, r.heartbeat_at) for r in session.scalars(sa.select(Import).order_by(Import.id))] \
        == [(0, 0, None), (0, 0, None)]


def test_a_batch_without_a_runner_writes_the_row_whatever_holds_it(db, session):
    """The API's import runs in one transaction with no runner: its counts go on its row as it is."""
    record = _import(session, status="done", runner=None)
    session.commit()
    jobs.save_batch(session, record.id, None, Counts(rows=2, created=2), 0, 0)
    session.commit()
    row = _row(session, record.id)
    assert (row.rows, row.created, row.status) == (2, 2, "done")
    assert row.heartbeat_at is not None


def test_the_end_of_a_run_writes_its_outcome_under_its_runner_only(db, session):
    held = _import(session, status="running", runner="r1", attempts=1)
    twin = _import(session, status="running", runner="r1")  # the same token on another import: left alone
    session.commit()
    before = utcnow()
    assert jobs.finish(session, held.id, "r1", "failed", "ValueError: bad") is True
    after = utcnow()
    session.commit()
    row = _row(session, held.id)
    assert (row.status, row.error, row.runner, row.attempts) == ("failed", "ValueError: bad", None, 1)
    assert before <= row.finished_at <= after
    assert row.heartbeat_at == row.finished_at == row.updated_at
    row = _row(session, twin.id)
    assert (row.status, row.error, row.runner, row.finished_at) == ("running", None, "r1", None)
    assert jobs.finish(session, twin.id, "another", "done", None) is False
    assert jobs.finish(session, held.id, "r1", "done", None) is False  # it no longer holds it
    session.commit()
    assert (_row(session, twin.id).status, _row(session, held.id).status) == ("running", "failed")
    assert jobs.finish(session, twin.id, "r1", "done", None) is True
    session.commit()
    row = _row(session, twin.id)
    assert (row.status, row.error, row.runner) == ("done", None, None)


def test_the_sweep_requeues_fails_or_sends_again_each_kind_of_row(db, session):
    """now is an hour ahead (rows the sweep itself moves get a real updated_at, which is then older than its
    bound: they are still sent once). Stale: heartbeat older than 10 minutes, or none and no change for 10."""
    now = utcnow() + timedelta(hours=1)
    old, fresh, bound = now - timedelta(minutes=11), now - timedelta(minutes=9), now - timedelta(minutes=10)
    rows = {
        "stale": dict(status="running", runner="a", heartbeat_at=old, path="/f.csv", attempts=1),
        "at the bound": dict(status="running", runner="b", heartbeat_at=bound, path="/f.csv", attempts=1),
        "fresh": dict(status="running", runner="c", heartbeat_at=fresh, updated_at=old, path="/f.csv", attempts=1),
        "no heartbeat, old": dict(status="running", runner="d", heartbeat_at=None, updated_at=old, path="/f.csv",
                                  attempts=2),
        "no heartbeat, at the bound": dict(status="running", runner="e", heartbeat_at=None, updated_at=bound,
                                           path="/f.csv", attempts=1),
        "run too often": dict(status="running", runner="f", heartbeat_at=old, path="/f.csv", attempts=3,
                              done_line=12345, rows=12000),
        "no file": dict(status="running", runner="g", heartbeat_at=old, path=None, attempts=1, rows=4321),
        "queued, lost": dict(status="queued", updated_at=old, path="/f.csv"),
        "queued, at the bound": dict(status="queued", updated_at=bound, path="/f.csv"),
        "queued, no file": dict(status="queued", updated_at=old, path=None),
        "done": dict(status="done", heartbeat_at=old, updated_at=old, path="/f.csv"),
    }
    ids = {name: _import(session, **fields).id for name, fields in rows.items()}
    session.commit()
    sent = jobs.stale_imports(session, now)
    session.commit()
    assert sent == [ids["stale"], ids["no heartbeat, old"], ids["queued, lost"]]
    session.expire_all()
    got = {name: session.get(Import, i) for name, i in ids.items()}
    state = {name: (r.status, r.runner, r.error) for name, r in got.items()}
    assert state == {
        "stale": ("queued", None, None),
        "at the bound": ("running", "b", None),
        "fresh": ("running", "c", None),
        "no heartbeat, old": ("queued", None, None),
        "no heartbeat, at the bound": ("running", "e", None),
        "run too often": ("failed", None,
                          "stopped 3 times before the end (the process running it was stopped or restarted); lines "
                          "up to 12,345 are imported, the rest is not. Import the file again to finish: contacts "
                          "already in are matched, not duplicated"),
        "no file": ("failed", None,
                    "stopped before the end (the process running it was stopped); 4,321 rows are imported, the rest "
                    "is not. Import the file again to finish: contacts already in are matched, not duplicated"),
        "queued, lost": ("queued", None, None),
        "queued, at the bound": ("queued", None, None),
        "queued, no file": ("queued", None, None),
        "done": ("done", None, None),
    }
    for name in ("stale", "no heartbeat, old", "run too often", "no file"):
        assert got[name].heartbeat_at == now, name
    for name in ("run too often", "no file"):
        assert got[name].finished_at == now, name
    assert (got["stale"].finished_at, got["at the bound"].heartbeat_at, got["no heartbeat, at the bound"].heartbeat_at) \
        == (None, bound, None)
    assert got["queued, lost"].updated_at == now  # sent again at most once per 10 minutes
    assert (got["queued, at the bound"].updated_at, got["queued, no file"].updated_at, got["done"].updated_at) == (
        bound, old, old)
    # an hour on, the requeued ones wait in the queue with their real last change: sent again once, as lost
    assert jobs.stale_imports(session, now) == [ids["stale"], ids["no heartbeat, old"]]
    assert jobs.stale_imports(session, now) == []


def test_the_sweep_reads_the_clock_when_not_given_one(db, session):
    record = _import(session, status="running", runner="a", heartbeat_at=utcnow() - timedelta(minutes=11),
                     path="/f.csv", attempts=1)
    late = _import(session, status="running", runner="b", heartbeat_at=utcnow() - timedelta(minutes=5),
                   path="/f.csv", attempts=1)
    session.commit()
    before = utcnow()
    assert jobs.stale_imports(session) == [record.id]
    after = utcnow()
    session.commit()
    row = _row(session, record.id)
    assert row.status == "queued"
    assert before <= row.heartbeat_at <= after
    assert _row(session, late.id).status == "running"
    assert jobs.stale_imports(session, utcnow() + timedelta(minutes=6), stale_after=timedelta(minutes=10)) == [late.id]
    session.commit()
    failing = _import(session, status="running", runner="c", heartbeat_at=utcnow() - timedelta(minutes=11),
                      path="/f.csv", attempts=2)
    session.commit()
    assert jobs.stale_imports(session, max_attempts=2) == []
    session.commit()
    assert _row(session, failing.id).status == "failed"


def test_progress_reads_what_the_run_has_committed(db, session):
    record = _import(session, status="running", rows=7, bytes_done=300, bytes_total=900, created=3, updated=1,
                     unchanged=1, duplicates=1, rejected=1, opted_out=2, probable_duplicates=1, error=None)
    failed = _import(session, status="failed", error="the file f.csv is no longer there")
    session.commit()
    assert jobs.progress_of(session, record.id) == (
        "running", ImportProgress(record.id, 7, 300, 900, Counts(7, 3, 1, 1, 1, 1, 2, 1)), None)
    assert jobs.progress_of(session, failed.id) == (
        "failed", ImportProgress(failed.id, 0, 0, 0, Counts()), "the file f.csv is no longer there")
    with pytest.raises(LookupError) as missing:
        jobs.progress_of(session, failed.id + 100)
    assert str(missing.value) == f"no import #{failed.id + 100}"


def _errors(session, import_id, *rows):
    for line, column, reason, value, rejected in rows:
        session.add(ImportError_(import_id=import_id, line=line, column=column, reason=reason, value=value,
                                 rejected=rejected))
    session.flush()


def test_the_first_problems_come_in_line_order_then_as_stored_and_only_the_import_s_own(db, session):
    record, other = _import(session), _import(session)
    _errors(session, record.id, (5, "phone", "bad phone", "12", False), (3, None, "no address", None, True),
            (5, "email", "bad email", "x@", False), (4, "city", "too long", "c" * 10, False))
    _errors(session, other.id, (1, None, "no address", None, True))
    session.commit()
    assert jobs.first_errors(session, record.id) == [
        RowError(3, None, "no address", None, True), RowError(4, "city", "too long", "cccccccccc", False),
        RowError(5, "phone", "bad phone", "12", False), RowError(5, "email", "bad email", "x@", False)]
    assert jobs.first_errors(session, record.id, 2) == [RowError(3, None, "no address", None, True),
                                                        RowError(4, "city", "too long", "cccccccccc", False)]
    assert (jobs.stored_errors(session, record.id), jobs.stored_errors(session, other.id),
            jobs.stored_errors(session, other.id + 100)) == (4, 1, 0)


def test_the_first_problems_are_twenty_by_default(db, session):
    record = _import(session)
    _errors(session, record.id, *((line, None, "no address", None, True) for line in range(30, 1, -1)))
    session.commit()
    assert [e.line for e in jobs.first_errors(session, record.id)] == list(range(2, 22))


def test_the_result_of_an_import_is_read_whole_from_its_row(db, session):
    record = _import(session, status="done", rows=6, created=1, updated=2, unchanged=1, duplicates=1, rejected=1,
                     opted_out=3, probable_duplicates=2, encoding="UTF-16", delimiter=";")
    _errors(session, record.id, (2, None, "no address", None, True))
    empty = _import(session, status="done", encoding="UTF-8", delimiter=",")
    failed = _import(session, status="failed")
    session.commit()
    given = ["a warning"]
    assert jobs.result_of(session, record.id, given) == ImportResult(
        record.id, 6, 1, 2, 1, 1, 1, [RowError(2, None, "no address", None, True)], "done", ["a warning"], "UTF-16",
        ";", 3, 2)
    assert jobs.result_of(session, empty.id, given) == ImportResult(
        empty.id, 0, 0, 0, 0, 0, 0, [], "done", ["a warning", "no data rows: nothing was imported"], "UTF-8", ",",
        0, 0)
    assert given == ["a warning"]
    assert jobs.result_of(session, empty.id) == ImportResult(
        empty.id, 0, 0, 0, 0, 0, 0, [], "done", ["no data rows: nothing was imported"], "UTF-8", ",", 0, 0)
    assert jobs.result_of(session, failed.id) == ImportResult(failed.id, 0, 0, 0, 0, 0, 0, [], "failed", [], None,
                                                              None, 0, 0)
    with pytest.raises(LookupError) as missing:
        jobs.result_of(session, failed.id + 100)
    assert str(missing.value) == f"no import #{failed.id + 100}"


def test_the_list_of_imports_is_newest_first_whole_and_limited(db, session):
    records = [_import(session, filename=f"f{i}.csv", status=("done", "failed", "running")[i % 3], rows=i,
                       created=i + 1, rejected=i + 2, done_line=i + 3, attempts=i % 4,
                       error=f"e{i}" if i % 3 == 1 else None) for i in range(22)]
    session.commit()

    def status(i):
        r = records[i]
        return ImportStatus(r.id, f"f{i}.csv", ("done", "failed", "running")[i % 3], i, i + 1, i + 2, i + 3, i % 4,
                            f"e{i}" if i % 3 == 1 else None, r.created_at)

    assert jobs.recent_imports(session, ADMIN) == [status(i) for i in range(21, 1, -1)]
    assert jobs.recent_imports(session, Actor("r@x.com", Role.REVIEWER), limit=3) == [status(21), status(20),
                                                                                       status(19)]
    assert jobs.recent_imports(session, ADMIN, import_id=records[4].id) == [status(4)]
    assert jobs.recent_imports(session, ADMIN, import_id=records[21].id + 100) == []
    with pytest.raises(PermissionDenied) as refused:
        jobs.recent_imports(session, Actor("g@x.com", "guest"))
    assert str(refused.value) == ("your role (guest) does not allow to read imports: it needs the 'contacts:read' "
                                  "permission")


def _reads(session, call):
    """The SELECTs `call` makes on `session`, compiled for PostgreSQL (where row locks and sort ties matter), as
    one line each."""
    seen = []
    listener = lambda state: seen.append(state.statement)  # noqa: E731
    sa.event.listen(session, "do_orm_execute", listener)
    try:
        call()
    finally:
        sa.event.remove(session, "do_orm_execute", listener)
    texts = [" ".join(str(s.compile(dialect=postgresql.dialect())).split()) for s in seen if isinstance(s, sa.Select)]
    return [re.sub(r"::[A-Z]+( WITH TIME ZONE)?", "", t) for t in texts]  # the parameters' casts left out


def test_the_sweep_locks_the_stale_rows_it_takes_and_skips_those_another_sweep_holds(db, session):
    """On PostgreSQL two sweeps at once never take the same row, and neither waits for the other; in id order."""
    reads = _reads(session, lambda: jobs.stale_imports(session))
    assert reads[0].startswith("SELECT imports.id, imports.filename")
    assert reads[0].endswith("WHERE imports.status = %(status_1)s AND (imports.heartbeat_at < %(heartbeat_at_1)s OR "
                             "imports.heartbeat_at IS NULL AND imports.updated_at < %(updated_at_1)s) "
                             "ORDER BY imports.id FOR UPDATE SKIP LOCKED")


def test_two_problems_of_one_line_come_in_the_order_they_were_stored(db, session):
    """By line, then as stored (on SQLite a tie comes in storage order anyway; PostgreSQL sorts ties any way)."""
    reads = _reads(session, lambda: jobs.first_errors(session, 1, 3))
    assert [r.split(" FROM ")[1] for r in reads] == [
        "import_errors WHERE import_errors.import_id = %(import_id_1)s ORDER BY import_errors.line, import_errors.id "
        "LIMIT %(param_1)s"]
