"""An email and an SMS campaign launched together (issue 17, item 2: waiting never holds a thread). PostgreSQL + Redis,
2 `dramatiq workers.actors` processes x 4 threads, the Postmark and Sent.dm fakes over HTTP, each enforcing its own
rate with a token bucket (429 when exceeded) and answering with latency (email 0.2 s, SMS 0.05 s).

Baseline in the same run: each campaign alone, same settings. Then both launched at the same moment. Printed per
channel: the achieved rate (messages between the first and the last request at the fake over that time), its ratio
to the configured rate and to the baseline, and the requests refused over the fake's limit. Goal: together, each
>= 95% of its own configured rate, 0 refused. Before the fix a batch slept in its worker thread until its rate-limit
slot, so email batches waiting for their slots starved SMS of threads (issue 17: SMS at zero for ~25 s).

Run: `python -m bench two_campaigns [--quick]` (the same PostgreSQL / Redis settings as `python -m bench campaigns`)."""

from __future__ import annotations

import os
import time
from contextlib import ExitStack
from typing import Any

from bench.bench_campaigns import _cleanup_redis, _fresh, _launch, _setup_env, _stop, _wait_done, _workers

EMAIL_RATE, SMS_RATE = 100, 20  # messages per second, configured and enforced by the fakes
EMAIL_BATCH, SMS_BATCH = 20, 10


def _fakes(stack: ExitStack) -> tuple[Any, Any, dict[str, str]]:
    from tests.fakes.postmark import FakePostmark
    from tests.fakes.sentdm import FakeSentDm
    from tests.fakes.server import serve_app

    pm = FakePostmark(rate_per_second=EMAIL_RATE, burst=EMAIL_RATE, latency=0.2)
    sd = FakeSentDm(rate_per_second=SMS_RATE, burst=SMS_RATE, latency=0.05)
    pm_url, sd_url = stack.enter_context(serve_app(pm.app())), stack.enter_context(serve_app(sd.app()))
    extra = {"POSTMARK_SERVER_TOKEN": pm.token, "MKT_POSTMARK_API_URL": pm_url, "SENTDM_API_KEY": sd.api_key,
             "MKT_SENTDM_API_URL": sd_url, "MKT_EMAIL_RATE_PER_SECOND": str(EMAIL_RATE),
             "MKT_SMS_RATE_PER_SECOND": str(SMS_RATE), "MKT_EMAIL_BATCH_SIZE": str(EMAIL_BATCH),
             "MKT_SMS_BATCH_SIZE": str(SMS_BATCH), "dramatiq_worker_timeout": "100"}  # as `mkt worker` sets
    return pm, sd, extra


def _email_rate(pm: Any) -> tuple[float, int]:
    sent = [e for e in pm.log if e["status"] == 200]
    if len(sent) < 2:
        return 0.0, pm.over_limit
    messages = sum(len(e["ids"]) for e in sent) - len(sent[-1]["ids"])  # those sent before the last request
    return messages / (sent[-1]["at"] - sent[0]["at"]), pm.over_limit


def _sms_rate(sd: Any) -> tuple[float, int]:
    times = sd.request_times
    return ((len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0), sd.over_limit


def run(env: dict[str, str], channels: tuple[str, ...], seconds: float) -> dict[str, tuple[float, int]]:
    """Launch a campaign per channel at the same moment, each sized for `seconds` at its rate; their rates."""
    sizes = {"email": int(EMAIL_RATE * seconds), "sms": int(SMS_RATE * seconds)}
    _fresh(max(sizes[c] for c in channels))
    with ExitStack() as stack:
        pm, sd, extra = _fakes(stack)
        os.environ.update(extra)
        from settings import reset_settings

        reset_settings()
        procs = _workers(env, extra)
        stack.callback(lambda: _stop(procs))
        ids = {c: _launch(c, f"Together {c} {time.time()}")[0] for c in channels}
        for c in channels:
            _wait_done(ids[c], sizes[c], seconds * 4 + 60)
        return {c: (_email_rate(pm) if c == "email" else _sms_rate(sd)) for c in channels}


def main(flags: list[str]) -> str:
    seconds = 10.0 if "--quick" in flags else 20.0
    env = _setup_env("--quick" in flags)
    try:
        alone = {c: run(env, (c,), seconds)[c] for c in ("email", "sms")}
        together = run(env, ("email", "sms"), seconds)
    finally:
        _cleanup_redis(env)
    rows = ["| channel (2 workers x 4 threads) | configured | alone (baseline) | together | together / configured | "
            "together / alone | refused over the limit (alone, together) |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for c, rate in (("email", EMAIL_RATE), ("sms", SMS_RATE)):
        (a, a_over), (t, t_over) = alone[c], together[c]
        rows.append(f"| {c} | {rate}/s | {a:.1f}/s | {t:.1f}/s | {t / rate:.3f} | {t / a:.3f} | {a_over}, {t_over} |")
    table = "\n".join(rows)
    print(table, flush=True)
    return table
