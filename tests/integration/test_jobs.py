"""db.jobs.enqueue: a message to an actor, by name, sent once the transaction commits and never on rollback,
through the configured broker (StubBroker, or Redis)."""

from __future__ import annotations

import ast
import subprocess
import sys
import uuid
from pathlib import Path

import dramatiq
import pytest

from db.jobs import NoSuchActor, enqueue
from db.models import SchedulerLock, utcnow
from db.session import session_factory, unit_of_work
from workers.broker import broker

RECEIVED: list[tuple[str, int]] = []


@dramatiq.actor(actor_name=f"tests.jobs_record_{uuid.uuid4().hex[:6]}", queue_name=f"tjobs{uuid.uuid4().hex[:6]}",
                max_retries=0)
def record(word: str, number: int) -> None:
    RECEIVED.append((word, number))


def received(act) -> list[tuple[str, int]]:
    """Run a worker on the test queue until every message sent during `act()` is consumed; what it received."""
    RECEIVED.clear()
    worker = dramatiq.Worker(broker, queues={record.queue_name}, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        act()
        broker.join(record.queue_name, timeout=10_000)
    finally:
        worker.stop()
    return sorted(RECEIVED)


def add_row(session, name: str) -> None:
    """A row of this transaction (to see what a rollback keeps)."""
    session.add(SchedulerLock(name=f"test.{name}.{uuid.uuid4().hex[:6]}", owner="test", locked_until=utcnow()))
    session.flush()


def test_sent_by_name_after_commit(db):
    def act():
        with unit_of_work() as uow:
            add_row(uow.session, "a")
            enqueue(uow.session, record.actor_name, "one", 1)
            enqueue(uow.session, record.actor_name, "two", 2)
            assert RECEIVED == []  # nothing before the commit

    assert received(act) == [("one", 1), ("two", 2)]


def test_nothing_sent_when_the_unit_of_work_rolls_back(db):
    def act():
        with pytest.raises(RuntimeError), unit_of_work() as uow:
            add_row(uow.session, "a")
            enqueue(uow.session, record.actor_name, "lost", 1)
            raise RuntimeError("rolled back")
        with unit_of_work() as uow:
            enqueue(uow.session, record.actor_name, "kept", 2)

    assert received(act) == [("kept", 2)]


def test_work_added_before_a_rollback_of_the_session_is_dropped(db):
    def act():
        with unit_of_work() as uow:
            add_row(uow.session, "a")
            enqueue(uow.session, record.actor_name, "before", 1)
            uow.session.rollback()
            enqueue(uow.session, record.actor_name, "after", 2)

    assert received(act) == [("after", 2)]


def test_a_bare_session_sends_after_each_commit(db):
    def act():
        session = session_factory(db)()
        try:
            add_row(session, "a")
            enqueue(session, record.actor_name, "first", 1)
            session.commit()
            enqueue(session, record.actor_name, "dropped", 2)
            session.rollback()
            enqueue(session, record.actor_name, "second", 3)
            session.commit()
        finally:
            session.close()

    assert received(act) == [("first", 1), ("second", 3)]


def test_an_undeclared_actor_fails_inside_the_transaction_and_nothing_is_written(db):
    with pytest.raises(NoSuchActor, match="nobody.declared"), unit_of_work() as uow:
        add_row(uow.session, "never")
        enqueue(uow.session, "nobody.declared", 1)
    with unit_of_work() as uow:
        assert uow.session.query(SchedulerLock).count() == 0


def enqueued_names() -> set[str]:
    """Every actor name our code passes to `enqueue(session, "area.verb", ...)`, read from the source."""
    root = Path(__file__).resolve().parents[2]
    names = set()
    for path in root.glob("*/**/*.py"):
        top = path.parts[len(root.parts)]  # our packages only: no tests, no virtualenv (.venv, .venv-x, venv ...)
        if top in ("tests", "bench", "mutants") or top.startswith(".") or (root / top / "pyvenv.cfg").exists():
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "enqueue"
                    and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)):
                names.add(node.args[1].value)
    return names


@pytest.mark.parametrize("entry_point", ["webhooks.app", "agent.core.execute", "workers.actors"])
def test_every_entry_point_declares_every_actor_the_code_enqueues(entry_point):
    names = enqueued_names()
    assert {"campaigns.send_batch", "campaigns.send_test", "enrichment.run", "outbound.deliver"} <= names
    code = (f"import {entry_point}\nfrom db.jobs import actor\n"
            f"for name in {sorted(names)!r}:\n    print(actor(name).actor_name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    assert sorted(out.stdout.split()) == sorted(names)
