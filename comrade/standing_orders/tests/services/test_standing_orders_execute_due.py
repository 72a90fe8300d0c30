from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import wallet_fund
from comrade.standing_orders.models import StandingOrder, StandingOrderExecution
from comrade.standing_orders.schedule import run_at
from comrade.standing_orders.services import periods, standing_orders_execute_due
from comrade.standing_orders.tests.factories import StandingOrderFactory, days_ago, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer(make_user):
    return make_user(balance="100.00")


@pytest.fixture
def payee(make_user):
    return make_user()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Execute due orders at `now`, running the emails queued for after COMMIT."""

    def execute(now=None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return standing_orders_execute_due(now=now or timezone.now())

    return execute


def test_a_due_order_pays_once_and_moves_to_its_next_period(payer, payee, run):
    order = StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("25.00"), frequency="WEEKLY")
    now = timezone.now()
    assert run(now) == 1
    assert balance_of(payer) == Decimal("75.00") and balance_of(payee) == Decimal("25.00")
    execution = StandingOrderExecution.objects.get(order=order)
    assert (execution.scheduled_for, execution.status, execution.attempts) == (today(), "SUCCEEDED", 1)
    txn = execution.transaction
    assert (txn.status, txn.transaction_type, txn.payment_method, txn.amount) == (
        "COMPLETED",
        "TRANSFER",
        "INTERNAL",
        Decimal("25.00"),
    )
    assert txn.metadata == {"standing_order_id": order.pk, "scheduled_for": today().isoformat()}
    order.refresh_from_db()
    assert order.last_executed == now and order.is_active
    assert order.next_scheduled_for == today() + timedelta(days=7)
    assert order.next_execution == run_at(today() + timedelta(days=7))
    assert run(now) == 0 and run(now + timedelta(days=6)) == 0
    assert balance_of(payer) == Decimal("75.00") and StandingOrderExecution.objects.count() == 1
    assert run_all() == [] and mail.outbox == []


def test_orders_not_due_or_not_active_are_left_alone(payer, payee, run, snapshot):
    StandingOrderFactory(user=payer, recipient=payee, start_date=today() + timedelta(days=1))
    StandingOrderFactory(
        user=payer, recipient=payee, status="PAUSED", is_active=False, next_scheduled_for=None, next_execution=None
    )
    before = snapshot()
    assert run() == 0
    assert snapshot() == before


def test_insufficient_funds_fails_the_period_and_retries_it_later(payer, payee, run, snapshot):
    order = StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("150.00"))
    now = timezone.now()
    before = snapshot()
    assert run(now) == 1
    execution = StandingOrderExecution.objects.get(order=order)
    assert (execution.status, execution.attempts) == ("FAILED", 1)
    assert "Insufficient balance" in execution.failure_reason
    assert execution.transaction.status == "FAILED"
    assert snapshot()["balances"] == before["balances"] and snapshot()["entries"] == before["entries"]
    order.refresh_from_db()
    assert order.is_active and order.next_scheduled_for == today()
    assert order.next_execution == now + timedelta(minutes=60) and order.last_executed is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [payer.email]
    assert "failed" in mail.outbox[0].subject and "try again" in mail.outbox[0].body

    assert run(now + timedelta(minutes=59)) == 0
    wallet_fund(user=payer, amount=Decimal("50.00"))
    assert run(now + timedelta(minutes=60)) == 1
    execution.refresh_from_db()
    assert (execution.status, execution.attempts, execution.failure_reason) == ("SUCCEEDED", 2, "")
    assert balance_of(payer) == 0 and balance_of(payee) == Decimal("150.00")
    order.refresh_from_db()
    assert order.next_scheduled_for > today() and len(mail.outbox) == 1
    assert run_all() == []


def test_after_the_last_retry_the_period_is_skipped_and_the_order_goes_on(payer, payee, run, settings, snapshot):
    settings.STANDING_ORDER_MAX_RETRIES = 2
    order = StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("150.00"), frequency="DAILY")
    before = snapshot()["balances"]
    now = timezone.now()
    for attempt in range(3):
        assert run(now + timedelta(hours=attempt)) == 1
    execution = StandingOrderExecution.objects.get(order=order)
    assert (execution.status, execution.attempts) == ("SKIPPED", 3)
    assert execution.failure_reason.startswith("Skipped after 3 attempts: Insufficient balance")
    assert TransactionToken.objects.filter(metadata__standing_order_id=order.pk, status="FAILED").count() == 3
    order.refresh_from_db()
    assert order.is_active and order.status == "ACTIVE"
    assert order.next_scheduled_for == today() + timedelta(days=1)
    assert order.next_execution == run_at(today() + timedelta(days=1))
    assert snapshot()["balances"] == before
    assert [m.subject.split(": ", 1)[1] for m in mail.outbox] == [
        "payment of 150.00 failed",
        f"payment due on {today()} skipped",
    ]


@pytest.mark.parametrize("who", ["recipient", "owner"])
def test_an_inactive_payee_or_owner_fails_the_period_and_suspends_the_order(payer, payee, run, snapshot, who):
    order = StandingOrderFactory(user=payer, recipient=payee)
    gone = payee if who == "recipient" else payer
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    before = snapshot()
    assert run() == 1
    execution = StandingOrderExecution.objects.get(order=order)
    assert (execution.status, execution.transaction) == ("FAILED", None)
    order.refresh_from_db()
    assert (order.status, order.is_active, order.next_execution, order.next_scheduled_for) == (
        "SUSPENDED",
        False,
        None,
        None,
    )
    assert order.status_reason == execution.failure_reason != ""
    after = snapshot()
    assert after["balances"] == before["balances"] and after["transactions"] == before["transactions"]
    assert len(mail.outbox) == 1 and "suspended" in mail.outbox[0].subject
    assert run() == 0


def test_the_last_period_on_the_end_date_completes_the_order(payer, payee, run):
    order = StandingOrderFactory(
        user=payer, recipient=payee, frequency="DAILY", start_date=days_ago(2), end_date=today()
    )
    assert run() == 3
    assert list(order.executions.values_list("scheduled_for", "status")) == [
        (days_ago(2), "SUCCEEDED"),
        (days_ago(1), "SUCCEEDED"),
        (today(), "SUCCEEDED"),
    ]
    order.refresh_from_db()
    assert (order.status, order.is_active, order.next_execution) == ("COMPLETED", False, None)
    assert balance_of(payee) == Decimal("30.00")


def test_catch_up_all_pays_every_missed_period_once(payer, payee, run):
    order = StandingOrderFactory(user=payer, recipient=payee, frequency="WEEKLY", start_date=days_ago(15))
    assert run() == 3
    assert list(order.executions.order_by("scheduled_for").values_list("scheduled_for", flat=True)) == [
        days_ago(15),
        days_ago(8),
        days_ago(1),
    ]
    assert balance_of(payee) == Decimal("30.00") and run() == 0
    order.refresh_from_db()
    assert order.next_scheduled_for == days_ago(1) + timedelta(days=7)


def test_catch_up_latest_skips_the_missed_periods_and_pays_the_latest(payer, payee, run, settings):
    settings.STANDING_ORDER_CATCH_UP = "latest"
    order = StandingOrderFactory(user=payer, recipient=payee, frequency="WEEKLY", start_date=days_ago(15))
    assert run() == 1
    rows = list(order.executions.order_by("scheduled_for").values_list("scheduled_for", "status"))
    assert rows == [(days_ago(15), "SKIPPED"), (days_ago(8), "SKIPPED"), (days_ago(1), "SUCCEEDED")]
    assert "catch-up policy: latest" in order.executions.filter(status="SKIPPED").first().failure_reason
    assert balance_of(payee) == Decimal("10.00") and mail.outbox == []


def test_a_period_already_recorded_is_never_paid_again(payer, payee, run):
    """A stale pointer (as after a crash between two systems, or a bug) cannot pay twice: the order
    moves on without a payment, and the database refuses a second row for the period."""
    order = StandingOrderFactory(user=payer, recipient=payee, frequency="DAILY")
    first = standing_orders_execute_due(now=timezone.now())
    StandingOrder.objects.filter(pk=order.pk).update(next_scheduled_for=today(), next_execution=run_at(today()))
    assert first == 1 and run() == 1
    assert balance_of(payer) == Decimal("90.00") and order.executions.count() == 1
    order.refresh_from_db()
    assert order.next_scheduled_for == today() + timedelta(days=1)
    with pytest.raises(IntegrityError):
        StandingOrderExecution.objects.create(order=order, scheduled_for=today(), status="SKIPPED")


def test_an_order_that_breaks_is_rolled_back_alone(payer, payee, make_user, run, monkeypatch):
    broken = StandingOrderFactory(user=payer, recipient=payee)
    healthy = StandingOrderFactory(user=payer, recipient=make_user())
    real_outcome = periods.record_outcome

    def outcome(order, execution, txn, now):
        real_outcome(order, execution, txn, now)
        if order.pk == broken.pk:  # after its payment, in the batch and on the per-order path
            raise RuntimeError("boom")

    monkeypatch.setattr(periods, "record_outcome", outcome)
    assert run() == 1
    assert healthy.executions.get().status == "SUCCEEDED" and not broken.executions.exists()
    assert balance_of(payee) == 0 and balance_of(payer) == Decimal("90.00")
    broken.refresh_from_db()
    assert broken.next_scheduled_for == today() and broken.is_active
    assert run_all() == []
