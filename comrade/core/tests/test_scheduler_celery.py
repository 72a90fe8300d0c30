"""The Celery side of the scheduler: eagerly in-process always, and through a real worker with a
Redis broker when redis-server is installed (the worker shares the PostgreSQL test database)."""

import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from comrade.core import jobs
from comrade.core.tasks import run_all_jobs, run_job
from comrade.ledger.selectors import balance_of
from comrade.standing_orders.tests.factories import StandingOrderFactory
from config.celery import app as celery_app

BASE_DIR = Path(settings.BASE_DIR)
REDIS_TEST_DB = 15  # kept apart from the cache and any real broker (0 by default)


PRINT_CONF = (
    "import config, django; django.setup(); c = config.celery_app.conf; print(c.task_always_eager, c.broker_url or '-')"
)


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "True -"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "False redis://127.0.0.1:6379/3"),
        (
            {"REDIS_URL": "redis://127.0.0.1:6379/3", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/4"},
            "False redis://127.0.0.1:6379/4",
        ),
    ],
)
def test_the_broker_comes_from_the_environment_and_without_one_tasks_run_eagerly(env, expected):
    clean = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings", DJANGO_DEBUG="true")
    shown = subprocess.run([sys.executable, "-c", PRINT_CONF], env=clean, cwd=BASE_DIR, capture_output=True, text=True)
    assert shown.stdout.strip() == expected, shown.stderr


def test_beat_runs_every_registered_job_at_its_interval():
    celery_app.finalize()
    schedule = celery_app.conf.beat_schedule
    for job in jobs.registered():
        entry = schedule[f"job:{job.name}"]
        assert entry["task"] == "comrade.core.tasks.run_job" and entry["args"] == (job.name,)
        assert entry["schedule"] == job.every_seconds
    assert "execute_standing_orders" in {job.name for job in jobs.registered()}


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.mark.django_db
def test_the_task_executes_due_orders_eagerly(eager, make_user):
    payer, payee = make_user(balance="50.00"), make_user()
    StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("20.00"))
    assert run_job.delay("execute_standing_orders").get() == 1
    assert balance_of(payer) == Decimal("30.00") and balance_of(payee) == Decimal("20.00")
    assert run_all_jobs.delay().get()["execute_standing_orders"] == 0
    with pytest.raises(KeyError):
        run_job.delay("no_such_job")


def _redis_url() -> str | None:
    url = os.environ.get("CELERY_TEST_REDIS_URL")
    if not url and shutil.which("redis-server"):
        found = subprocess.run([BASE_DIR / "scripts/ensure-redis.sh"], capture_output=True, text=True, timeout=30)
        url = found.stdout.strip() if found.returncode == 0 else None
    if not url:
        return None
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_TEST_DB}", "", ""))


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real `celery -A config worker` on its own queue, stopped at the end of the test."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker process must share the test database: runs in the PostgreSQL pass")
    broker = _redis_url()
    if broker is None:
        pytest.skip("redis-server is not installed (scripts/ensure-redis.sh with INSTALL_REDIS=1 installs it)")
    queue = f"comrade-test-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "info",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sender = Celery("comrade-test", broker=broker, backend=broker)
    try:
        yield sender, queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        sender.close()
        print((tmp_path / "worker.log").read_text()[-3000:])


def test_the_task_runs_through_a_real_worker(worker, make_user):
    sender, queue = worker
    payer, payee = make_user(balance="50.00"), make_user()
    order = StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("20.00"))
    result = sender.send_task("comrade.core.tasks.run_job", args=["execute_standing_orders"], queue=queue)
    assert result.get(timeout=90) == 1
    assert balance_of(payer) == Decimal("30.00") and balance_of(payee) == Decimal("20.00")
    assert order.executions.get().status == "SUCCEEDED"
    everything = sender.send_task("comrade.core.tasks.run_all_jobs", queue=queue).get(timeout=60)
    assert everything["execute_standing_orders"] == 0
