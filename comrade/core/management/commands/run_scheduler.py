"""The embedded scheduler: `make run` starts it beside the web server, so standing orders and the
other time-based jobs run with no other service. Stop it with Ctrl-C or SIGTERM."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from comrade.core import jobs, scheduler


class Command(BaseCommand):
    help = "Run the registered time-based jobs (standing orders, expiries, renewals) in a loop."

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=settings.SCHEDULER_INTERVAL_SECONDS, help="seconds between ticks"
        )
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args, interval: float, once: bool, **options):
        names = ", ".join(f"{job.name} (every {job.every_seconds}s)" for job in jobs.registered())
        self.stdout.write(f"scheduler: {names or 'no jobs registered'}")
        if once:
            self._report(scheduler.run_jobs())
            return
        stop = threading.Event()
        previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self._loop(stop, interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("scheduler: stopped")

    def _loop(self, stop: threading.Event, interval: float) -> None:
        last_run: dict[str, float] = {}
        while not stop.is_set():
            close_old_connections()  # a long-lived process must not keep a broken or stale connection
            self._report(scheduler.run_jobs(last_run=last_run))
            stop.wait(interval)

    def _report(self, results: dict[str, int | None]) -> None:
        for name, count in results.items():
            if count is None:
                self.stderr.write(f"{name}: failed (see the log)")
            elif count:
                self.stdout.write(f"{name}: {count}")
