"""Runs the time-based jobs registered in comrade.core.jobs.

`run_jobs` is one tick: it runs every job whose interval has elapsed since its last run in this
process (all of them on the first tick), each on its own, so that a job that raises is logged and
the others still run. The embedded `manage.py run_scheduler` loop and the Celery tasks both come
here. Jobs must be safe to run from several schedulers at once (the standing orders job is:
SKIP LOCKED and a unique constraint per period).
"""

import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import structlog
from django.utils import timezone

from comrade.core import heartbeat, jobs

logger = logging.getLogger(__name__)


@contextmanager
def job_log_context(name: str) -> Iterator[None]:
    """Every log line of one job run carries the job's name and a run id of its own; what the
    run bound (a transaction token) is dropped afterwards, so the next run starts clean. What
    was bound before (a Celery task id) is kept."""
    outer = structlog.contextvars.get_contextvars()
    structlog.contextvars.bind_contextvars(job=name, job_run_id=uuid.uuid4().hex[:12])
    try:
        yield
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**outer)


def execute(job: jobs.Job, now: datetime | None = None) -> int:
    """Run one job and return how many items it handled; its exceptions propagate. Each run is
    recorded in the job's heartbeat (comrade/core/heartbeat.py) for the health check."""
    now = now or timezone.now()
    started = time.monotonic()
    heartbeat.record_started(job.name, at=timezone.now())
    try:
        count = job.run(now)
    except BaseException as error:
        heartbeat.record_finished(job.name, at=timezone.now(), error=error)
        raise
    heartbeat.record_finished(job.name, at=timezone.now())
    level = logging.INFO if count else logging.DEBUG  # an idle tick every few seconds is not news
    logger.log(level, "job %s handled %s in %.2fs", job.name, count, time.monotonic() - started)
    return count


def run_jobs(now: datetime | None = None, *, last_run: dict[str, float] | None = None) -> dict[str, int | None]:
    """One tick. `last_run` (job name -> time.monotonic() of its last run) is the caller's memory
    between ticks; without it every job runs. A job that raised reports None."""
    now = now or timezone.now()
    results: dict[str, int | None] = {}
    for job in jobs.registered():
        if last_run is not None and time.monotonic() - last_run.get(job.name, float("-inf")) < job.every_seconds:
            continue
        if last_run is not None:
            last_run[job.name] = time.monotonic()
        with job_log_context(job.name):
            try:
                results[job.name] = execute(job, now)
            except Exception:
                logger.exception("job %s failed; the other jobs go on", job.name)
                results[job.name] = None
    return results
