"""Every job run, by the embedded loop or by Celery, leaves its heartbeat in JobRun."""

import pytest

from comrade.core import jobs, scheduler, tasks
from comrade.core.models import JobRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(jobs, "_registry", {})
    return jobs


def test_a_successful_run_is_recorded(registry):
    registry.register("counts", lambda now: 2)
    assert scheduler.run_jobs() == {"counts": 2}
    run = JobRun.objects.get(name="counts")
    assert run.last_ok is True and run.last_error == ""
    assert run.last_started_at <= run.last_finished_at == run.last_succeeded_at


def test_a_failed_run_keeps_the_last_success_and_says_why(registry):
    outcome = {"fail": False}

    def job(now):
        if outcome["fail"]:
            raise ValueError("the provider said no")
        return 1

    registry.register("flaky", job)
    scheduler.run_jobs()
    succeeded = JobRun.objects.get(name="flaky").last_succeeded_at
    outcome["fail"] = True
    assert scheduler.run_jobs() == {"flaky": None}
    run = JobRun.objects.get(name="flaky")
    assert (run.last_ok, run.last_error) == (False, "ValueError: the provider said no")
    assert run.last_succeeded_at == succeeded
    assert run.last_finished_at > succeeded
    assert JobRun.objects.count() == 1


def test_the_celery_task_records_the_same_heartbeat(registry):
    registry.register("via_celery", lambda now: 0)
    assert tasks.run_job.apply(args=("via_celery",)).get() == 0
    assert JobRun.objects.get(name="via_celery").last_ok is True
