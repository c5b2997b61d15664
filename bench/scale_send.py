"""The send half of `python -m bench scale --send`: launch an email campaign to every one of the 1,000,000
contacts (outbox rows), then dispatch part of it to the Postmark fake (served in this process) with 2 and then 4
`dramatiq workers.actors -p 1 -t 4` processes, on the data of bench/bench_scale.py.

- launch: `launch_campaign` in a child process (its peak RSS is its own), against the bare SQL of the same outbox
  (one INSERT ... SELECT of the eligible contacts, rolled back);
- dispatch: `dispatch` messages (default 100,000) with 2 workers, then the next `dispatch` with 4, msg/s from the
  workers' start to the last of them at the fake, peak RSS (VmHWM) of every worker process; floor: a bare loop
  posting the same number of prebuilt 500-message batches to the same fake. The rest of the campaign is dropped
  (its queue removed), so the run ends in minutes; the next run deletes the campaigns this one made."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_CHILD = """
import json, resource, sys, time
import workers.actors  # declares every actor: launch enqueues campaigns.send_batch by name
from db.session import unit_of_work
from domain.roles import Role
from tools.campaigns.drafting import draft_campaign
from tools.campaigns.lifecycle import launch_campaign
from tools.users import Actor

actor = Actor("bench@example.com", Role.MARKETER)
start = time.perf_counter()
with unit_of_work() as uow:
    view = draft_campaign(uow.session, actor, name="Scale launch " + sys.argv[1], channel="email", filter=None,
                          subject="News for {first_name|you}", body_text="Hi {first_name|there}, spring is here.",
                          body_html="<p>Hi {first_name|there}</p>")
    result = launch_campaign(uow.session, actor, view.id)
