"""A launch starts sending within seconds from every entry point (issue 17, item 4). The default set-up: SQLite and the
in-memory queue. A launch made in another process (the CLI: `mkt chat`, here the same launch in a child process whose
in-memory queue dies with it) is picked up by the running `mkt serve`'s worker within seconds, not after
MKT_SENDING_STALE_SECONDS (600 s); a launch with no server or worker running says so plainly and is sent as soon as
the server starts. Waits on the event (messages at the Postmark fake) with a generous bound, never a fixed sleep."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine

from tests.e2e.server import running_server
from tests.fakes.postmark import FakePostmark
from tests.fakes.server import serve_app
from tests.faults_support import base_env, launch, seed_contacts, wait_until

N = 3
BOUND_S = 60  # generous: the point is seconds, not MKT_SENDING_STALE_SECONDS (600 s)


def test_a_cli_launch_on_sqlite_is_sent_by_the_running_server_within_seconds(tmp_path: Path):
    from db import migrate

    url = f"sqlite:///{tmp_path / 'mkt.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    seed_contacts(engine, N)
    engine.dispose()
    fake = FakePostmark()
    with serve_app(fake.app()) as pm_url:
        env = base_env(url, "", "mkt-pickup", tmp_path) | {
            "POSTMARK_SERVER_TOKEN": fake.token, "MKT_POSTMARK_API_URL": pm_url, "MKT_SENDING_STALE_SECONDS": "600"}
        first = launch(env, "email", "Before the server")  # nobody runs: said plainly, nothing lost
        assert first["queued"] == N
        assert "No `mkt serve` or `mkt worker` is running" in (first["worker_note"] or ""), first
        with running_server(tmp_path, **env) as server:
            wait_until(f"the launch made before the server started, at the fake ({server.log_path})",
                       lambda: len(fake.delivered) >= N, BOUND_S)
            started = time.monotonic()
            second = launch(env, "email", "With the server")
            committed = time.monotonic()  # the launching process has committed its rows and exited
            assert second["worker_note"] is None, second
            wait_until(f"the CLI launch with the server running, at the fake ({server.log_path})",
                       lambda: len(fake.delivered) >= 2 * N, BOUND_S, step=0.05)
            done = time.monotonic()
    print(f"\nPICKUP cli launch on sqlite with mkt serve running: all {N} at the fake {done - committed:.1f} s after "
          f"the launch process exited ({done - started:.1f} s including its start-up)", flush=True)
    assert len(fake.delivered) == 2 * N and sorted(fake.per_activity().values()) == [1] * (2 * N)
