from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "comrade.core"
    label = "core"

    def ready(self):
        from comrade.core import checks, jobs, retention  # noqa: F401 - checks register on import

        jobs.register("purge_old_records", retention.purge_old_records, every_seconds=settings.RETENTION_JOB_SECONDS)
        retention.register_purge(retention.purge_idempotency_records)
