"""The CSV import job: `imports.run(import_id)` runs a queued import (tools.imports.importer.run_job: from the start,
or after its last committed batch when resumed); `imports.sweep` (periodic) puts imports left running by a stopped
process back in the queue, or fails them plainly after tools.imports.job.MAX_ATTEMPTS runs, and sends again the
queued ones whose message may be lost. An import takes minutes: it has its own queue and a long time limit."""

from __future__ import annotations

import logging

import dramatiq

from tools.imports.csv_files import ImportFileError
from tools.imports.importer import ImportRequestError, ImportTakenOver, run_job
from tools.imports.job import stale_imports
from workers import broker as _broker  # noqa: F401
from workers.scheduler import periodic, resend

log = logging.getLogger(__name__)
SWEEP_SECONDS = 120
TIME_LIMIT_MS = 12 * 3600 * 1000  # a resumed run ends what is left; a run cut by this limit is resumed by the sweep


@dramatiq.actor(actor_name="imports.run", queue_name="imports", max_retries=0, time_limit=TIME_LIMIT_MS)
def run(import_id: int) -> str:
    """Run the queued import `import_id`; its row says how it went (done, failed and why). Returns a short line."""
    try:
        result = run_job(import_id)
    except ImportRequestError as exc:  # not queued (already running, finished, gone): nothing to do
        log.info("imports.run: %s", exc)
        return str(exc)
    except ImportFileError as exc:
        log.warning("import #%s failed: %s", import_id, exc)
        return f"failed: {exc}"
    except ImportTakenOver as exc:
        log.warning("imports.run: %s", exc)
        return str(exc)
    log.info("import #%s done: %d rows", import_id, result.rows)
    return "done"


@periodic(SWEEP_SECONDS)
@dramatiq.actor(actor_name="imports.sweep", max_retries=0)
def sweep() -> int:
    """Resume (or fail, after too many runs) imports whose run stopped, and resend queued ones whose message was lost."""
    return resend(stale_imports, run, "stale or lost imports")
