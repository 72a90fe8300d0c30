"""The dedicated databases of the benchmarks and the reliability suite, and the Django environment
that points at them. Nothing here touches db.sqlite3 or the test databases."""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
SECRET_KEY = "bench-and-reliability-secret-key-0123456789-not-for-production"
SANDBOX_WEBHOOK_SECRET = "bench-and-reliability-sandbox-webhook-secret-0123456789"


@dataclass(frozen=True)
class Target:
    vendor: str  # "postgresql" or "sqlite"
    url: str  # a DATABASE_URL

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.vendor == "postgresql" else "SQLite"


def postgres_server_url() -> str:
    """The local server's URL from scripts/ensure-postgres.sh (which starts the cluster)."""
    url = os.environ.get("BENCH_PG_URL")
    if url:
        return url
    done = subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], capture_output=True, text=True)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"no PostgreSQL server: {done.stderr.strip()}")
    return done.stdout.strip()


def postgres_target(database: str) -> Target:
    parts = urlparse(postgres_server_url())
    return Target("postgresql", urlunparse(parts._replace(path=f"/{database}")))


def sqlite_target(path: str) -> Target:
    return Target("sqlite", f"sqlite:///{path}")


def _dbname(target: Target) -> str:
    return urlparse(target.url).path.lstrip("/")


def _maintenance_dsn(target: Target) -> str:
    parts = urlparse(target.url)
    return urlunparse(parts._replace(scheme="postgresql", path="/postgres"))


def recreate(target: Target) -> None:
    """Drop and create the database (a PostgreSQL database of its own, or the SQLite file)."""
    if target.vendor == "sqlite":
        path = urlparse(target.url).path
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    import psycopg

    name = _dbname(target)
    if not name.startswith("comrade_") or name.startswith("test_"):
        raise RuntimeError(f"refusing to drop {name!r}: not a bench/reliability database")
    with psycopg.connect(_maintenance_dsn(target), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def exists(target: Target) -> bool:
    if target.vendor == "sqlite":
        return Path(urlparse(target.url).path).exists()
    import psycopg

    with psycopg.connect(_maintenance_dsn(target), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_dbname(target)]).fetchone()
    return row is not None


def psycopg_dsn(target: Target) -> str:
    return urlunparse(urlparse(target.url)._replace(scheme="postgresql"))


def django_env(target: Target, *, conn_max_age: int = 0, **extra: str) -> dict[str, str]:
    """The environment of every process that runs Django against `target`: production settings
    (DEBUG off), throttling raised, long-lived JWTs, sandbox payments on (with a webhook secret of
    its own, as production requires), no email sent, and plain http on loopback (no https redirect:
    the load generators and the sandbox's webhooks speak http to 127.0.0.1)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=target.url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DATABASE_CONN_MAX_AGE=str(conn_max_age),
        THROTTLE_USER_RATE="1000000/hour",
        THROTTLE_ANON_RATE="1000000/hour",
        JWT_ACCESS_MINUTES="600",
        SANDBOX_PAYMENTS_ENABLED="true",
        SANDBOX_WEBHOOK_SECRET=SANDBOX_WEBHOOK_SECRET,
        DJANGO_SECURE_SSL_REDIRECT="false",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    )
    env.update(extra)
    return env


def setup_django(target: Target, **extra: str) -> None:
    """Configure this process's Django for `target` (call before importing any model)."""
    import django

    os.environ.update(django_env(target, **extra))
    sys.path.insert(0, str(ROOT))
    django.setup()
    from bench.infra.patch import apply_patch

    apply_patch()


def manage(target: Target, *args: str, check: bool = True, timeout: int = 3600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        env=django_env(target),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def migrate(target: Target) -> float:
    started = time.monotonic()
    manage(target, "migrate", "--noinput")
    return time.monotonic() - started


def verify_ledger(target: Target) -> dict:
    """`manage.py verify_ledger` as a separate process: its exit code, problems and duration."""
    started = time.monotonic()
    done = manage(target, "verify_ledger", check=False)
    problems = [line for line in done.stderr.splitlines() if line.strip()]
    return {"ok": done.returncode == 0, "seconds": round(time.monotonic() - started, 1), "problems": problems[:20]}
