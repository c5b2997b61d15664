"""Only for runs of the suite under libfaketime (docs/testing.md, "Any hour"): `PYTHONPATH=tests/faketime`.

libfaketime 0.9.10 cannot fake the wall clock and keep both kinds of timed wait working: with the monotonic clock
faked, a timed wait on a condition (threading.Event.wait, queue.get(timeout=), dramatiq's) never ends; with
DONT_FAKE_MONOTONIC=1 those work but every time.sleep fails with "OSError: [Errno 22] Invalid argument" (Python
sleeps with clock_nanosleep on an absolute monotonic deadline, which libfaketime mangles). So under faketime, and
only there, time.sleep waits on an Event instead. Nothing of ours is changed: this file is loaded by Python at start
(site) only when its folder is on PYTHONPATH."""

import os
import threading
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):
    _sleep = time.sleep

    def _faked_sleep(seconds: float) -> None:
        try:
            _sleep(seconds)
        except OSError:
            threading.Event().wait(seconds)

    time.sleep = _faked_sleep
