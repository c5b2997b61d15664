"""Helpers of tests/integration/test_faults.py: private Redis and PostgreSQL servers (never the machine's shared ones),
`mkt worker` processes in their own process groups, a launcher subprocess and a fake-provider wrapper that counts
requests in flight.

Run as a module (`python -m tests.faults_support launch CHANNEL NAME`) it drafts and launches a campaign to every
contact with the settings of its environment: the broker is built from settings at import, so launching in a child
process with MKT_REDIS_URL / MKT_QUEUE_NAMESPACE of the test enqueues the send jobs on the test's private queue."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bench_campaigns import _stop
from tests.fakes.server import free_port

ROOT = Path(__file__).resolve().parent.parent
MKT = str(Path(sys.executable).parent / "mkt")


# Bounds are "something is wrong" limits, never expected durations: a loaded machine (another suite beside this one)
# gets PATIENCE times the bound a test names before a wait fails. MKT_TEST_PATIENCE changes it.
PATIENCE = float(os.environ.get("MKT_TEST_PATIENCE", "5"))


def wait_until(what: str, check: Callable[[], Any], seconds: float, step: float = 0.1,
               state: Callable[[], Any] | None = None) -> Any:
    """Poll `check` until it returns something truthy (its value is returned). After PATIENCE x `seconds`, an
    AssertionError naming `what`, the bound and, when given, `state()`: what was seen last (progress counts)."""
    bound = seconds * PATIENCE
    deadline = time.monotonic() + bound
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"; last seen: {state()}" if state is not None else ""
            raise AssertionError(f"timed out after {bound:.0f} s waiting for {what}{seen}")
        time.sleep(step)


def logged(paths: list[Path], text: str, since: dict[Path, int] | None = None) -> bool:
    """Whether any of these log files holds `text` (after the byte offsets in `since`, when given)."""
    for path in paths:
        if path.exists() and text in path.read_text(errors="replace")[(since or {}).get(path, 0):]:
            return True
    return False


def log_sizes(paths: list[Path]) -> dict[Path, int]:
    return {path: len(path.read_text(errors="replace")) if path.exists() else 0 for path in paths}


# --- fake providers ------------------------------------------------------------------------------------------

class Counting:
    """An ASGI wrapper counting POST requests arrived and still in flight (the fake sleeps its latency inside).

    `hold_when(predicate)`: from the first request that arrives while `predicate()` is true, requests are held at
    the door (in flight, not yet answered) until `release()`; `held` is set when one is, so a test can kill a worker
    with a request surely in flight, without polling for the instant one happens to be."""

    def __init__(self, app: Any) -> None:
        self.app, self.arrived, self.in_flight = app, 0, 0
        self.held, self._released = threading.Event(), threading.Event()
        self._hold: Callable[[], bool] | None = None

    def hold_when(self, predicate: Callable[[], bool]) -> None:
        self._hold = predicate

    def release(self) -> None:
        self._released.set()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        self.arrived += 1
        self.in_flight += 1
        try:
            if self._hold is not None and not self._released.is_set() and (self.held.is_set() or self._hold()):
                receive = await self._held_until_released(receive)
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


    async def _held_until_released(self, receive: Any) -> Any:
        """Read the whole request (the provider has it), wait for release(), then hand it to the fake: a request
        whose sender died meanwhile is still carried out, as a real provider would."""
        body = []
        while True:
            message = await receive()
            body.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        self.held.set()
        await asyncio.to_thread(self._released.wait)

        async def replay() -> dict:
            return body.pop(0) if body else await receive()

        return replay


# --- private servers -------------------------------------------------------------------------------------------

def server_env() -> dict[str, str]:
    """The environment of the private Redis and PostgreSQL servers: never under libfaketime (the suite may run
    under it to prove it passes at any hour: docs/testing.md); redis-server under it never answers."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "DONT_FAKE_MONOTONIC")}


