"""The purge_old_records job: forgets rows that are only kept for a while (answered
Idempotency-Keys, and whatever other apps register with `register_purge`). Each purge deletes in
batches of RETENTION_BATCH_SIZE, so a large backlog never holds a long transaction."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

logger = logging.getLogger(__name__)
Purge = Callable[[datetime], int]
_purges: list[Purge] = []


def register_purge(purge: Purge) -> None:
    """Add a purge (takes "now", returns how many rows it deleted) to the job; apps call this in
    AppConfig.ready()."""
    if purge not in _purges:
        _purges.append(purge)


def purge_old_records(now: datetime) -> int:
    """Run every registered purge; one that fails is logged and does not stop the others."""
    deleted = 0
    for purge in list(_purges):
        try:
            deleted += purge(now)
        except Exception:
            logger.exception("retention purge %s failed", getattr(purge, "__name__", purge))
    return deleted


def delete_in_batches(queryset: QuerySet) -> int:
    """Delete the rows of `queryset` a batch at a time (by primary key, in autocommit)."""
    deleted = 0
    while True:
        batch = list(queryset.order_by("pk").values_list("pk", flat=True)[: settings.RETENTION_BATCH_SIZE])
        if not batch:
            return deleted
        queryset.model.objects.filter(pk__in=batch).delete()
        deleted += len(batch)


def purge_idempotency_records(now: datetime) -> int:
    """Idempotency-Keys older than IDEMPOTENCY_RETENTION_DAYS. A key whose request never answered
    but moved money is kept while any of its transactions is still open: it is what tells a late
    retry "interrupted, here is what it did" instead of running the payment again."""
    from comrade.core.models import IdempotencyRecord
    from comrade.ledger.models import ALLOWED_TRANSITIONS, TransactionToken

    open_statuses = [status for status, nexts in ALLOWED_TRANSITIONS.items() if nexts]
    open_transaction = TransactionToken.objects.filter(idempotency_record=OuterRef("pk"), status__in=open_statuses)
    cutoff = now - timedelta(days=settings.IDEMPOTENCY_RETENTION_DAYS)
    old = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
    keep = Q(response_status__isnull=True) & Exists(open_transaction)
    return delete_in_batches(old.exclude(keep))
