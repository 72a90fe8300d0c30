"""/health/: JSON, 200 when the database, cache, migrations and the scheduler's heartbeat are
fine, 503 as soon as one is not."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from comrade.core import heartbeat, jobs
from comrade.core.models import JobRun

pytestmark = pytest.mark.django_db
HEARTBEAT = "SchedulerHeartbeat()"


@pytest.fixture
def scheduler_required(settings):
    settings.SCHEDULER_REQUIRED = True


def every_job_succeeded(at=None):
    for job in jobs.registered():
        heartbeat.record_finished(job.name, at=at or timezone.now())


def probe(client, path="/health/", **headers):
    response = client.get(path, **headers)
    assert response["Content-Type"].startswith("application/json")
    return response.status_code, response.json()


def test_all_fine_answers_200_json_with_every_check(client, scheduler_required):
    every_job_succeeded()
    status, body = probe(client)
    assert status == 200
    checks = {"Database(alias='default')", "MigrationsApplied(alias='default')", "Cache(alias='default')"}
    assert set(body) == checks | {HEARTBEAT}
    assert set(body.values()) == {"OK"}


class _Unreachable:
    """The default connection as seen when the database server is gone."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def temporary_connection(self):
        raise OperationalError("connection refused: is the server running?")


def test_database_down_answers_503(client, monkeypatch):
    monkeypatch.setattr("health_check.checks.connections", {"default": _Unreachable(connections["default"])})
    status, body = probe(client)
    assert status == 503
    assert body["Database(alias='default')"].startswith("Unavailable")
    assert body["Cache(alias='default')"] == "OK"


def test_a_pending_migration_answers_503(client):
    MigrationRecorder(connection).record_unapplied("core", "0002_job_run_heartbeat")
    status, body = probe(client)
    assert status == 503
    assert "core.0002_job_run_heartbeat" in body["MigrationsApplied(alias='default')"]


def test_a_job_stale_for_twice_its_interval_answers_503(client, scheduler_required):
    every_job_succeeded()
    job = jobs.get("purge_old_records")
    JobRun.objects.filter(name=job.name).update(
        last_succeeded_at=timezone.now() - heartbeat.allowed_age(job) - timedelta(seconds=5)
    )
    status, body = probe(client)
    assert status == 503
    assert body[HEARTBEAT] == "Unavailable: no recent successful run of: purge_old_records"


def test_a_job_that_keeps_failing_goes_stale_but_one_failure_does_not(client, scheduler_required):
    job = jobs.get("purge_old_records")
    every_job_succeeded()
    JobRun.objects.filter(name=job.name).update(last_succeeded_at=timezone.now() - heartbeat.allowed_age(job) / 2)
    heartbeat.record_finished(job.name, at=timezone.now(), error=RuntimeError("boom"))
    assert probe(client)[0] == 200
    JobRun.objects.filter(name=job.name).update(last_succeeded_at=timezone.now() - 2 * heartbeat.allowed_age(job))
    assert probe(client)[0] == 503


def test_jobs_that_never_ran_have_grace_after_the_process_starts(client, scheduler_required, monkeypatch):
    assert not JobRun.objects.exists()
    monkeypatch.setattr(heartbeat, "PROCESS_STARTED_AT", timezone.now())
    assert probe(client)[0] == 200
    monkeypatch.setattr(heartbeat, "PROCESS_STARTED_AT", timezone.now() - timedelta(days=3))
    status, body = probe(client)
    assert status == 503 and "execute_standing_orders" in body[HEARTBEAT]


def test_without_a_required_scheduler_the_heartbeat_is_not_checked(client, settings, monkeypatch):
    settings.SCHEDULER_REQUIRED = False
    monkeypatch.setattr(heartbeat, "PROCESS_STARTED_AT", timezone.now() - timedelta(days=3))
    status, body = probe(client)
    assert status == 200 and HEARTBEAT not in body


def test_redis_is_checked_instead_of_the_cache_when_configured(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    status, body = probe(client)
    assert status == 503
    redis = next(key for key in body if key.startswith("Redis"))
    assert body[redis].startswith("Unavailable") and not any(key.startswith("Cache") for key in body)


def test_a_browser_gets_html_and_format_json_wins(client):
    assert client.get("/health/", HTTP_ACCEPT="text/html")["Content-Type"].startswith("text/html")
    assert probe(client, "/health/?format=json", HTTP_ACCEPT="text/html")[0] == 200


def test_probes_over_plain_http_are_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/payments/providers/").status_code == 301
    assert probe(client)[0] == 200
    assert client.get("/metrics").status_code == 200
