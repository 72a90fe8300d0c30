"""Standing orders: create, change, pause, resume, cancel, and execute the ones that are due.

Executing is exactly once per period. Orders paying a user are handled in batches: one database
transaction claims up to TRANSFER_BATCH due orders (SELECT ... FOR UPDATE SKIP LOCKED, so
concurrent schedulers share the due orders instead of queueing on them), pays them all with one
ledger call (`transactions_open_settled_many`: what each transfer stores is what `transfer_create`
stores, and an order short of funds fails alone) and records each period in
StandingOrderExecution, whose unique (order, scheduled_for) constraint refuses a second payment of a
period whatever happens. Orders paying a group, and every order of a batch that failed unexpectedly,
are handled one by one, each in its own transaction, through the group contribution or transfer
service.
"""

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from comrade.core.bulk import insert_objects
from comrade.core.errors import ApplicationError, NotFound, field_error
from comrade.groups.models import PaymentGroups
from comrade.groups.services import group_contribute
from comrade.groups.services.common import ensure_accepting_contributions, require_member
from comrade.ledger.models import PaymentProfile, TransactionToken
from comrade.ledger.services import Leg, lock_free_accounts, transactions_open_settled_many
from comrade.standing_orders import notifications, schedule
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.transfers.services import transfer_create

logger = logging.getLogger(__name__)
Status = StandingOrder.Status
Run = StandingOrderExecution.Status
CATCH_UP_LATEST = "latest"
BATCH_SIZE = 100
TRANSFER_BATCH = 1000
RUN_FIELDS = ["executed_at", "status", "attempts", "transaction", "failure_reason", "updated_at"]
ORDER_FIELDS = ["status", "status_reason", "is_active", "next_scheduled_for", "next_execution", "last_executed"]
SCHEDULE_FIELDS = {"frequency", "start_date", "end_date"}
PAYEE_FIELDS = {"recipient_id", "group_id"}
ALL_FIELDS = SCHEDULE_FIELDS | PAYEE_FIELDS


def _today() -> date:
    return timezone.now().date()


# --- managing orders ---------------------------------------------------------------------------


def _recipient(recipient_id: int, user):
    recipient = get_user_model().objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        raise field_error("recipient", "No active user with this id.", code="unknown_recipient")
    if recipient.pk == user.pk:
        raise field_error("recipient", "A standing order cannot pay yourself.", code="self_payment")
    return recipient


def _group(group_id: int, user) -> PaymentGroups:
    """A group the user is a member of and that accepts contributions (the groups app's rules)."""
    group = PaymentGroups.objects.filter(pk=group_id).first()
    try:
        if group is None:
            raise NotFound()
        require_member(group, user)
        ensure_accepting_contributions(group)
    except NotFound:
        raise field_error("group", "No payment group of yours with this id.", "unknown_group") from None
    except ApplicationError as exc:
        raise field_error("group", exc.message, exc.code) from None
    return group


def _check_terms(*, order: StandingOrder, changed: set[str]) -> None:
    """The rules that are not a single field's shape. The start date and the payee are checked
    only when they are set or changed, so an order that started in the past can still be edited."""
    if order.payment_method != StandingOrder.PaymentMethod.INTERNAL:
        raise field_error(
            "payment_method", "Standing orders are paid from the Comrade Balance (INTERNAL) only.", "unsupported"
        )
    if "start_date" in changed and order.start_date < _today():
        raise field_error("start_date", "The start date cannot be in the past.", "date_in_past")
    if order.end_date is not None and order.end_date <= order.start_date:
        raise field_error("end_date", "The end date must be after the start date.", "end_before_start")
    _check_payee(order, changed)


