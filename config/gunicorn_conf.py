"""gunicorn settings for production: `gunicorn config.wsgi -c config/gunicorn_conf.py`.

Only what the metrics need lives here; everything else (workers, bind, timeouts) is given on the
command line or in GUNICORN_CMD_ARGS. With PROMETHEUS_MULTIPROC_DIR set, each worker writes its
metrics to files in that directory and /metrics adds them up: the directory is emptied when the
master starts (so a restart does not count old requests twice) and a dead worker's live gauges
are dropped when it exits. Without the variable these hooks do nothing."""

import os
from pathlib import Path


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server) -> None:
    directory = _multiproc_dir()
    if directory is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    for leftover in directory.glob("*.db"):  # only prometheus_client's own files, never anything else
        leftover.unlink()


def child_exit(server, worker) -> None:
    if _multiproc_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
