"""The scheduler job that pays the rotation on its own: for each group with `rotation_auto` on,
once the current round is complete, it calls the ordinary rotation payout service (same checks,
same ledger movement) for the next member in the order. A RotationRound row per (group, period)
makes this at most once per period; a period in which an admin already paid the rotation by hand
is not paid again. A refusal (ApplicationError) is logged and recorded, and tried again on the
next run; it never stops the job."""

import logging
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.groups.dues_selectors import round_state
from comrade.groups.models import PaymentGroups, RotationPayout, RotationRound
from comrade.groups.services.common import lock_group
from comrade.groups.services.pot import group_rotation_payout
from comrade.ledger.models import TransactionToken

logger = logging.getLogger(__name__)
Round = RotationRound.Status
DONE = (Round.PAID, Round.REQUESTED)


def rotation_auto_run(*, now: datetime) -> int:
    """Returns how many rounds were paid (or handed to the service as a request)."""
    ids = PaymentGroups.objects.filter(rotation_auto=True, closed_at__isnull=True).values_list("pk", flat=True)
    handled = 0
    for group_id in list(ids):
        try:
            with transaction.atomic():
                handled += _run_group(group_id, now)
        except Exception:
            logger.exception("automatic rotation of group %s failed; left for the next run", group_id)
    return handled


def _run_group(group_id: int, now: datetime) -> int:
    group = lock_group(PaymentGroups(pk=group_id))
    if not group.rotation_auto or group.is_closed:
        return 0
    state = round_state(group, timezone.localdate(now))
    if not state.complete:
        return 0
    record = RotationRound.objects.filter(group=group, period_start=state.period_start).first()
    if record is not None and record.status in DONE:
        return 0
    if _paid_by_hand_since(group, state.period_start):
        return 0
    record = record or RotationRound(group=group, period_start=state.period_start)
    return _pay(group, record)


def _paid_by_hand_since(group: PaymentGroups, period_start) -> bool:
    since = timezone.make_aware(datetime.combine(period_start, time.min))
    return RotationPayout.objects.filter(group=group, created_at__gte=since).exists()


def _pay(group: PaymentGroups, record: RotationRound) -> int:
    record.attempts += 1
    try:
        with transaction.atomic():
            result = group_rotation_payout(group=group, admin=group.admin)
    except ApplicationError as exc:
        logger.warning("automatic rotation of group %s refused: %s %s", group.pk, exc.code, exc.message)
        return _save(record, Round.FAILED, code=exc.code, message=exc.message)
    if not isinstance(result, TransactionToken):
        return _save(record, Round.REQUESTED)
    if result.status != TransactionToken.Status.COMPLETED:
        return _save(record, Round.FAILED, code="payout_failed", message=result.failure_reason, txn=result)
    return _save(record, Round.PAID, txn=result)


def _save(record: RotationRound, status: str, *, code: str = "", message: str = "", txn=None) -> int:
    record.status, record.error_code, record.error_message = status, code[:64], (message or "")[:255]
    record.transaction = txn
    record.save()
    return 1 if status in DONE else 0
