"""A slow actor for the graceful-shutdown tests: writes `<folder>/started-<tag>`, sleeps, then `<folder>/done-<tag>`.
Imported by the test process (to enqueue) and by the worker processes it starts (to run it)."""

from __future__ import annotations

import time
from pathlib import Path

import dramatiq

from workers import broker as _broker  # noqa: F401  (the shared broker first)

QUEUE = "test_slow"


@dramatiq.actor(actor_name="test.slow", queue_name=QUEUE, max_retries=3, min_backoff=100, max_backoff=500)
def slow(folder: str, tag: str, seconds: float) -> None:
    Path(folder, f"started-{tag}").write_text(str(time.time()))
    time.sleep(seconds)
    Path(folder, f"done-{tag}").write_text(str(time.time()))
