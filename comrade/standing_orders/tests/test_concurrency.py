"""Two schedulers at the same moment on PostgreSQL (SQLite ignores SELECT ... FOR UPDATE)."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from comrade.core.testing.concurrency import run_together
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.services import wallet_account_id, wallet_fund
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.standing_orders.schedule import run_at
from comrade.standing_orders.services import batch, standing_orders_execute_due
from comrade.standing_orders.tests.factories import StandingOrderFactory, today

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ORDERS = 500


def wallet_total() -> Decimal:
    return sum(LedgerAccount.objects.filter(kind="WALLET").values_list("balance", flat=True), Decimal(0))


def test_two_schedulers_execute_each_of_500_due_orders_exactly_once(make_user):
    users = [make_user() for _ in range(40)]
    for payer in users[:20]:
        wallet_fund(user=payer, amount=Decimal("1000.00"))
    StandingOrder.objects.bulk_create(
        StandingOrder(
            user=users[i % 20],
            recipient=users[20 + (i * 7) % 20],
            amount=Decimal(1 + i % 9),
            frequency="MONTHLY",
            start_date=today(),
            next_scheduled_for=today(),
            next_execution=run_at(today()),
        )
        for i in range(ORDERS)
    )
    money_before = wallet_total()
    now = timezone.now()

    results = run_together([lambda: standing_orders_execute_due(now=now)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == ORDERS, results
    executions = StandingOrderExecution.objects.all()
    assert executions.count() == ORDERS and set(executions.values_list("status", flat=True)) == {"SUCCEEDED"}
    assert not executions.values("order").annotate(n=Count("id")).filter(n__gt=1).exists()
    transfers = TransactionToken.objects.filter(transaction_type="TRANSFER", metadata__has_key="standing_order_id")
    assert transfers.count() == ORDERS and transfers.filter(status="COMPLETED").count() == ORDERS
    assert not StandingOrder.objects.filter(next_scheduled_for=today()).exists()
    assert wallet_total() == money_before
    assert run_all() == []


def test_two_schedulers_share_small_batches_with_short_payers_each_order_once(make_user, monkeypatch):
    """Batches of 25 claimed with SKIP LOCKED by two schedulers; users pay each other and some
    payers run short, so some periods fail for funds while their neighbours are paid."""
    monkeypatch.setattr(batch, "TRANSFER_BATCH", 25)
    users = [make_user() for _ in range(30)]
    for payer in users[:10]:
        wallet_fund(user=payer, amount=Decimal("60.00"))
    StandingOrder.objects.bulk_create(
        StandingOrder(
            user=users[i % 30],
            recipient=users[(i * 7 + 1) % 30] if (i * 7 + 1) % 30 != i % 30 else users[(i + 2) % 30],
            amount=Decimal(1 + i % 13),
            frequency="MONTHLY",
            start_date=today(),
            next_scheduled_for=today(),
            next_execution=run_at(today()),
        )
        for i in range(ORDERS)
    )
    money_before = wallet_total()
    now = timezone.now()

    results = run_together([lambda: standing_orders_execute_due(now=now)] * 2)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == ORDERS, results
    executions = StandingOrderExecution.objects.filter(scheduled_for=today())
    assert executions.count() == ORDERS
    assert not executions.values("order").annotate(n=Count("id")).filter(n__gt=1).exists()
    succeeded, failed = executions.filter(status="SUCCEEDED"), executions.filter(status="FAILED")
    assert succeeded.count() + failed.count() == ORDERS and succeeded.exists() and failed.exists()
    transfers = TransactionToken.objects.filter(transaction_type="TRANSFER", metadata__has_key="standing_order_id")
    assert transfers.filter(status="COMPLETED").count() == succeeded.count()
    assert transfers.filter(status="FAILED", failure_code="insufficient_funds").count() == failed.count()
    assert not LedgerAccount.objects.filter(kind="WALLET", balance__lt=0).exists()
    assert wallet_total() == money_before
    assert standing_orders_execute_due(now=now) == 0
    assert run_all() == []


def _someone_waits_for_a_lock(*, seconds: float) -> bool:
    """Whether another session of this database is (or within `seconds` starts) waiting for a lock."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def test_an_order_whose_account_another_transaction_holds_waits_for_a_later_batch(make_user, monkeypatch):
    """The batch pays the orders whose accounts are free and leaves the one whose payee's account
    another transaction holds; the next batch holds only that order, so it waits for the lock."""
    payer, payee, other = make_user(), make_user(), make_user()
    wallet_fund(user=payer, amount=Decimal("100.00"))
    held = StandingOrderFactory(user=payer, recipient=payee)
    free = StandingOrderFactory(user=other, recipient=payer, amount=Decimal("1.00"))
    wallet_fund(user=other, amount=Decimal("5.00"))
    batches, first_batch_paid, waited = [], threading.Event(), []
    real = batch.transactions_open_settled_many

    def many(items):
        batches.append(len(items))
        first_batch_paid.set()
        return real(items)

    monkeypatch.setattr(batch, "transactions_open_settled_many", many)
    locked = threading.Event()

    def hold_payee_account_until_the_scheduler_waits_for_it():
        try:
            with transaction.atomic():
                LedgerAccount.objects.select_for_update().get(pk=wallet_account_id(payee))
                locked.set()
                first_batch_paid.wait(timeout=30)
                waited.append(_someone_waits_for_a_lock(seconds=30))
        finally:
            connection.close()

    holder = threading.Thread(target=hold_payee_account_until_the_scheduler_waits_for_it)
    holder.start()
    locked.wait(timeout=30)
    handled = standing_orders_execute_due(now=timezone.now())
    holder.join()

    assert handled == 2 and batches == [1, 1] and waited == [True]
    assert held.executions.get().status == "SUCCEEDED" and free.executions.get().status == "SUCCEEDED"
    assert held.executions.get().pk > free.executions.get().pk
    assert standing_orders_execute_due(now=timezone.now()) == 0 and run_all() == []