def _check_payee(order: StandingOrder, changed: set[str]) -> None:
    if order.recipient_id is not None and order.group_id is not None:
        raise _payee_error("one_payee_only", "Give either a recipient or a group, not both.")
    if order.recipient_id is None and order.group_id is None:
        raise _payee_error("payee_required", "Give a recipient or a group.")
    if order.recipient_id is not None:
        if PAYEE_FIELDS & changed:
            _recipient(order.recipient_id, order.user)
        return
    if not (PAYEE_FIELDS | {"start_date"}) & changed:
        return
    group = _group(order.group_id, order.user)
    if group.deadline is not None and order.start_date > group.deadline:
        raise field_error("start_date", f"The group takes contributions until {group.deadline}.", "after_deadline")


def _payee_error(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"recipient": [message], "group": [message]})


def _schedule_from(order: StandingOrder, day: date) -> None:
    """Point the order at its first period on or after `day` (or complete it if none is left)."""
    period = schedule.first_on_or_after(order.start_date, order.frequency, day, order.end_date)
    if period is None:
        _finish(order, Status.COMPLETED, "Every period up to the end date was handled.")
        return
    order.status, order.status_reason, order.is_active = Status.ACTIVE, "", True
    order.next_scheduled_for, order.next_execution = period, schedule.run_at(period)


def _finish(order: StandingOrder, status: str, reason: str = "") -> None:
    order.status, order.status_reason, order.is_active = status, reason, False
    order.next_scheduled_for = order.next_execution = None


def _resume_day(order: StandingOrder) -> date:
    """Periods already handled are never paid again, and periods that passed while the order was
    not active are not caught up."""
    last = order.executions.order_by("-scheduled_for").values_list("scheduled_for", flat=True).first()
    return max(_today(), last + timedelta(days=1)) if last else _today()


def standing_order_preview(
    *,
    user,
    amount: Decimal,
    frequency: str,
    start_date: date,
    recipient_id: int | None = None,
    group_id: int | None = None,
    end_date: date | None = None,
    description: str = "",
    payment_method: str = StandingOrder.PaymentMethod.INTERNAL,
) -> StandingOrder:
    """The order that `standing_order_create` would save, checked and scheduled but not saved:
    a review page shows it before the owner confirms. Raises what create raises."""
    order = StandingOrder(
        user=user,
        recipient_id=recipient_id,
        group_id=group_id,
        amount=amount,
        frequency=frequency,
        start_date=start_date,
        end_date=end_date,
        description=description,
        payment_method=payment_method,
    )
    _check_terms(order=order, changed=ALL_FIELDS)
    _schedule_from(order, start_date)
    return order


def standing_order_create(
    *,
    user,
    amount: Decimal,
    frequency: str,
    start_date: date,
    recipient_id: int | None = None,
    group_id: int | None = None,
    end_date: date | None = None,
    description: str = "",
    payment_method: str = StandingOrder.PaymentMethod.INTERNAL,
) -> StandingOrder:
    order = standing_order_preview(
        user=user,
        amount=amount,
        frequency=frequency,
        start_date=start_date,
        recipient_id=recipient_id,
        group_id=group_id,
        end_date=end_date,
        description=description,
        payment_method=payment_method,
    )
    order.save()
    return order


def _locked(order: StandingOrder) -> StandingOrder:
    return StandingOrder.objects.select_for_update().get(pk=order.pk)


@transaction.atomic
def standing_order_update(*, order: StandingOrder, data: dict) -> StandingOrder:
    """Change an order that is not cancelled or completed. A change of frequency or dates moves the
    next period to the new schedule's first one not yet handled and not in the past."""
    order = _locked(order)
    if order.status in (Status.CANCELLED, Status.COMPLETED):
        raise ApplicationError("order_closed", f"A {order.status} standing order cannot be changed.")
    changed = {name for name, value in data.items() if getattr(order, name) != value}
    for name in changed:
        setattr(order, name, data[name])
    _check_terms(order=order, changed=changed)
    if order.is_active and changed & SCHEDULE_FIELDS:
        _abandon_retry(order, "The standing order's schedule was changed.")
        _schedule_from(order, _resume_day(order))
    order.save()
    return order


