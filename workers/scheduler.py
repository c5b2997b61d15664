"""Periodic jobs: `@periodic(seconds)` on an actor makes the scheduler enqueue it every `seconds`.

A scheduler thread runs in every worker process (and in `mkt serve` without Redis); before enqueueing a tick
it takes a lease named after the actor for the interval, so however many schedulers run, each periodic
actor is enqueued at most once per interval across the whole deployment."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

import dramatiq

from db.locks import try_lease
from db.session import unit_of_work

log = logging.getLogger(__name__)
PERIODIC: dict[str, tuple[dramatiq.Actor, float]] = {}


def resend(find: Callable[..., list[int]], actor: dramatiq.Actor, what: str) -> int:
    """A sweep's body: the ids `find(session)` returns (work whose message may be lost) sent again to `actor`,
    logged when there were any. Returns how many."""
    with unit_of_work() as uow:
        ids = find(uow.session)
    for item_id in ids:
        actor.send(item_id)
    if ids:
        log.warning("%s: re-sent %d %s", actor.actor_name, len(ids), what)
    return len(ids)


def periodic(seconds: float) -> Callable[[dramatiq.Actor], dramatiq.Actor]:
    """Register a (zero-argument) actor to run every `seconds`."""

    def register(actor: dramatiq.Actor) -> dramatiq.Actor:
        PERIODIC[actor.actor_name] = (actor, seconds)
        return actor

    return register


class Scheduler(threading.Thread):
    def __init__(self, poll_seconds: float = 1.0) -> None:
        super().__init__(name="mkt-scheduler", daemon=True)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.poll_seconds = poll_seconds
        self._stop_event = threading.Event()

    def tick(self) -> list[str]:
        """Enqueue every periodic actor whose lease this scheduler wins. Returns their names."""
        fired = []
        for name, (actor, seconds) in list(PERIODIC.items()):
            with unit_of_work() as uow:
                won = try_lease(uow.session, f"periodic:{name}", self.owner, seconds, renew=False)
            if won:
                actor.send()
                fired.append(name)
        return fired

    def run(self) -> None:
        while not self._stop_event.wait(self.poll_seconds):
            try:
                self.tick()
            except Exception:  # the next tick tries again; a database blip must not kill the thread
                log.exception("scheduler tick failed")

    def stop(self) -> None:
        self._stop_event.set()


class SchedulerMiddleware(dramatiq.Middleware):
    """Starts a scheduler thread in each `mkt worker` process."""

    def __init__(self) -> None:
        self.scheduler: Scheduler | None = None

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self.scheduler = Scheduler()
        self.scheduler.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if self.scheduler:
            self.scheduler.stop()
