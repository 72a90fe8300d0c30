"""Executing standing orders one by one, each in its own database transaction: orders paying a
group (group contributions allocate dues and lock the group) and the orders of a batch that failed
unexpectedly. What a period's outcome does to the order and its execution is decided here for both
paths (`attempt`, `record_outcome`)."""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from comrade.core.errors import ApplicationError
from comrade.groups.services import group_contribute
from comrade.ledger.models import TransactionToken
from comrade.standing_orders import notifications, schedule
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.standing_orders.services.common import Run, Status, _finish, _schedule_from
from comrade.transfers.services import transfer_create

logger = logging.getLogger(__name__)
CATCH_UP_LATEST = "latest"
BATCH_SIZE = 100


def due_orders(now: datetime):
    return StandingOrder.objects.filter(is_active=True, next_execution__lte=now)


def _execute_group_orders(now: datetime, broken: set[int]) -> int:
    """Group contributions allocate dues and lock the group: each in its own transaction."""
    due = due_orders(now).filter(group__isnull=False).exclude(pk__in=broken).order_by("next_execution", "pk")
    return sum(execute_isolated(pk, now, broken) for pk in due.values_list("pk", flat=True)[:BATCH_SIZE])


def execute_isolated(pk: int, now: datetime, broken: set[int]) -> int:
    try:
        return _execute_one(pk, now)
    except Exception:
        logger.exception("standing order %s failed to execute; it is left for the next run", pk)
        broken.add(pk)
        return 0


def _execute_one(pk: int, now: datetime) -> int:
    """Lock the order if it is still due and no other scheduler holds it, then run its period."""
    with transaction.atomic():
        order = (
            due_orders(now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=pk)
            .first()
        )
        if order is None:
            return 0
        run_period(order, now)
        return 1


def run_period(order: StandingOrder, now: datetime) -> None:
    execution = order.executions.filter(scheduled_for=order.next_scheduled_for).first()
    if execution is not None and execution.status != Run.FAILED:
        logger.warning("standing order %s: period %s was already handled", order.pk, order.next_scheduled_for)
        advance(order)
        return
    execution = attempt(order, execution, now)
    try:
        with transaction.atomic():
            txn = _pay(order)
    except ApplicationError as exc:
        _suspended(order, execution, exc.message)
        return
    record_outcome(order, execution, txn, now)
    execution.save()
    order.save()


def attempt(order: StandingOrder, execution: StandingOrderExecution | None, now: datetime) -> StandingOrderExecution:
    """The execution row of the order's period, counting this attempt (a new one, or the FAILED
    one being retried); under the 'latest' catch-up policy the periods missed before are skipped."""
    if execution is None and settings.STANDING_ORDER_CATCH_UP == CATCH_UP_LATEST:
        _skip_missed(order, now)
    execution = execution or StandingOrderExecution(order=order, scheduled_for=order.next_scheduled_for)
    execution.attempts += 1
    execution.executed_at = now
    return execution


def transfer_terms(order: StandingOrder) -> dict:
    return {
        "description": order.description or f"Standing order #{order.pk}",
        "metadata": {"standing_order_id": order.pk, "scheduled_for": order.next_scheduled_for.isoformat()},
    }


def _pay(order: StandingOrder) -> TransactionToken:
    if not order.user.is_active:
        raise ApplicationError("owner_inactive", "The owner's account is no longer active.")
    if order.group_id is not None:
        return group_contribute(group=order.group, user=order.user, amount=order.amount, **transfer_terms(order))
    return transfer_create(
        sender=order.user, receiver_id=order.recipient_id, amount=order.amount, **transfer_terms(order)
    )


def _skip_missed(order: StandingOrder, now: datetime) -> None:
    """Catch-up policy 'latest': record the periods missed before the latest due one as SKIPPED
    and point the order at the latest."""
    today = timezone.localdate(now, UTC)
    latest = schedule.latest_on_or_before(order.start_date, order.frequency, min(today, order.end_date or today))
    if latest is None or latest <= order.next_scheduled_for:
        return
    missed = schedule.between(order.start_date, order.frequency, order.next_scheduled_for, latest - timedelta(days=1))
    reason = "Missed while the scheduler was not running (catch-up policy: latest)."
    StandingOrderExecution.objects.bulk_create(
        [
            StandingOrderExecution(order=order, scheduled_for=day, status=Run.SKIPPED, failure_reason=reason)
            for day in missed
        ]
    )
    order.next_scheduled_for = latest


def record_outcome(
    order: StandingOrder, execution: StandingOrderExecution, txn: TransactionToken, now: datetime
) -> None:
    """Record the payment's outcome on the order and its execution, in memory (the caller saves
    them). Paid: the order moves to its next period. Insufficient funds: the same period is retried
    later, and after the last retry it is skipped."""
    execution.transaction = txn
    if txn.status == TransactionToken.Status.COMPLETED:
        execution.status, execution.failure_reason = Run.SUCCEEDED, ""
        order.last_executed = now
        _schedule_next(order)
        return
    execution.failure_reason = txn.failure_reason[:255]
    if execution.attempts > settings.STANDING_ORDER_MAX_RETRIES:
        execution.status = Run.SKIPPED
        execution.failure_reason = f"Skipped after {execution.attempts} attempts: {txn.failure_reason}"[:255]
        notifications.period_skipped(execution)
        _schedule_next(order)
        return
    execution.status = Run.FAILED
    order.next_execution = now + timedelta(minutes=settings.STANDING_ORDER_RETRY_MINUTES)
    if execution.attempts == 1:
        notifications.payment_failed(execution, retry_at=order.next_execution)


def _suspended(order: StandingOrder, execution: StandingOrderExecution, reason: str) -> None:
    """The payee can no longer be paid (or the owner is inactive): the period fails and the order
    is suspended until its owner resumes it."""
    execution.status, execution.failure_reason = Run.FAILED, reason[:255]
    execution.save()
    _finish(order, Status.SUSPENDED, reason[:255])
    order.save()
    notifications.order_suspended(order, execution)


def _schedule_next(order: StandingOrder) -> None:
    _schedule_from(order, order.next_scheduled_for + timedelta(days=1))


def advance(order: StandingOrder) -> None:
    _schedule_next(order)
    order.save()