@transaction.atomic
def standing_order_pause(*, order: StandingOrder) -> StandingOrder:
    order = _locked(order)
    if order.status != Status.ACTIVE:
        raise ApplicationError(
            "not_active", f"Only an ACTIVE standing order can be paused; this one is {order.status}."
        )
    _abandon_retry(order, "The standing order was paused.")
    _finish(order, Status.PAUSED)
    order.save()
    return order


@transaction.atomic
def standing_order_resume(*, order: StandingOrder) -> StandingOrder:
    """Resume a PAUSED or SUSPENDED order from its first period on or after today."""
    order = _locked(order)
    if order.status not in (Status.PAUSED, Status.SUSPENDED):
        raise ApplicationError(
            "not_paused", f"Only a PAUSED or SUSPENDED order can be resumed; this one is {order.status}."
        )
    _check_terms(order=order, changed=PAYEE_FIELDS)
    _schedule_from(order, _resume_day(order))
    if order.status == Status.COMPLETED:
        raise ApplicationError("schedule_ended", "No period is left before the end date; change the end date first.")
    order.save()
    return order


@transaction.atomic
def standing_order_cancel(*, order: StandingOrder) -> StandingOrder:
    """Cancel for good, keeping the order and its executions as history. Cancelling a cancelled or
    completed order changes nothing."""
    order = _locked(order)
    if order.status in (Status.CANCELLED, Status.COMPLETED):
        return order
    _abandon_retry(order, "The standing order was cancelled.")
    _finish(order, Status.CANCELLED)
    order.save()
    return order


def _abandon_retry(order: StandingOrder, reason: str) -> None:
    """A period whose payment failed and was waiting for a retry is given up."""
    if order.next_scheduled_for is not None:
        order.executions.filter(scheduled_for=order.next_scheduled_for, status=Run.FAILED).update(
            status=Run.SKIPPED, failure_reason=reason[:255]
        )


# --- executing ---------------------------------------------------------------------------------


def _due(now: datetime):
    return StandingOrder.objects.filter(is_active=True, next_execution__lte=now)


def standing_orders_execute_due(*, now: datetime) -> int:
    """Execute every order due at `now`, one period per order per pass, until none is due (so
    missed periods are caught up under the 'all' policy). Returns how many periods were handled.
    Orders paying a user are executed in batches (`_execute_transfer_batch`); orders paying a group
    one by one. An order that raises an unexpected error is logged, rolled back alone and left for
    the next run; safe to call from any number of schedulers at once."""
    handled, broken = 0, set()
    while True:
        progressed = _execute_transfer_batch(now, broken) + _execute_group_orders(now, broken)
        handled += progressed
        if not progressed:
            return handled


def _execute_group_orders(now: datetime, broken: set[int]) -> int:
    """Group contributions allocate dues and lock the group: each in its own transaction."""
    due = _due(now).filter(group__isnull=False).exclude(pk__in=broken).order_by("next_execution", "pk")
    return sum(_execute_isolated(pk, now, broken) for pk in due.values_list("pk", flat=True)[:BATCH_SIZE])


def _execute_isolated(pk: int, now: datetime, broken: set[int]) -> int:
    try:
        return _execute_one(pk, now)
    except Exception:
        logger.exception("standing order %s failed to execute; it is left for the next run", pk)
        broken.add(pk)
        return 0


def _execute_one(pk: int, now: datetime) -> int:
    """Lock the order if it is still due and no other scheduler holds it, then run its period."""
    with transaction.atomic():
        order = _due(now).select_for_update(skip_locked=True, of=("self",)).select_related("user").filter(pk=pk).first()
        if order is None:
            return 0
        _run_period(order, now)
        return 1


