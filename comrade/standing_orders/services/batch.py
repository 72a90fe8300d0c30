"""Executing the due standing orders that pay a user in batches (see the package's docstring)."""

import logging
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from comrade.core.bulk import any_of, insert_objects
from comrade.ledger.models import TransactionToken, default_currency
from comrade.ledger.services import Leg, lock_free_accounts, transactions_open_settled_many
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.standing_orders.services import periods
from comrade.standing_orders.services.common import Run

logger = logging.getLogger(__name__)
TRANSFER_BATCH = 1000
RUN_FIELDS = ["executed_at", "status", "attempts", "transaction", "failure_reason", "updated_at"]
ORDER_FIELDS = ["status", "status_reason", "is_active", "next_scheduled_for", "next_execution", "last_executed"]


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
        return sum(periods.execute_isolated(pk, now, broken) for pk in claimed)


def _claim(now: datetime, broken: set[int]) -> list[StandingOrder]:
    due = periods.due_orders(now).filter(group__isnull=True).exclude(pk__in=broken).order_by("next_execution", "pk")
    return list(due.select_for_update(skip_locked=True, of=("self",))[:TRANSFER_BATCH])


def _run_batch(orders: list[StandingOrder], now: datetime) -> int:
    """The per-order checks as `run_period` makes them, then every payment in one ledger call,
    then the executions and the orders written in bulk; returns how many orders were handled (the
    `_busy` ones are left for the next claim). An order whose payer or payee cannot be paid takes
    `run_period` (it is suspended with the transfer service's own reason)."""
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
            periods.advance(order)
        elif not _payable(order, wallets):
            periods.run_period(order, now)
        else:
            payable.append((order, periods.attempt(order, execution, now)))
    currency = default_currency()
    txns = transactions_open_settled_many([_transfer(order, wallets, currency) for order, _ in payable])
    for (order, execution), txn in zip(payable, txns, strict=True):
        periods.record_outcome(order, execution, txn, now)
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
    orders_in, order_ids = any_of("order_id", by_pk)
    days_in, day_list = any_of("scheduled_for", days, "date")
    found = {}
    table = StandingOrderExecution._meta.db_table
    sql = f"SELECT * FROM {table} WHERE {orders_in} AND {days_in}"
    for execution in StandingOrderExecution.objects.raw(sql, order_ids + day_list):
        execution.order = by_pk[execution.order_id]
        found[(execution.order_id, execution.scheduled_for)] = execution
    return found


def _active_wallets(orders: list[StandingOrder]) -> dict[int, int]:
    """The wallet account of every active payer and payee of the orders, by user id."""
    users = {order.user_id for order in orders} | {order.recipient_id for order in orders}
    where, params = any_of("p.user_id", users)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.user_id, p.account_id FROM ledger_paymentprofile p JOIN accounts_user u ON u.id = p.user_id"
            f" WHERE {where} AND u.is_active",
            params,
        )
        return dict(cursor.fetchall())


def _payable(order: StandingOrder, wallets: dict[int, int]) -> bool:
    """Both users are active (`_active_wallets` has only theirs) and differ."""
    return order.user_id in wallets and order.recipient_id in wallets and order.recipient_id != order.user_id


def _transfer(order: StandingOrder, wallets: dict[int, int], currency: str) -> tuple[list[Leg], dict]:
    """The legs and fields of the transfer `transfer_create` would make for the order."""
    legs = [Leg(wallets[order.user_id], -order.amount), Leg(wallets[order.recipient_id], order.amount)]
    return legs, {
        "sender_id": order.user_id,
        "receiver_id": order.recipient_id,
        "amount": order.amount,
        "currency": currency,
        "transaction_type": TransactionToken.Type.TRANSFER,
        "payment_method": TransactionToken.PaymentMethod.INTERNAL,
        **periods.transfer_terms(order),
    }


def _save_runs(executions: list[StandingOrderExecution]) -> None:
    stamp = timezone.now()
    for execution in executions:
        execution.updated_at = stamp
    retried = [e for e in executions if e.pk is not None]
    insert_objects([e for e in executions if e.pk is None], now=stamp)
    if retried:
        StandingOrderExecution.objects.bulk_update(retried, RUN_FIELDS)


def _save_orders(orders: list[StandingOrder]) -> None:
    """One UPDATE per distinct outcome (orders due at the same time mostly share their next period)."""
    same: dict[tuple, list[int]] = {}
    for order in orders:
        same.setdefault(tuple(getattr(order, name) for name in ORDER_FIELDS), []).append(order.pk)
    fields = [StandingOrder._meta.get_field(name) for name in [*ORDER_FIELDS, "updated_at"]]
    columns = ", ".join(f"{field.column} = %s" for field in fields)
    stamp = timezone.now()
    with connection.cursor() as cursor:
        for values, pks in same.items():
            where, ids = any_of("id", pks)
            prepared = [f.get_db_prep_save(v, connection) for f, v in zip(fields, (*values, stamp), strict=True)]
            cursor.execute(f"UPDATE {StandingOrder._meta.db_table} SET {columns} WHERE {where}", prepared + ids)