class RedisServer:
    """`redis-server --port P --save "" --appendonly no`: stop() (SHUTDOWN NOSAVE) loses every key, as a crash would."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir, self.proc = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(self.workdir)], stdout=(self.workdir / "redis.log").open("a"),
            stderr=subprocess.STDOUT, start_new_session=True, env=server_env())
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_until("redis-server to answer", up, 10)

    def stop(self) -> None:
        import redis

        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            redis.Redis.from_url(self.url, socket_connect_timeout=1).shutdown(nosave=True)
        except redis.RedisError:
            pass  # the connection drops as the server exits
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class PgCluster:
    """A throw-away PostgreSQL cluster (initdb in a temp dir, trust auth, a free port), run as the postgres user
    when we are root (initdb refuses root)."""

    def __init__(self) -> None:
        self.bin = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="mkt-faults-pg-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/mkt"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_user, *args], check=True, timeout=timeout, stdout=subprocess.DEVNULL,  # noqa: S603
                       stderr=subprocess.PIPE, env=server_env())

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")
        self.start()
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "mkt")

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            if (self.dir / "data" / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


# --- worker processes and the launcher ---------------------------------------------------------------------------

def base_env(database_url: str, redis_url: str, namespace: str, var_dir: Path) -> dict[str, str]:
    """The environment of the worker and launcher processes (provider settings are added per test)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MKT_", "POSTMARK_", "SENTDM_"))}
    return env | {
        "MKT_DATABASE_URL": database_url, "MKT_REDIS_URL": redis_url, "MKT_QUEUE_NAMESPACE": namespace,
        "MKT_VAR_DIR": str(var_dir), "MKT_SENDER_POSTAL_ADDRESS": "Acme Inc, 1 Main St, Austin TX 78701",
        "MKT_PUBLIC_URL": "https://mkt.test", "MKT_UNSUBSCRIBE_SECRET": "faults", "MKT_LOG_LEVEL": "INFO",
        "MKT_SEND_CAP_24H": "0", "MKT_SEND_CAP_7D": "0",
        # a send claimed 4 s ago without a result is in doubt; a dead worker's jobs come back after 3 s of silence
        "MKT_SENDING_STALE_SECONDS": "4", "MKT_QUEUE_HEARTBEAT_SECONDS": "3", "MKT_QUEUE_MAINTENANCE_CHANCE": "200000",
        # ours first; an outer PYTHONPATH kept (tests/faketime when the suite runs under libfaketime: docs/testing.md)
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def start_worker(env: dict[str, str], log: Path, threads: int = 4) -> subprocess.Popen:
    """`mkt worker -p 1 -t THREADS` (it pings Redis, sets MKT_RUN_SCHEDULER=1 and execs the dramatiq CLI) in a
    process group of its own, so one kill -9 takes the whole worker instance."""
    with log.open("a") as out:
        return subprocess.Popen([MKT, "worker", "-p", "1", "-t", str(threads)], cwd=ROOT, env=env,  # noqa: S603
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill9(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def stop_workers(procs: list[subprocess.Popen]) -> None:
    _stop([p for p in procs if p.poll() is None])


def launch(env: dict[str, str], channel: str, name: str) -> dict[str, Any]:
    """Draft and launch a campaign to every contact in a child process (see the module docstring)."""
    out = subprocess.run([sys.executable, "-m", "tests.faults_support", "launch", channel, name], cwd=ROOT,  # noqa: S603
                         env=env, capture_output=True, text=True, timeout=60 * PATIENCE)
    if out.returncode:
        raise AssertionError(f"launch failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def seed_contacts(engine: Any, n: int, prefix: str = "r") -> None:
    """`n` reachable contacts (email + US phone) in a zone where it is midday now (no quiet hours)."""
    import sqlalchemy as sa

    from db.models import Contact
    from tests.integration.campaign_support import zone_at

    zone = zone_at(12)
    rows = [{"email": f"{prefix}{i}@example.com", "phone": f"+1512{2000000 + i:07d}", "first_name": f"P{i}",
             "timezone": zone} for i in range(n)]
    with engine.begin() as conn:
        conn.execute(sa.insert(Contact), rows)


def _launch_main(channel: str, name: str) -> None:
    import workers.actors  # noqa: F401  (this launcher is an entry point: launch enqueues actors by name)
    from db.session import unit_of_work
    from domain.roles import Role
    from tools.campaigns.drafting import draft_campaign
    from tools.campaigns.lifecycle import launch_campaign
    from tools.users import Actor

    actor = Actor("faults@example.com", Role.MARKETER)
    content = ({"subject": "News for {first_name|you}", "body_text": "Hi {first_name|there}, spring is here.",
                "body_html": "<p>Hi {first_name|there}</p>"} if channel == "email"
               else {"body_text": "Hi {first_name|there}, 20% off today."})
    with unit_of_work() as uow:
        view = draft_campaign(uow.session, actor, name=name, channel=channel, filter=None,
                              send_rules={"cap_24h": 0, "cap_7d": 0}, **content)
        result = launch_campaign(uow.session, actor, view.id)
    print(json.dumps({"campaign_id": result.campaign_id, "queued": result.queued, "deferred": result.deferred,
                      "excluded": result.excluded,
                      "worker_note": getattr(result, "worker_note", None)}), flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["launch"]:
        _launch_main(sys.argv[2], sys.argv[3])