def _run_period(order: StandingOrder, now: datetime) -> None:
    execution = order.executions.filter(scheduled_for=order.next_scheduled_for).first()
    if execution is not None and execution.status != Run.FAILED:
        logger.warning("standing order %s: period %s was already handled", order.pk, order.next_scheduled_for)
        _advance(order)
        return
    execution = _attempt(order, execution, now)
    try:
        with transaction.atomic():
            txn = _pay(order)
    except ApplicationError as exc:
        _suspended(order, execution, exc.message)
        return
    _outcome(order, execution, txn, now)
    execution.save()
    order.save()


def _attempt(order: StandingOrder, execution: StandingOrderExecution | None, now: datetime) -> StandingOrderExecution:
    """The execution row of the order's period, counting this attempt (a new one, or the FAILED
    one being retried); under the 'latest' catch-up policy the periods missed before are skipped."""
    if execution is None and settings.STANDING_ORDER_CATCH_UP == CATCH_UP_LATEST:
        _skip_missed(order, now)
    execution = execution or StandingOrderExecution(order=order, scheduled_for=order.next_scheduled_for)
    execution.attempts += 1
    execution.executed_at = now
    return execution


def _terms(order: StandingOrder) -> dict:
    return {
        "description": order.description or f"Standing order #{order.pk}",
        "metadata": {"standing_order_id": order.pk, "scheduled_for": order.next_scheduled_for.isoformat()},
    }


def _pay(order: StandingOrder) -> TransactionToken:
    if not order.user.is_active:
        raise ApplicationError("owner_inactive", "The owner's account is no longer active.")
    if order.group_id is not None:
        return group_contribute(group=order.group, user=order.user, amount=order.amount, **_terms(order))
    return transfer_create(sender=order.user, receiver_id=order.recipient_id, amount=order.amount, **_terms(order))


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


def _outcome(order: StandingOrder, execution: StandingOrderExecution, txn: TransactionToken, now: datetime) -> None:
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


def _advance(order: StandingOrder) -> None:
    _schedule_next(order)
    order.save()


# --- executing in batches ----------------------------------------------------------------------


def _execute_transfer_batch(now: datetime, broken: set[int]) -> int:
    """Claim up to TRANSFER_BATCH due orders that pay a user (SKIP LOCKED: other schedulers claim
    the next ones) and execute them in one database transaction. If anything unexpected fails,
    the batch is rolled back and its orders are executed one by one, so one broken order is
    isolated and logged and its neighbours are paid."""
    claimed: list[int] = []
    try:
        with transaction.atomic():
            orders = _claim(now, broken)
            claimed = [order.pk for order in orders]
            return _run_batch(orders, now) if orders else 0
    except Exception:
        if not claimed:
            raise
        logger.exception("a batch of %s standing orders failed; executing them one by one", len(claimed))
        return sum(_execute_isolated(pk, now, broken) for pk in claimed)


def _claim(now: datetime, broken: set[int]) -> list[StandingOrder]:
    due = _due(now).filter(group__isnull=True).exclude(pk__in=broken).order_by("next_execution", "pk")
    locked = due.select_for_update(skip_locked=True, of=("self",)).select_related("user", "recipient")
    return list(locked[:TRANSFER_BATCH])


def _run_batch(orders: list[StandingOrder], now: datetime) -> int:
    """The per-order checks as `_run_period` makes them, then every payment in one ledger call,
    then the executions and the orders written in bulk; returns how many orders were handled (the
    `_busy` ones are left for the next claim). An order whose payer or payee cannot be paid takes
    `_run_period` (it is suspended with the transfer service's own reason)."""
    runs = _open_runs(orders)
    wallets = _active_wallets(orders)
    busy = _busy(orders, wallets)
    payable = []
    for order in orders:
        if order.pk in busy:
            continue
        execution = runs.get((order.pk, order.next_scheduled_for))
        if execution is not None and execution.status != Run.FAILED:
            logger.warning("standing order %s: period %s was already handled", order.pk, order.next_scheduled_for)
            _advance(order)
        elif not _payable(order, wallets):
            _run_period(order, now)
        else:
            payable.append((order, _attempt(order, execution, now)))
    txns = transactions_open_settled_many([_transfer(order, wallets) for order, _ in payable])
    for (order, execution), txn in zip(payable, txns, strict=True):
        _outcome(order, execution, txn, now)
    _save_runs([execution for _, execution in payable])
    _save_orders([order for order, _ in payable])
    return len(orders) - len(busy)


