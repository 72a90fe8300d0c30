"""Counts every job tick from the moment beat publishes it to the moment a worker finishes it, so
that the rehearsal can show each tick ran exactly once. Celery's own signals, recorded as JSON lines
in three Redis lists (the cluster's Redis, under `cluster:ticks:`); nothing in the application
changes. Connected by cluster/celery_app.py in the beat and worker processes."""

import contextlib
import json
import os
import time
from collections import Counter

from celery import signals

JOB_TASK = "comrade.core.tasks.run_job"
SENT, STARTED, DONE = "cluster:ticks:sent", "cluster:ticks:started", "cluster:ticks:done"
READY = "cluster:ready"  # a set: "beat" and the worker hostnames, once each is up
_clients: dict[int, object] = {}


def _redis():
    """One connection per process (the prefork pool forks after import)."""
    import redis

    pid = os.getpid()
    if pid not in _clients:
        _clients[pid] = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _clients[pid]


def _push(key: str, **record) -> None:
    _redis().rpush(key, json.dumps({**record, "t": time.time()}))


def _job_of_message(body) -> str:
    args = body[0] if isinstance(body, list | tuple) and body else ()
    return str(args[0]) if args else "?"


def _on_publish(sender=None, headers=None, body=None, **_) -> None:
    if sender == JOB_TASK and headers:
        _push(SENT, id=headers["id"], job=_job_of_message(body))


def _on_prerun(sender=None, task_id=None, task=None, args=None, **_) -> None:
    if task is not None and task.name == JOB_TASK:
        _push(STARTED, id=task_id, job=str((args or ["?"])[0]), host=task.request.hostname, pid=os.getpid())


def _on_postrun(sender=None, task_id=None, task=None, state=None, retval=None, **_) -> None:
    if task is not None and task.name == JOB_TASK:
        _push(DONE, id=task_id, state=str(state), handled=retval if isinstance(retval, int) else None)


def _on_worker_ready(sender=None, **_) -> None:
    _redis().sadd(READY, sender.hostname)


def _on_beat_init(sender=None, **_) -> None:
    _redis().sadd(READY, "beat")


def connect() -> None:
    signals.worker_ready.connect(_on_worker_ready, weak=False)
    signals.beat_init.connect(_on_beat_init, weak=False)
    signals.after_task_publish.connect(_on_publish, weak=False)
    signals.task_prerun.connect(_on_prerun, weak=False)
    signals.task_postrun.connect(_on_postrun, weak=False)


def read(client) -> dict[str, list[dict]]:
    return {name: [json.loads(raw) for raw in client.lrange(key, 0, -1)] for name, key in _KEYS.items()}


def reset(client) -> None:
    client.delete(*_KEYS.values(), READY)


def ready(client) -> set[str]:
    return {member.decode() for member in client.smembers(READY)}


def held_by_dead_workers(client) -> set[str]:
    """Ids of the messages a worker had taken from the queue but not acknowledged when it died:
    Redis keeps them in kombu's `unacked` hash and hands them out again after the visibility
    timeout (an hour by default), so they run late, once, not never."""
    held = set()
    for raw in client.hvals("unacked"):
        with contextlib.suppress(ValueError, KeyError, IndexError, TypeError):
            held.add(json.loads(raw)[0]["headers"]["id"])
    return held


def analyse(records: dict[str, list[dict]], *, killed: str, held: set[str]) -> tuple[dict, list[str]]:
    """Per job: ticks beat sent, ticks run exactly once, and the ticks the killed worker took down
    with it (cut short mid-run, or held unacknowledged); a tick run twice, or lost by a worker that
    is alive, is a violation."""
    starts, dones = _by_id(records["started"]), _by_id(records["done"])
    jobs, by_worker, violations = {}, Counter(r["host"] for r in records["started"]), []
    for tick in records["sent"]:
        row = jobs.setdefault(tick["job"], Counter())
        row["ticks"] += 1
        outcome = _outcome(starts.get(tick["id"], []), dones.get(tick["id"], []), tick["id"] in held, killed)
        row[outcome] += 1
        if outcome in ("run_twice", "lost", "never_finished_on_a_live_worker"):
            violations.append(f"tick {tick['id']} of {tick['job']}: {outcome}")
    unsent = set(starts) - {tick["id"] for tick in records["sent"]}
    violations += [f"task {task_id} ran but beat never sent it" for task_id in sorted(unsent)[:10]]
    per_job = {name: dict(row) for name, row in sorted(jobs.items())}
    return {"jobs": per_job, "runs_by_worker": dict(by_worker)}, violations


def _by_id(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["id"], []).append(row)
    return grouped


def _outcome(starts: list[dict], dones: list[dict], held: bool, killed: str) -> str:
    if len(starts) > 1:
        return "run_twice"
    if len(starts) == 1 and dones:
        return "run_once"
    if len(starts) == 1:
        return "cut_short_by_the_kill" if starts[0]["host"] == killed else "never_finished_on_a_live_worker"
    return "held_by_the_killed_worker" if held else "lost"


_KEYS = {"sent": SENT, "started": STARTED, "done": DONE}
