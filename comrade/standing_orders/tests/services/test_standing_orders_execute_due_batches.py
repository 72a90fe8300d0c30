"""Orders paying a user are executed in batches (one database transaction, one ledger call):
each order's outcome is its own, and the same as on the per-order path."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.standing_orders.schedule import run_at
from comrade.standing_orders.services import batch, standing_orders_execute_due
from comrade.standing_orders.tests.factories import StandingOrderFactory, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def execute(now) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return standing_orders_execute_due(now=now)

    return execute


@pytest.fixture
def one_batch(monkeypatch):
    """Fail the test if the orders were not paid by the batch's single ledger call."""
    calls = []
    real = batch.transactions_open_settled_many

    def many(items):
        if items:
            calls.append(len(items))
        return real(items)

    monkeypatch.setattr(batch, "transactions_open_settled_many", many)
    return calls


def entries_of(order) -> list[tuple[Decimal, Decimal]]:
    return list(
        LedgerEntry.objects.filter(transaction__metadata__standing_order_id=order.pk)
        .order_by("id")
        .values_list("amount", "balance_after")
    )


def test_insufficient_funds_on_one_order_does_not_fail_its_neighbours(make_user, run, one_batch):
    rich, poor, payee = make_user(balance="100.00"), make_user(balance="5.00"), make_user()
    first = StandingOrderFactory(user=rich, recipient=payee, amount=Decimal("30.00"))
    short = StandingOrderFactory(user=poor, recipient=payee, amount=Decimal("6.00"))
    last = StandingOrderFactory(user=rich, recipient=payee, amount=Decimal("20.00"))
    now = timezone.now()

    assert run(now) == 3 and one_batch == [3]

    assert (balance_of(rich), balance_of(poor), balance_of(payee)) == (Decimal("50.00"), Decimal("5.00"), 50)
    assert entries_of(first) == [(Decimal("-30.00"), Decimal("70.00")), (Decimal("30.00"), Decimal("30.00"))]
    assert entries_of(short) == []
    assert entries_of(last) == [(Decimal("-20.00"), Decimal("50.00")), (Decimal("20.00"), Decimal("50.00"))]
    failed = short.executions.get()
    assert (failed.status, failed.attempts, failed.transaction.status) == ("FAILED", 1, "FAILED")
    assert failed.failure_reason == "Insufficient balance: 5.00 available, 6.00 needed."
    assert failed.transaction.failure_code == "insufficient_funds"
    short.refresh_from_db()
    assert short.next_scheduled_for == today() and short.next_execution == now + timedelta(minutes=60)
    for paid in (first, last):
        paid.refresh_from_db()
        assert paid.executions.get().status == "SUCCEEDED" and paid.last_executed == now
        assert paid.next_scheduled_for > today() and paid.next_execution == run_at(paid.next_scheduled_for)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [poor.email]
    assert run(now) == 0 and run_all() == []


def test_two_orders_of_one_payer_where_only_the_first_fits(make_user, run, one_batch):
    payer, a, b = make_user(balance="50.00"), make_user(), make_user()
    fits = StandingOrderFactory(user=payer, recipient=a, amount=Decimal("40.00"))
    too_much = StandingOrderFactory(user=payer, recipient=b, amount=Decimal("40.00"))
    assert run(timezone.now()) == 2 and one_batch == [2]
    assert (balance_of(payer), balance_of(a), balance_of(b)) == (Decimal("10.00"), Decimal("40.00"), 0)
    assert fits.executions.get().status == "SUCCEEDED"
    refused = too_much.executions.get()
    assert refused.status == "FAILED"
    assert refused.failure_reason == "Insufficient balance: 10.00 available, 40.00 needed."
    assert run_all() == []


def test_orders_paying_each_other_in_one_batch_use_the_running_balance(make_user, run, one_batch):
    a, b = make_user(balance="10.00"), make_user()
    there = StandingOrderFactory(user=a, recipient=b, amount=Decimal("10.00"))
    back = StandingOrderFactory(user=b, recipient=a, amount=Decimal("10.00"))
    assert run(timezone.now()) == 2 and one_batch == [2]
    assert {there.executions.get().status, back.executions.get().status} == {"SUCCEEDED"}
    assert (balance_of(a), balance_of(b)) == (Decimal("10.00"), 0)
    assert entries_of(back) == [(Decimal("-10.00"), Decimal("0.00")), (Decimal("10.00"), Decimal("10.00"))]
    assert run_all() == []


