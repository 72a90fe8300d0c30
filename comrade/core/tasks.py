"""Celery tasks: the same jobs as the embedded scheduler, for deployments that run a worker and
beat (config/celery.py schedules `run_job` for every registered job at its interval)."""

from celery import shared_task

from comrade.core import jobs, scheduler


@shared_task(name="comrade.core.tasks.run_job")
def run_job(name: str) -> int:
    """Run one registered job now; an error fails the task, so Celery records it."""
    with scheduler.job_log_context(name):
        return scheduler.execute(jobs.get(name))


@shared_task(name="comrade.core.tasks.run_all_jobs")
def run_all_jobs() -> dict[str, int | None]:
    """Run every registered job once (a failing job is logged and reported as None)."""
    return scheduler.run_jobs()


def beat_schedule() -> dict[str, dict]:
    return {
        f"job:{job.name}": {
            "task": "comrade.core.tasks.run_job",
            "schedule": float(job.every_seconds),
            "args": (job.name,),
        }
        for job in jobs.registered()
    }
