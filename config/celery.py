"""The Celery app. Broker: CELERY_BROKER_URL, else REDIS_URL; with neither, tasks run eagerly in
the calling process (CELERY_TASK_ALWAYS_EAGER), so nothing else has to run.

    celery -A config worker -l info
    celery -A config beat -l info     # sends comrade.core.tasks.run_job(name) for each registered job
"""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("comrade")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    """Workers and beat log through the same formatter as the web (config/logging.py), instead of
    Celery's own; django-structlog binds task_id and the request_id of whoever queued the task."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@app.on_after_finalize.connect
def _schedule_registered_jobs(sender: Celery, **kwargs) -> None:
    """Beat runs every job registered in comrade.core.jobs (by the apps' ready()) at its interval."""
    from comrade.core.tasks import beat_schedule

    sender.conf.beat_schedule = {**beat_schedule(), **(sender.conf.beat_schedule or {})}