def _busy(orders: list[StandingOrder], wallets: dict[int, int]) -> set[int]:
    """The orders whose payer's or payee's account another database transaction holds right now
    (another scheduler's batch, a transfer). They are left untouched and due, for the next claim,
    so that two schedulers whose batches share an account do not queue behind each other. If that
    is every order of the batch, the accounts just locked are released and none is left: the batch
    then waits for its locks in primary-key order, so every batch makes progress."""
    accounts = {
        order: (wallets[order.user_id], wallets[order.recipient_id]) for order in orders if _payable(order, wallets)
    }
    with transaction.atomic():
        free = lock_free_accounts(a for pair in accounts.values() for a in pair)
        busy = {order.pk for order, pair in accounts.items() if not set(pair) <= free}
        if len(busy) == len(orders):
            transaction.set_rollback(True)  # releases the row locks taken in this savepoint
            return set()
    return busy


def _open_runs(orders: list[StandingOrder]) -> dict[tuple[int, date], StandingOrderExecution]:
    """The execution rows already recorded for the orders' current periods (FAILED ones being retried)."""
    by_pk = {order.pk: order for order in orders}
    days = {order.next_scheduled_for for order in orders}
    found = {}
    for execution in StandingOrderExecution.objects.filter(order_id__in=by_pk, scheduled_for__in=days):
        execution.order = by_pk[execution.order_id]
        found[(execution.order_id, execution.scheduled_for)] = execution
    return found


def _active_wallets(orders: list[StandingOrder]) -> dict[int, int]:
    """The wallet account of every active payer and payee of the orders, by user id."""
    users = {order.user_id for order in orders} | {order.recipient_id for order in orders}
    return dict(
        PaymentProfile.objects.filter(user_id__in=users, user__is_active=True).values_list("user_id", "account_id")
    )


def _payable(order: StandingOrder, wallets: dict[int, int]) -> bool:
    return (
        order.user.is_active
        and order.user_id in wallets
        and order.recipient_id in wallets
        and order.recipient_id != order.user_id
    )


def _transfer(order: StandingOrder, wallets: dict[int, int]) -> tuple[list[Leg], dict]:
    """The legs and fields of the transfer `transfer_create` would make for the order."""
    legs = [Leg(wallets[order.user_id], -order.amount), Leg(wallets[order.recipient_id], order.amount)]
    return legs, {
        "sender": order.user,
        "receiver_id": order.recipient_id,
        "amount": order.amount,
        "transaction_type": TransactionToken.Type.TRANSFER,
        "payment_method": TransactionToken.PaymentMethod.INTERNAL,
        **_terms(order),
    }


def _save_runs(executions: list[StandingOrderExecution]) -> None:
    stamp = timezone.now()
    for execution in executions:
        execution.updated_at = stamp
    retried = [e for e in executions if e.pk is not None]
    insert_objects([e for e in executions if e.pk is None])
    if retried:
        StandingOrderExecution.objects.bulk_update(retried, RUN_FIELDS)


def _save_orders(orders: list[StandingOrder]) -> None:
    """One UPDATE per distinct outcome (orders due at the same time mostly share their next period)."""
    same: dict[tuple, list[int]] = {}
    for order in orders:
        same.setdefault(tuple(getattr(order, name) for name in ORDER_FIELDS), []).append(order.pk)
    stamp = timezone.now()
    for values, pks in same.items():
        StandingOrder.objects.filter(pk__in=pks).update(
            updated_at=stamp, **dict(zip(ORDER_FIELDS, values, strict=True))
        )
