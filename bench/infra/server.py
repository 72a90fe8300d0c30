"""The production server setup (gunicorn, sync workers) on a dedicated database, in its own
process group so that it can be stopped, or killed with SIGKILL, master and workers at once."""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from bench.infra.db import ROOT, Target, django_env

GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
READY_PATH = "/payments/providers/"


class Server:
    def __init__(self, target: Target, *, port: int, workers: int, conn_max_age: int = 60, log: str = "", **env):
        self.target, self.port, self.workers = target, port, workers
        self.env = django_env(target, conn_max_age=conn_max_age, SITE_URL=f"http://127.0.0.1:{port}", **env)
        self.log_path = Path(log or f"/tmp/comrade-bench-gunicorn-{port}.log")
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> "Server":
        command = [GUNICORN, "bench.infra.wsgi", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}"]
        command += ["--timeout", "120", "--graceful-timeout", "10", "--error-logfile", "-"]
        command += os.environ.get("BENCH_GUNICORN_ARGS", "").split()  # e.g. "--worker-class gthread --threads 4"
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.starts += 1
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code, self.proc = self.proc.returncode, None
                raise RuntimeError(f"gunicorn exited with {code}; see {self.log_path}")
            try:
                if requests.get(self.base_url + READY_PATH, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the master and every worker (the whole process group) in the middle of whatever
        they are doing."""
        if self.proc is None:
            return
        self._signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self._signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the group is gone: gunicorn exited on its own
            os.killpg(self.proc.pid, signum)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def bearer_tokens(user_ids) -> dict[int, str]:
    """An access token per user, signed with the server's key (the same simplejwt code the token
    endpoint uses, without hashing 10,000 passwords)."""
    from rest_framework_simplejwt.tokens import AccessToken

    from comrade.accounts.models import User

    return {pk: str(AccessToken.for_user(User(pk=pk, is_active=True))) for pk in user_ids}