def test_an_inactive_owner_in_a_batch_is_suspended_and_the_others_are_paid(make_user, run, one_batch):
    payer, gone, payee = make_user(balance="100.00"), make_user(balance="100.00"), make_user()
    paid = StandingOrderFactory(user=payer, recipient=payee)
    suspended = StandingOrderFactory(user=gone, recipient=payee)
    to_gone = StandingOrderFactory(user=payer, recipient=gone)
    type(gone).objects.filter(pk=gone.pk).update(is_active=False)
    transactions = TransactionToken.objects.count()

    assert run(timezone.now()) == 3 and one_batch == [1]

    assert paid.executions.get().status == "SUCCEEDED" and balance_of(payee) == Decimal("10.00")
    assert balance_of(gone) == Decimal("100.00") and balance_of(payer) == Decimal("90.00")
    assert TransactionToken.objects.count() == transactions + 1
    for order, reason in ((suspended, "The owner's account is no longer active."), (to_gone, "No active user")):
        order.refresh_from_db()
        execution = order.executions.get()
        assert (order.status, order.is_active, execution.status, execution.transaction) == (
            "SUSPENDED",
            False,
            "FAILED",
            None,
        )
        assert order.status_reason.startswith(reason)
    assert sorted(len(m.to) for m in mail.outbox) == [1, 1] and all("suspended" in m.subject for m in mail.outbox)
    assert run(timezone.now()) == 0 and run_all() == []


def test_a_retried_period_and_the_last_retry_in_a_batch(make_user, run, settings, one_batch):
    settings.STANDING_ORDER_MAX_RETRIES = 1
    payer, payee = make_user(balance="15.00"), make_user()
    retried = StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("20.00"))
    given_up = StandingOrderFactory(user=payer, recipient=payee, amount=Decimal("30.00"), frequency="DAILY")
    now = timezone.now()
    assert run(now) == 2
    from comrade.ledger.services import wallet_fund

    wallet_fund(user=payer, amount=Decimal("10.00"))
    assert run(now + timedelta(minutes=60)) == 2 and one_batch == [2, 2]
    assert retried.executions.get().status == "SUCCEEDED" and retried.executions.get().attempts == 2
    skipped = given_up.executions.get()
    assert (skipped.status, skipped.attempts) == ("SKIPPED", 2)
    assert skipped.failure_reason == "Skipped after 2 attempts: Insufficient balance: 5.00 available, 30.00 needed."
    given_up.refresh_from_db()
    assert given_up.next_scheduled_for == today() + timedelta(days=1) and given_up.is_active
    assert (balance_of(payer), balance_of(payee)) == (Decimal("5.00"), Decimal("20.00"))
    assert len(mail.outbox) == 3  # two failures, one skipped period


def test_a_batch_that_breaks_is_executed_order_by_order(make_user, run, monkeypatch):
    payer, payee = make_user(balance="100.00"), make_user()
    orders = [StandingOrderFactory(user=payer, recipient=payee) for _ in range(3)]

    def broken(items):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "transactions_open_settled_many", broken)
    assert run(timezone.now()) == 3
    assert [o.executions.get().status for o in orders] == ["SUCCEEDED"] * 3
    assert balance_of(payee) == Decimal("30.00") and run(timezone.now()) == 0 and run_all() == []


def outcome(orders, users) -> list:
    """Everything a run recorded, with users named by their index."""
    index = {u.pk: i for i, u in enumerate(users)}
    rows = []
    for order in orders:
        order.refresh_from_db()
        for e in order.executions.order_by("scheduled_for"):
            txn = e.transaction
            rows.append(
                (
                    (order.status, order.status_reason, order.next_scheduled_for, order.next_execution),
                    (e.scheduled_for, e.status, e.attempts, e.failure_reason),
                    txn and (txn.status, txn.amount, txn.failure_reason, index[txn.sender_id], index[txn.receiver_id]),
                    [(a, b) for a, b in entries_of(order)],
                )
            )
    return [rows, [balance_of(u) for u in users]]


def mails(users) -> list[tuple[int, str]]:
    emails = [u.email for u in users]
    return sorted((emails.index(m.to[0]), re.sub(r"#\d+", "#", m.subject)) for m in mail.outbox)


def scenario(make_user) -> tuple[list, list]:
    users = [make_user(balance=b) for b in ("30.00", "0", "12.00", "100.00")]
    type(users[3]).objects.filter(pk=users[3].pk).update(is_active=False)
    plan = [(0, 1, "20.00"), (0, 2, "20.00"), (1, 0, "15.00"), (2, 1, "12.00"), (3, 0, "1.00"), (0, 3, "1.00")]
    plan += [(1, 2, "4.00"), (2, 0, "9.00")]
    orders = [StandingOrderFactory(user=users[p], recipient=users[r], amount=Decimal(a)) for p, r, a in plan]
    return orders, users


def test_the_batch_records_what_the_per_order_path_records(make_user, run, monkeypatch):
    now = timezone.now()
    batch_orders, batch_users = scenario(make_user)
    assert run(now) == 8
    batched = outcome(batch_orders, batch_users)
    batch_mail = mails(batch_users)

    mail.outbox.clear()
    single_orders, single_users = scenario(make_user)
    monkeypatch.setattr(batch, "TRANSFER_BATCH", 1)
    assert run(now) == 8

    assert outcome(single_orders, single_users) == batched
    assert mails(single_users) == batch_mail  # the batch sends them in another order
    statuses = [row[1][1] for row in batched[0]]
    assert statuses == ["SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED", "FAILED", "FAILED", "SUCCEEDED", "FAILED"]
    assert batched[1] == [Decimal("25.00"), Decimal("13.00"), Decimal("4.00"), Decimal("100.00")]
    assert run_all() == []
