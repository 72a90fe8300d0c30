"""The registry of time-based jobs. Each app registers its jobs in AppConfig.ready(); the
embedded `run_scheduler` loop and the Celery beat task both run whatever is registered here, so
a job is written once and runs the same way on both."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]  # takes "now", returns how many items it handled
    every_seconds: int = 60


_registry: dict[str, Job] = {}


def register(name: str, run: Callable[[datetime], int], *, every_seconds: int = 60) -> None:
    _registry[name] = Job(name=name, run=run, every_seconds=every_seconds)


def registered() -> list[Job]:
    return sorted(_registry.values(), key=lambda job: job.name)


def get(name: str) -> Job:
    return _registry[name]
