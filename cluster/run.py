"""`make cluster`: docs/deployment.md's topology on one machine. Redis and PostgreSQL (started by
scripts/cluster.sh), a fresh `comrade_cluster` database migrated and its static files collected,
two gunicorn nodes, two Celery workers and one beat, all with a production environment (DEBUG off,
a generated secret key). The reliability suite's bank workload runs across both nodes while the
scheduler pays standing orders seeded in waves; mid-run one node is killed with SIGKILL (master and
workers) and one worker too. Then: the ledger invariants, the clients' books against the database,
requests per node, every beat tick run exactly once, every standing order paid exactly once.
Writes bench/results/cluster-<stamp>.json and .md; exits 1 on any violation.

    REDIS_URL=redis://127.0.0.1:6390/0 python -m cluster.run
"""

import os
import secrets
import shutil
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.infra import db, results
from bench.infra.server import Server, bearer_tokens
from cluster import nodes, ticks
from cluster.orders import Orders
from config.env import env_int, env_list
from reliability import bank, invariants
from reliability.world import USER_CENTS, USER_PREFIX, World, _group

LOG_DIR = Path("/tmp/comrade-cluster")
JOB_INTERVALS = {  # seconds: short, so that a minute of load sees many ticks of each
    "STANDING_ORDER_JOB_SECONDS": "5",
    "RECONCILE_JOB_SECONDS": "10",
    "GROUP_INVITATION_JOB_SECONDS": "15",
    "GROUP_DUES_JOB_SECONDS": "15",
    "RETENTION_JOB_SECONDS": "20",
}


@dataclass(frozen=True)
class Plan:
    seconds: int = field(default_factory=lambda: env_int("CLUSTER_SECONDS", 60))
    clients: int = field(default_factory=lambda: env_int("CLUSTER_CLIENTS", 8))
    users: int = field(default_factory=lambda: env_int("CLUSTER_USERS", 60))
    groups: int = field(default_factory=lambda: env_int("CLUSTER_GROUPS", 3))
    ports: tuple = field(default_factory=lambda: tuple(int(p) for p in env_list("CLUSTER_PORTS", "8781,8782")))
    web_workers: int = field(default_factory=lambda: env_int("CLUSTER_WEB_WORKERS", 2))
    concurrency: int = field(default_factory=lambda: env_int("CLUSTER_CELERY_CONCURRENCY", 2))
    orders_per_wave: int = field(default_factory=lambda: env_int("CLUSTER_ORDERS_PER_WAVE", 100))
    node_down_seconds: int = field(default_factory=lambda: env_int("CLUSTER_NODE_DOWN_SECONDS", 10))


def production_env(redis_url: str) -> dict[str, str]:
    """What docs/deployment.md asks of every node, with secrets generated for this run; plain http
    on loopback (no TLS proxy here), throttles raised and long-lived tokens for the load
    (bench/infra/db.py `django_env` adds those)."""
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "REDIS_URL": redis_url,
        "SANDBOX_PAYMENTS_ENABLED": "true",
        "SANDBOX_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "IDEMPOTENCY_STALE_SECONDS": "10",  # a killed request's key is resolved after 10 s, not 120
        "CELERY_BEAT_SCHEDULE_FILENAME": str(LOG_DIR / "celerybeat-schedule"),
        "LOG_LEVEL": "INFO",
        **JOB_INTERVALS,
    }


def prepare(target: db.Target, env: dict[str, str]) -> dict:
    """The release steps, as a deployment runs them once before starting the processes."""
    db.recreate(target)
    timings = {}
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["check", "--deploy"]):
        started = time.monotonic()
        done = _manage(target, env, *command)
        timings[" ".join(command)] = round(time.monotonic() - started, 1)
        if command[0] == "check":
            timings["check --deploy says"] = done.stdout.strip().splitlines()[-1:] + done.stderr.strip().splitlines()
    return timings


