from django.conf import settings
from django.db import models


class IdempotencyRecord(models.Model):
    """The stored answer to a request sent with an Idempotency-Key. The unique constraint is what
    makes two simultaneous retries collapse into one movement of money."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_user_key")]
        indexes = [models.Index(fields=["created_at"])]


class JobRun(models.Model):
    """The heartbeat of one registered job (comrade.core.jobs): when it last started, finished and
    succeeded, written by `scheduler.execute`, which both the embedded loop and Celery call. The
    health check reads it; one row per job name, updated in place."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True)
    last_finished_at = models.DateTimeField(null=True)
    last_succeeded_at = models.DateTimeField(null=True)
    last_ok = models.BooleanField(null=True)
    last_error = models.CharField(max_length=255, blank=True, default="")

    def __str__(self) -> str:
        return self.name
