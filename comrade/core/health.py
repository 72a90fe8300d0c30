"""The health probe at /health/ (django-health-check): the database, the cache (Redis when
REDIS_URL is set), every migration applied, and the scheduler's heartbeat. It answers JSON, 200
when every check passes and 503 when one does not. `verify_ledger` is deliberately not here: it
reads the whole ledger and belongs on cron, not in a probe hit every few seconds."""

import dataclasses

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from comrade.core import heartbeat


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Fails while the code knows migrations the database has not applied (a deploy that skipped
    `migrate`, or a node running newer code than the schema)."""

    alias: str = DEFAULT_DB_ALIAS

    async def run(self) -> None:
        pending = await sync_to_async(self._pending)()
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migration(s) not applied, first {pending[0]}")

    def _pending(self) -> list[str]:
        executor = MigrationExecutor(connections[self.alias])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


@dataclasses.dataclass
class SchedulerHeartbeat(HealthCheck):
    """Fails when a registered job has not succeeded within twice its interval (heartbeat.py says
    how a job that never ran is judged)."""

    async def run(self) -> None:
        stale = await sync_to_async(heartbeat.stale_jobs)(now=timezone.now())
        if stale:
            names = ", ".join(job.name for job in stale)
            raise ServiceUnavailable(f"no recent successful run of: {names}")


def _checks() -> list:
    checks: list = ["health_check.checks.Database", MigrationsApplied]
    if settings.REDIS_URL:
        from redis.asyncio import Redis

        redis = {"client_factory": lambda: Redis.from_url(settings.REDIS_URL)}
        checks.append(("health_check.contrib.redis.Redis", redis))
    else:
        checks.append("health_check.checks.Cache")
    if settings.SCHEDULER_REQUIRED:
        checks.append(SchedulerHeartbeat)
    return checks


class HealthView(HealthCheckView):
    """JSON unless the caller asks for something else (`?format=` or an Accept header naming
    another type), and 503 rather than the library's 500 when a check fails, which is what load
    balancers and orchestrators expect of an unavailable node."""

    def get_checks(self):
        self.checks = _checks()
        return super().get_checks()

    async def get(self, request, *args, **kwargs):
        if "format" not in request.GET and request.headers.get("accept", "*/*").split(",")[0].strip() in ("*/*", ""):
            request.GET = request.GET.copy()
            request.GET["format"] = "json"
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503
        return response
