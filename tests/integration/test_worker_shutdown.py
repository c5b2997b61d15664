"""Graceful worker shutdown, in the mode of the pass: with Redis, the real `mkt worker` command line (the argv it
execs, captured) in its own process group, stopped with SIGTERM; without Redis, the in-process worker of `mkt serve`
stopped as the app stops it. A running job finishes. With Redis, a job longer than the shutdown timeout is not lost:
it runs again on the next worker (marked `redis`: the SQLite pass leaves it out, the PostgreSQL + Redis pass runs it)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from settings import ROOT, get_settings
from tests.integration import slow_actor


def wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return False


def worker_argv(monkeypatch, shutdown_seconds: int) -> list[str]:
    """The argv `mkt worker -p 1 -t 2` execs (captured, not run), plus the test actor's module."""
    import argparse

    from cli import commands_run

    captured: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda _exe, argv: captured.append(list(argv)))
    monkeypatch.setattr(os, "chdir", lambda _path: None)
    monkeypatch.setenv("MKT_WORKER_SHUTDOWN_SECONDS", str(shutdown_seconds))
    monkeypatch.setenv("MKT_RUN_SCHEDULER", "0")  # worker() sets it to 1 for its processes; undone after the test
    from settings import reset_settings

    reset_settings()
    commands_run.worker(argparse.Namespace(processes=1, threads=2))
    reset_settings()
    argv = captured[0]
    assert "ops.worker_boot" in argv
    assert argv[argv.index("--worker-shutdown-timeout") + 1] == str(shutdown_seconds * 1000)
    broker_module = argv.index("workers.actors")
    return [*argv[: broker_module + 1], "tests.integration.slow_actor", *argv[broker_module + 1:]]


def start_worker(argv: list[str], log: Path) -> subprocess.Popen:
    # a dead worker's jobs come back after 3 s of silence instead of 60 (MKT_QUEUE_HEARTBEAT_SECONDS)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MKT_QUEUE_HEARTBEAT_SECONDS": "3",
           "MKT_QUEUE_MAINTENANCE_CHANCE": "200000"}
    env.pop("MKT_RUN_SCHEDULER", None)  # periodic jobs are not what this test is about
    with log.open("a") as out:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM to the main process only, as `docker stop` does (signalling the whole group would make every
    worker process see two SIGTERMs, and Dramatiq kills a worker at once on the second)."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


@pytest.fixture
def redis_mode(db) -> bool:
    return bool(get_settings().redis_url)


def test_a_running_job_finishes_when_the_worker_is_told_to_stop(redis_mode, tmp_path, monkeypatch):
    if redis_mode:
        proc = start_worker(worker_argv(monkeypatch, shutdown_seconds=20), tmp_path / "worker.log")
        try:
            slow_actor.slow.send(str(tmp_path), "a", 2.0)
            assert wait_for(tmp_path / "started-a", 30), (tmp_path / "worker.log").read_text()
            code = stop(proc)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert (tmp_path / "done-a").exists(), "the job was cut short"
        assert code == 0, (tmp_path / "worker.log").read_text()
        assert '"job ok"' in (tmp_path / "worker.log").read_text() or "job ok" in (tmp_path / "worker.log").read_text()
    else:
        from workers import embedded

        embedded.start()
        try:
            slow_actor.slow.send(str(tmp_path), "a", 1.5)
            assert wait_for(tmp_path / "started-a", 20)
        finally:
            embedded.stop()  # what the app does at shutdown
        assert (tmp_path / "done-a").exists(), "the in-process worker stopped before its job finished"


@pytest.mark.redis
def test_a_job_longer_than_the_shutdown_timeout_runs_again_on_the_next_worker(redis_mode, tmp_path, monkeypatch):
    assert redis_mode, "needs Redis (MKT_TEST_REDIS_URL): separate worker processes exist only with Redis"
    argv = worker_argv(monkeypatch, shutdown_seconds=1)
    first = start_worker(argv, tmp_path / "first.log")
    try:
        slow_actor.slow.send(str(tmp_path), "b", 4.0)
        assert wait_for(tmp_path / "started-b", 30), (tmp_path / "first.log").read_text()
        (tmp_path / "started-b").unlink()
        stop(first)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert not (tmp_path / "done-b").exists(), "the job should have been cut short"
    second = start_worker(argv, tmp_path / "second.log")
    try:
        assert wait_for(tmp_path / "done-b", 90), (tmp_path / "second.log").read_text()
    finally:
        stop(second)
