"""The processes of the rehearsal. `Nodes` stands where the reliability suite expects its one
gunicorn `Server` (reliability/bank.py asks `world.server.base_url` on every request), so the bank
workload runs unchanged across several nodes: each request goes to a node picked at random, as a
load balancer would spread it, and a retry after a refused connection picks again. `kill()` takes
one node down with SIGKILL (master and workers); `start()` brings it back once it has stayed down
`down_seconds`, so the other node carries the load meanwhile."""

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

from bench.infra.db import ROOT
from bench.infra.server import Server

CELERY = str(ROOT / ".venv" / "bin" / "celery")


class Nodes:
    def __init__(self, servers: list[Server], *, victim: int = 1, down_seconds: float = 10.0, seed: int = 11):
        self.servers, self.victim, self.down_seconds = servers, servers[victim], down_seconds
        self.killed_at: float | None = None
        self.kills = 0
        self._rng, self._lock = random.Random(seed), threading.Lock()

    @property
    def base_url(self) -> str:
        with self._lock:
            return self._rng.choice(self.servers).base_url

    @property
    def log_path(self) -> Path:
        return self.servers[0].log_path

    def start(self) -> "Nodes":
        if self.killed_at is not None:
            time.sleep(max(self.killed_at + self.down_seconds - time.monotonic(), 0))
            self.killed_at = None
        for server in self.servers:
            if server.proc is None:
                server.start()
        return self

    def kill(self) -> None:
        self.victim.kill()
        self.killed_at, self.kills = time.monotonic(), self.kills + 1

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


class CeleryProcess:
    """A Celery worker or beat in its own process group (SIGKILL takes the prefork children too)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name, self.args, self.env = name, args, env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, ready, timeout: float = 60) -> "CeleryProcess":
        """Start and wait until `ready()` (the process announced itself in Redis, cluster/ticks.py)."""
        self.log_path.write_text("")
        log = self.log_path.open("a")
        command = [CELERY, "-A", "cluster.celery_app", *self.args]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while not ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start; see {self.log_path}")
            time.sleep(0.2)
        return self

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM: a worker finishes the tasks it is running (warm shutdown), beat saves its schedule."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signum)


def worker(index: int, env: dict[str, str], log_dir: Path, concurrency: int) -> CeleryProcess:
    args = ["worker", "-l", "info", "-n", f"worker{index}@%h", "--concurrency", str(concurrency)]
    args += ["--prefetch-multiplier", "1", "--without-gossip", "--without-mingle"]
    return CeleryProcess(f"worker{index}", args, env, log_dir)


def beat(env: dict[str, str], log_dir: Path) -> CeleryProcess:
    args = ["beat", "-l", "info", "-s", str(log_dir / "celerybeat-schedule")]
    return CeleryProcess("beat", args, env, log_dir)
