"""A CSV import as a job over its row (issue 19): a run cut short (the process stopped) is put back in the queue by
the sweep and resumes after its last committed batch, ending with every row once and every problem reported once
with its line; a run that lost its claim cannot write; too many runs, or a file gone, fail plainly; the chat queues
the job and follows it from its row."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import dramatiq
import pytest
import sqlalchemy as sa

from db.models import Contact, Import, ImportError_, utcnow
from db.session import unit_of_work
from tests.agent_support import StatusMessage
from tools.imports import job as jobs
from tools.imports.batch import Counts
from tools.imports.importer import ImportRequestError, create_import, queue_import, run_import, run_job
from tools.users import Actor
from workers import imports as import_actors
from workers.scheduler import PERIODIC

ADMIN = Actor.system("importer@example.com")
LATER = timedelta(minutes=11)  # past jobs.STALE_AFTER
BAD = {2: "", 20: ""}  # rows without an address: rejected (lines 4 and 22)
SAME = {5: "p0@x.com", 17: "p1@x.com"}  # earlier rows' emails: duplicates (lines 7, before the cut, and 19, after)


class Killed(BaseException):
    """The process running the import stops (not an error the import could record)."""


def _file(tmp_path, rows=30):
    lines = ["Email,Name"]
    for i in range(rows):
        lines.append(f"{BAD.get(i, SAME.get(i, f'p{i}@x.com'))},P{i}")
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _killed_after(batches: int):
    seen = []

    def progress(p):
        seen.append(p)
        if len(seen) == batches:
            raise Killed

    return progress


def _interrupted(path, batches=3) -> int:
    """An import whose process stops after `batches` committed batches of 4 rows; its id."""
    with pytest.raises(Killed):
        run_import(path, actor=ADMIN, batch_size=4, progress=_killed_after(batches))
    with unit_of_work() as uow:
        return uow.session.scalar(sa.select(Import.id).order_by(Import.id.desc()))


@pytest.mark.parametrize("pooled", [False, True], ids=["inline", "worker-processes"])
def test_an_interrupted_import_is_swept_and_resumes_with_every_row_once(db, session, tmp_path, monkeypatch, pooled):
    import tools.imports.importer

    if pooled:
        monkeypatch.setattr(tools.imports.importer, "PARALLEL_FROM_BYTES", 0)
    import_id = _interrupted(_file(tmp_path))
    record = session.get(Import, import_id)
    assert (record.status, record.rows, record.done_line, record.attempts) == ("running", 12, 13, 1)
    assert session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 10  # 12 rows: one bad, one duplicate

    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session) == []  # its heartbeat is fresh: left alone
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session, utcnow() + LATER) == [import_id]
    session.expire_all()
    assert (session.get(Import, import_id).status, session.get(Import, import_id).runner) == ("queued", None)

    assert import_actors.run(import_id) == "done"
    session.expire_all()
    record = session.get(Import, import_id)
    assert (record.status, record.rows, record.created, record.duplicates, record.rejected, record.attempts) == (
        "done", 30, 26, 2, 2, 2)
    assert record.done_line == 31 and record.bytes_done == record.bytes_total and record.error is None
    emails = session.scalars(sa.select(Contact.email)).all()
    assert len(emails) == len(set(emails)) == 26
    assert set(emails) == {f"p{i}@x.com" for i in range(30) if i not in BAD and i not in SAME}
    reported = session.execute(sa.select(ImportError_.line, ImportError_.rejected)
                               .where(ImportError_.import_id == import_id).order_by(ImportError_.line)).all()
    assert [tuple(r) for r in reported] == [(4, True), (7, False), (19, False), (22, True)]
    result = jobs.result_of(session, import_id)
    assert [(e.line, e.rejected) for e in result.errors] == [(4, True), (7, False), (19, False), (22, True)]
    assert (result.status, result.rows, result.created) == ("done", 30, 26)


def test_a_run_that_lost_its_claim_cannot_write_and_a_finished_import_is_not_run_again(db, session, tmp_path):
    import_id = _interrupted(_file(tmp_path))
    old = session.get(Import, import_id).runner
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session, utcnow() + LATER) == [import_id]
    with unit_of_work() as uow:
        taken = jobs.claim(uow.session, import_id)
    assert isinstance(taken, jobs.Claim) and taken.runner != old and taken.done_line == 13
    with pytest.raises(jobs.ImportTakenOver), unit_of_work() as uow:
        jobs.save_batch(uow.session, import_id, old, Counts(rows=99), 99, 0)
    session.expire_all()
    assert (session.get(Import, import_id).rows, session.get(Import, import_id).runner) == (12, taken.runner)
    with pytest.raises(ImportRequestError, match="is running, not queued"):
        run_job(import_id)
    assert import_actors.run(import_id) == f"import #{import_id} is running, not queued: nothing to run"


def test_an_import_stopped_too_often_is_failed_plainly_by_the_sweep(db, session, tmp_path):
    import_id = _interrupted(_file(tmp_path))
    session.execute(sa.update(Import).where(Import.id == import_id).values(attempts=jobs.MAX_ATTEMPTS))
    session.commit()
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session, utcnow() + LATER) == []
    with unit_of_work() as uow:
        status, progress, error = jobs.progress_of(uow.session, import_id)
    assert (status, progress.rows) == ("failed", 12)
    assert error.startswith(f"stopped {jobs.MAX_ATTEMPTS} times before the end") and "lines up to 13 are imported" in error


def test_an_import_left_running_from_before_imports_were_jobs_is_failed_by_the_sweep(db, session):
    session.add(Import(filename="old.csv", mapping={}, status="running", rows=5000,
                       updated_at=utcnow() - 2 * LATER))
    session.commit()
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session) == []
    record = session.scalar(sa.select(Import))
    assert record.status == "failed" and record.error.startswith("stopped before the end") and "5,000 rows" in record.error


def test_mkt_contacts_imports_says_where_each_import_stands(db, session, tmp_path, capsys):
    from cli.main import main

    import_id = _interrupted(_file(tmp_path))
    session.execute(sa.update(Import).where(Import.id == import_id).values(attempts=jobs.MAX_ATTEMPTS))
    session.commit()
    with unit_of_work() as uow:
        jobs.stale_imports(uow.session, utcnow() + LATER)
    assert main(["contacts", "imports"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"import #{import_id} people.csv: failed, 12 rows (10 created, 1 rejected), up to line 13, 3 runs, ")
    assert f": stopped {jobs.MAX_ATTEMPTS} times before the end" in out


def test_a_resume_whose_file_is_gone_fails_and_says_so(db, session, tmp_path):
    path = _file(tmp_path)
    import_id = _interrupted(path)
    path.unlink()
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session, utcnow() + LATER) == [import_id]
    assert import_actors.run(import_id).startswith("failed: the file people.csv is no longer there")
    session.expire_all()
    record = session.get(Import, import_id)
    assert record.status == "failed" and "upload it again" in record.error and record.rows == 12


def test_ctrl_c_fails_the_import_instead_of_leaving_it_to_the_sweep(db, session, tmp_path):
    def stop(p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_import(_file(tmp_path), actor=ADMIN, batch_size=4, progress=stop)
    record = session.scalar(sa.select(Import))
    assert record.status == "failed" and record.error.startswith("interrupted (Ctrl-C) after line 5")


def test_a_queued_import_whose_message_was_lost_is_sent_again(db, tmp_path):
    with unit_of_work() as uow:
        import_id = create_import(uow.session, _file(tmp_path), actor=ADMIN)
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session) == []
        assert jobs.stale_imports(uow.session, utcnow() + LATER) == [import_id]
    with unit_of_work() as uow:  # sent again: not again before another STALE_AFTER
        assert jobs.stale_imports(uow.session, utcnow() + LATER + timedelta(minutes=1)) == []
        assert jobs.stale_imports(uow.session, utcnow() + 2 * LATER + timedelta(minutes=1)) == [import_id]
    assert PERIODIC["imports.sweep"][0] is import_actors.sweep


def test_the_chat_queues_the_job_and_follows_it_from_its_row(db, tmp_path):
    from agent.ui.chat_import import follow_import
    from workers.broker import broker

    worker = dramatiq.Worker(broker, queues={"imports"}, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        with unit_of_work() as uow:
            import_id = queue_import(uow.session, _file(tmp_path), actor=ADMIN, filename="people.csv")
        message = StatusMessage()
        result = asyncio.run(follow_import(import_id, message, poll=0.01))
    finally:
        worker.stop()
    assert (result.import_id, result.rows, result.created, result.rejected) == (import_id, 30, 26, 2)
    assert message.shown[-1] == "Import finished."
    waiting = "Import queued: it starts as soon as a worker is free. The chat stays usable meanwhile."  # if slow
    assert all(text.startswith("Importing… ") or text == waiting for text in message.shown[:-1]), message.shown


def test_the_chat_stops_following_an_import_no_worker_takes_and_says_how_to_ask(db, tmp_path):
    """With no worker running (Redis without `mkt worker`), the chat does not wait for ever: after `queued_for` it
    says the import is still queued and how to ask; the job still runs once a worker comes."""
    from agent.ui.chat_import import follow_import
    from workers.broker import broker

    with unit_of_work() as uow:
        import_id = queue_import(uow.session, _file(tmp_path), actor=ADMIN, filename="people.csv")
    message = StatusMessage()
    assert asyncio.run(follow_import(import_id, message, poll=0.01, queued_for=0.3)) is None
    assert message.shown[-1] == (f"Import #{import_id} is still queued: no worker has taken it yet. It starts as soon "
                                 f"as one is free; ask \"how did import {import_id} go\" to see where it stands.")
    assert len(message.shown) == 1, message.shown  # given up before the 2 s "queued" note
    worker = dramatiq.Worker(broker, queues={"imports"}, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        later = StatusMessage()
        result = asyncio.run(follow_import(import_id, later, poll=0.01))
    finally:
        worker.stop()
    assert (result.rows, result.created, result.rejected) == (30, 26, 2)
    assert later.shown[-1] == "Import finished."


def test_the_chat_says_why_a_queued_import_failed(db, tmp_path):
    from agent.ui.chat_import import follow_import
    from workers.broker import broker

    path = _file(tmp_path)
    with unit_of_work() as uow:
        import_id = queue_import(uow.session, path, actor=ADMIN, filename="people.csv")
    path.unlink()  # gone before a worker takes the job
    worker = dramatiq.Worker(broker, queues={"imports"}, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        message = StatusMessage()
        result = asyncio.run(follow_import(import_id, message, poll=0.01))
    finally:
        worker.stop()
    assert result is None
    assert message.shown[-1].startswith("Import failed: the file people.csv is no longer there"), message.shown


def test_the_chat_says_where_imports_stand_and_why_one_failed(db, tmp_path):
    """An import runs as a job, so whoever was not watching asks the chat: the latest import, one by number, or
    the list; a failed one says why, and its problems are one question away."""
    from tests.agent_support import chat

    path = _file(tmp_path)
    gone = _interrupted(path)
    path.unlink()
    with unit_of_work() as uow:
        assert jobs.stale_imports(uow.session, utcnow() + LATER) == [gone]
    import_actors.run(gone)
    done = run_import(_file(tmp_path, rows=5), actor=ADMIN).import_id
    latest, one, every, problems = chat("how did my import go", f"is import #{gone} done?", "show my imports",
                                        f"what went wrong with import {gone}")
    assert [c["name"] for c in latest.tool_calls] == ["list_imports"], latest.tool_calls
    assert f"Import #{done} (people.csv): done." in latest.text, latest.text
    assert f"Import #{gone} (people.csv): failed: the file people.csv is no longer there" in one.text, one.text
    assert every.text == "The latest 2 imports, newest first."
    listed = every.displays[0]["rows"]
    assert [(r[0], r[2]) for r in listed] == [(f"#{done}", "done"), (f"#{gone}", "failed: the file people.csv is no "
                                                "longer there (uploads are kept under var/uploads): upload it again")]
    assert f"Import #{gone} (failed: the file people.csv is no longer there" in problems.text, problems.text