def _manage(target: db.Target, env: dict[str, str], *args: str):
    import subprocess

    done = subprocess.run(
        [db.PYTHON, str(db.ROOT / "manage.py"), *args],
        env=db.django_env(target, **env),
        capture_output=True,
        text=True,
        cwd=db.ROOT,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def build_world(plan: Plan, target: db.Target, env: dict[str, str]) -> World:
    import random

    from bench.infra.load import ensure_users

    users = ensure_users(prefix=USER_PREFIX, count=plan.users, cents=USER_CENTS)
    rng = random.Random(7)
    groups = [_group(users[i], rng.sample(users, min(20, len(users))), i) for i in range(plan.groups)]
    servers = [
        Server(target, port=port, workers=plan.web_workers, log=str(LOG_DIR / f"web-{port}.log"), **env)
        for port in plan.ports
    ]
    server = nodes.Nodes(servers, down_seconds=plan.node_down_seconds)
    tokens = bearer_tokens(w.user_id for w in users)
    return World(target=target, server=server, users=users, tokens=tokens, groups=groups)


class Celery:
    """Two workers and exactly one beat."""

    def __init__(self, plan: Plan, target: db.Target, env: dict[str, str], redis):
        process_env = db.django_env(target, conn_max_age=60, **env)
        self.redis = redis
        self.workers = [nodes.worker(i, process_env, LOG_DIR, plan.concurrency) for i in (1, 2)]
        self.beat = nodes.beat(process_env, LOG_DIR)
        self.killed: str = ""

    def start(self) -> None:
        for worker in self.workers:
            worker.start(lambda name=worker.name: any(h.startswith(f"{name}@") for h in ticks.ready(self.redis)))
        self.beat.start(lambda: "beat" in ticks.ready(self.redis))

    def kill_worker(self) -> None:
        victim = self.workers[0]
        victim.kill()
        self.killed = next(h for h in ticks.ready(self.redis) if h.startswith(f"{victim.name}@"))

    def drain_and_stop(self, timeout: float = 60) -> None:
        """Stop beat, let the live workers empty the queue, then stop them (warm shutdown)."""
        self.beat.stop()
        deadline = time.monotonic() + timeout
        while self.redis.llen("celery") and time.monotonic() < deadline:
            time.sleep(0.5)
        for worker in self.workers:
            worker.stop()

    def stop_all(self) -> None:
        for process in (self.beat, *self.workers):
            process.stop(timeout=20)


def faults(plan: Plan, celery: Celery, orders: Orders, started: float, log: dict) -> None:
    """Standing orders due at 0.3 of the run; the first worker killed at 0.35 (while it may be
    paying them); more orders due at 0.6, for the surviving worker alone. The node is killed by the
    bank workload itself at 0.5 (bank.run with kills=1)."""
    steps = [(0.3, "orders", orders.wave), (0.35, "worker kill", lambda _: celery.kill_worker())]
    steps.append((0.6, "orders", orders.wave))
    for at, name, action in steps:
        time.sleep(max(started + plan.seconds * at - time.monotonic(), 0))
        try:
            action(started)
            log.setdefault(name, []).append(round(time.monotonic() - started, 1))
        except Exception:  # noqa: BLE001 - reported as a violation, the run goes on
            log.setdefault("errors", []).append(traceback.format_exc()[-1500:])


def run(plan: Plan, redis_url: str) -> dict[str, tuple[dict, list[str]]]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    env = production_env(redis_url)
    target = db.postgres_target(os.environ.get("CLUSTER_PG_DB", "comrade_cluster"))
    report = {"release steps (migrate, collectstatic, check --deploy)": (prepare(target, env), [])}
    db.setup_django(target, **env)
    world = build_world(plan, target, env)
    orders = Orders(users=40, per_wave=plan.orders_per_wave)
    celery = Celery(plan, target, env, client)
    try:
        celery.start()
        orders.wave(time.monotonic())
        report["bank workload across both nodes"] = _load(plan, world, celery, orders)
        waited = orders.wait_until_paid(timeout=60)
        celery.drain_and_stop()
        figures, violations = ticks.analyse(
            ticks.read(client), killed=celery.killed, held=ticks.held_by_dead_workers(client)
        )
        report["job ticks (beat -> workers)"] = ({"killed_worker": celery.killed, **figures}, violations)
        figures, violations = orders.check()
        report["standing orders"] = ({**figures, "seconds_waited_after_the_load": waited}, violations)
        report["invariants"] = invariants.ledger(target)
    finally:
        world.server.stop()
        celery.stop_all()
    return report


def _load(plan: Plan, world: World, celery: Celery, orders: Orders) -> tuple[dict, list[str]]:
    fault_log: dict = {}
    thread = threading.Thread(target=faults, args=(plan, celery, orders, time.monotonic(), fault_log))
    thread.start()
    figures, violations = bank.run(world, plan, kills=1, seconds=plan.seconds)
    thread.join()
    figures["node_killed"] = world.server.victim.base_url
    figures["other_faults_at_seconds"] = {k: v for k, v in fault_log.items() if k != "errors"}
    violations += [f"fault step failed: {error}" for error in fault_log.get("errors", [])]
    return figures, violations


def main() -> int:
    from reliability.run import show

    plan = Plan()
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    LOG_DIR.mkdir(parents=True)
    print(
        f"cluster rehearsal: {len(plan.ports)} gunicorn nodes ({plan.web_workers} workers each) on ports"
        f" {', '.join(map(str, plan.ports))}, 2 Celery workers (concurrency {plan.concurrency}), 1 beat;"
        f" {plan.clients} clients for {plan.seconds}s; logs in {LOG_DIR}",
        flush=True,
    )
    started = datetime.now(UTC)
    report = {}
    try:
        report = run(plan, os.environ["REDIS_URL"])
    except Exception:  # noqa: BLE001 - a crashed rehearsal is reported as a violation
        report["rehearsal"] = ({}, [f"the rehearsal crashed: {traceback.format_exc()[-3000:]}"])
    for name, (figures, violations) in report.items():
        show(name, figures, violations, 0)
    return _write(started, report)


def _write(started: datetime, report: dict) -> int:
    total = sum(len(violations) for _, violations in report.values())
    rows = [[name, len(violations)] for name, (_, violations) in report.items()]
    text = f"# Cluster rehearsal {started.isoformat()[:19]}Z\n\n"
    text += results.markdown_table(["check", "violations"], rows)
    for name, (figures, violations) in report.items():
        text += f"\n## {name}\n\n" + "".join(f"- {key}: {value}\n" for key, value in figures.items())
        text += "".join(f"- VIOLATION {v}\n" for v in violations[:30])
    document = {"started": started.isoformat(), "machine": results.machine(), "checks": report}
    json_path, md_path = results.write(f"cluster-{results.stamp()}", document, text)
    print(f"\nviolations: {total}   (details: {md_path.relative_to(results.ROOT)})")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
