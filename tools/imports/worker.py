"""Normalisation worker for large imports, one process per CPU: started by tools.imports.importer as
`python -m tools.imports.worker`, it reads jobs (records, plan, default region, width) from its stdin and writes
`domain.imports.normalise_records` results, packed (tools.imports.wire), to its stdout, one pickle each, until stdin closes.

A plain child process rather than multiprocessing: multiprocessing's spawn/forkserver re-run the parent's
__main__ script in every worker (a script without a __main__ guard would run again), and fork is unsafe in a
threaded server. The pipes carry only data from the parent that started this process, so pickle is safe here."""

from __future__ import annotations

import atexit
import gc
import pickle  # noqa: S403 - parent-to-child pipe only (see above)
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # not from settings: the worker would import pydantic for nothing


def main() -> None:
    from domain.imports import normalise_records
    from tools.imports.wire import pack

    gc.disable()  # a batch makes ~100,000 short-lived acyclic objects: the cycle collector only costs (~25%) here
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            job = pickle.load(source)  # noqa: S301 - our parent's data
        except EOFError:
            return
        pickle.dump(pack(normalise_records(*job)), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


class WorkerPool:
    """`size` worker processes; job k goes to worker k % size and its result is read back in the same order, so
    each worker holds at most one batch and no pipe can deadlock."""

    def __init__(self, size: int) -> None:
        self.procs = [subprocess.Popen([sys.executable, "-m", "tools.imports.worker"], stdin=subprocess.PIPE,  # noqa: S603
                                       stdout=subprocess.PIPE, cwd=ROOT) for _ in range(size)]
        self.sent = self.received = 0

    def submit(self, job: tuple[Any, ...]) -> None:
        proc = self.procs[self.sent % len(self.procs)]
        pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        proc.stdin.flush()
        self.sent += 1

    def result(self) -> Any:
        proc = self.procs[self.received % len(self.procs)]
        try:
            out = pickle.load(proc.stdout)  # noqa: S301 - our child's data
        except EOFError:
            raise RuntimeError(f"an import worker process stopped (exit code {proc.poll()})") from None
        self.received += 1
        return out

    @property
    def in_flight(self) -> int:
        return self.sent - self.received

    @property
    def alive(self) -> bool:
        return all(proc.poll() is None for proc in self.procs)

    def close(self) -> None:
        for proc in self.procs:
            if proc.stdin:
                proc.stdin.close()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


_shared: list[WorkerPool] = []
_shared_lock = threading.Lock()


@contextmanager
def worker_pool(size: int) -> Iterator[WorkerPool]:
    """A pool of `size` workers. One import at a time reuses a pool kept for the life of the process (workers
    start once and keep what they learnt: phone prefixes, email domains); a concurrent import gets its own,
    closed after it. A pool left with work in flight (an import that failed) is closed, never reused."""
    if not _shared_lock.acquire(blocking=False):
        pool = WorkerPool(size)
        try:
            yield pool
        finally:
            pool.close()
        return
    try:
        if not _shared or len(_shared[0].procs) != size or not _shared[0].alive:
            _close_shared()
            _shared.append(WorkerPool(size))
        pool = _shared[0]
        try:
            yield pool
        finally:
            if pool.in_flight:
                _close_shared()
    finally:
        _shared_lock.release()


@atexit.register
def _close_shared() -> None:
    while _shared:
        _shared.pop().close()


if __name__ == "__main__":
    main()
