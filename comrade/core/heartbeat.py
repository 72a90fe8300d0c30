"""The scheduler's heartbeat: every run of a registered job is recorded in JobRun (by
`scheduler.execute`, the one function both the embedded loop and Celery call), and the health
check asks which jobs have not succeeded recently.

A job is stale when its last success is older than twice its interval (at least twice the
embedded loop's tick, which is the finest interval the loop can keep). A job that has never run is
measured from this process's start, so a fresh deployment gets one stale window of grace; with
SCHEDULER_REQUIRED off (no scheduler in this deployment) the heartbeat is not checked at all."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from comrade.core import jobs
from comrade.core.models import JobRun

logger = logging.getLogger(__name__)
PROCESS_STARTED_AT = timezone.now()
_FIELDS = ["last_started_at", "last_finished_at", "last_succeeded_at", "last_ok", "last_error"]


def _upsert(name: str, **fields) -> None:
    """One statement per record (INSERT ... ON CONFLICT UPDATE), in a savepoint so that a failure
    to record never breaks a caller's transaction; the heartbeat must never stop a job."""
    try:
        with transaction.atomic():
            JobRun.objects.bulk_create(
                [JobRun(name=name, **fields)],
                update_conflicts=True,
                unique_fields=["name"],
                update_fields=list(fields),
            )
    except DatabaseError:
        logger.warning("could not record the heartbeat of job %s", name, exc_info=True)


def record_started(name: str, *, at: datetime) -> None:
    _upsert(name, last_started_at=at)


def record_finished(name: str, *, at: datetime, error: BaseException | None = None) -> None:
    if error is None:
        _upsert(name, last_finished_at=at, last_succeeded_at=at, last_ok=True, last_error="")
    else:
        _upsert(name, last_finished_at=at, last_ok=False, last_error=f"{type(error).__name__}: {error}"[:255])


@dataclass(frozen=True)
class StaleJob:
    name: str
    last_succeeded_at: datetime | None
    allowed_seconds: int


def allowed_age(job: jobs.Job) -> timedelta:
    return timedelta(seconds=2 * max(job.every_seconds, settings.SCHEDULER_INTERVAL_SECONDS))


def stale_jobs(*, now: datetime) -> list[StaleJob]:
    """The registered jobs whose last success (or, never run, this process's start) is older
    than allowed."""
    succeeded = dict(JobRun.objects.values_list("name", "last_succeeded_at"))
    stale = []
    for job in jobs.registered():
        last = succeeded.get(job.name)
        if now - (last or PROCESS_STARTED_AT) > allowed_age(job):
            stale.append(StaleJob(job.name, last, int(allowed_age(job).total_seconds())))
    return stale
