"""The Celery app of the rehearsal: the project's own (config/celery.py, unchanged), plus the tick
counters of cluster/ticks.py. `celery -A cluster.celery_app worker|beat`."""

from cluster import ticks
from config.celery import app

ticks.connect()

__all__ = ["app"]