took = time.perf_counter() - start
print(json.dumps({"campaign_id": view.id, "seconds": took, "queued": result.queued, "excluded": result.excluded,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BARE_OUTBOX = """
INSERT INTO marketing_activities (campaign_id, contact_id, channel, type, status, cost_micros, attempts, created_at,
                                  updated_at)
SELECT :campaign, id, 'email', 'campaign', 'queued', 0, 0, now(), now() FROM contacts
WHERE NOT is_sample AND email IS NOT NULL AND NOT opted_out_email AND email_status = 'ok'"""


def _env(redis_url: str) -> dict[str, str]:
    return {"MKT_DATABASE_URL": os.environ["MKT_DATABASE_URL"], "MKT_REDIS_URL": redis_url,
            "MKT_QUEUE_NAMESPACE": f"mkt-bench-scale-{uuid.uuid4().hex[:8]}", "MKT_SENDING_STALE_SECONDS": "60",
            "MKT_SENDER_POSTAL_ADDRESS": "1 Main St, Austin", "MKT_UNSUBSCRIBE_SECRET": "bench",
            "MKT_LOG_LEVEL": "WARNING", "MKT_VAR_DIR": "/tmp/mkt-bench-var", "MKT_EMAIL_RATE_PER_SECOND": "0"}


def _clear_previous(engine: sa.Engine) -> None:
    """Delete the campaigns of earlier send runs (ids above the generated ones) and their activities."""
    from bench.bench_scale import CAMPAIGNS

    start = time.perf_counter()
    with engine.begin() as conn:
        gone = conn.execute(sa.text("DELETE FROM marketing_activities WHERE campaign_id > :c"),
                            {"c": CAMPAIGNS}).rowcount
        conn.execute(sa.text("DELETE FROM campaigns WHERE id > :c"), {"c": CAMPAIGNS})
    if gone:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE marketing_activities"))
        print(f"  removed {gone:,} activities of earlier runs ({time.perf_counter() - start:.0f} s)", flush=True)


def _bare_launch(engine: sa.Engine) -> tuple[float, int]:
    """Seconds and rows of the bare outbox INSERT ... SELECT (in a campaign row made for it; rolled back)."""
    with engine.connect() as conn:
        tx = conn.begin()
        campaign = conn.scalar(sa.text(
            "INSERT INTO campaigns (name, channel, status, target_filter, body_text, variants, send_rules, stats, "
            "is_sample, created_at, updated_at) VALUES ('bare', 'email', 'draft', '{}', 'Hi', '[]', '{}', '{}', "
            "false, now(), now()) RETURNING id"))
        start = time.perf_counter()
        rows = conn.execute(sa.text(BARE_OUTBOX), {"campaign": campaign}).rowcount
        took = time.perf_counter() - start
        tx.rollback()
    return took, rows


def _launch(env: dict[str, str]) -> dict[str, Any]:
    def limit() -> None:  # a shared machine: the launch may not take more than 8 GB
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    out = subprocess.run([sys.executable, "-c", LAUNCH_CHILD, str(int(time.time()))], cwd=ROOT,  # noqa: S603
                         env=os.environ | env, capture_output=True, text=True, preexec_fn=limit, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"launch failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _group_peak_rss(procs: list[subprocess.Popen]) -> list[float]:
    """VmHWM (MB) of every process in the workers' process groups (the dramatiq parent and its worker)."""
    groups, peaks = {p.pid for p in procs}, []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) in groups:
                status = (stat.parent / "status").read_text()
                peaks.append(int(next(ln for ln in status.splitlines() if ln.startswith("VmHWM")).split()[1]) / 1024)
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return sorted(peaks, reverse=True)


def _dispatch(env: dict[str, str], fake: Any, workers: int, n: int) -> tuple[float, list[float]]:
    from bench.bench_campaigns import _stop, _workers

    first = len(fake.delivered)
    procs = _workers(env, {}, count=workers)
    try:
        start = time.perf_counter()
        deadline = time.monotonic() + 1800
        while len(fake.delivered) - first < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{workers} workers: {len(fake.delivered) - first:,} of {n:,} in 30 minutes")
            time.sleep(0.2)
        took = time.perf_counter() - start
        peaks = _group_peak_rss(procs)
    finally:
        _stop(procs)
    return took, peaks


def measure_send(engine: sa.Engine, dispatch: int) -> list[str]:
    from bench.bench_campaigns import _cleanup_redis, _floor
    from tests.fakes.postmark import FakePostmark
    from tests.fakes.server import serve_app

    _clear_previous(engine)
    env = _env(os.environ.get("MKT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    fake = FakePostmark()
    rows = ["| measure | time | rate | peak RSS |", "| --- | --- | --- | --- |"]
    with serve_app(fake.app()) as url:
        env |= {"POSTMARK_SERVER_TOKEN": fake.token, "MKT_POSTMARK_API_URL": url}
        try:
            bare_s, bare_rows = _bare_launch(engine)
            rows.append(f"| bare SQL: outbox INSERT ... SELECT of the eligible contacts | {bare_s:.1f} s | "
                        f"{bare_rows / bare_s:,.0f} rows/s ({bare_rows:,} rows) | |")
            print(rows[-1], flush=True)
            launch = _launch(env)
            rows.append(f"| launch_campaign, audience 1,000,000 ({launch['queued']:,} queued, excluded "
                        f"{launch['excluded']}) | {launch['seconds']:.1f} s | {launch['queued'] / launch['seconds']:,.0f}"
                        f" rows/s (ratio to bare {bare_s / launch['seconds']:.2f}) | {launch['peak_rss_mb']:,.0f} MB |")
            print(rows[-1], flush=True)
            floor_s = _floor(url, fake.token, dispatch)
            fake.delivered.clear()
            rows.append(f"| floor: bare loop posting {dispatch // 500:,} batches of 500 to the fake | {floor_s:.1f} s | "
                        f"{dispatch / floor_s:,.0f} msg/s | |")
            print(rows[-1], flush=True)
            for count in (2, 4):
                took, peaks = _dispatch(env, fake, count, dispatch)
                rows.append(f"| dispatch of {dispatch:,} with {count} workers (-p 1 -t 4) | {took:.1f} s | "
                            f"{dispatch / took:,.0f} msg/s (ratio to floor {floor_s / took:.2f}) | "
                            f"{', '.join(f'{p:.0f}' for p in peaks)} MB |")
                print(rows[-1], flush=True)
            dupes = sum(1 for c in fake.per_activity().values() if c > 1)
            rows.append(f"| delivered at the fake / duplicates | {len(fake.delivered):,} / {dupes} | | |")
        finally:
            _cleanup_redis(env)
    return rows
