"""The bulk loaders write straight into the ledger tables: they must leave a ledger that
verify_ledger accepts, fund each user once, and never change a balance without entries."""

from decimal import Decimal

import pytest

from bench.infra.load import ensure_users, load_history, load_standing_orders
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionStatusChange, TransactionToken

pytestmark = pytest.mark.django_db


def wallet_balances(wallets) -> list[Decimal]:
    return [LedgerAccount.objects.get(pk=w.account_id).balance for w in wallets]


def test_ensure_users_funds_each_user_once_through_balanced_journals():
    wallets = ensure_users(prefix="t-", count=5, cents=12_345)

    assert len(wallets) == 5
    assert wallet_balances(wallets) == [Decimal("123.45")] * 5
    funding = TransactionToken.objects.filter(transaction_type="FUNDING", status="COMPLETED")
    assert funding.count() == 5
    assert LedgerEntry.objects.filter(transaction__in=funding).count() == 10
    assert TransactionStatusChange.objects.filter(transaction__in=funding).count() == 20
    assert LedgerAccount.objects.get(code="funding").balance == Decimal("-617.25")
    assert run_all() == []


def test_ensure_users_again_adds_only_the_missing_users_and_funds_nobody_twice():
    ensure_users(prefix="t-", count=3, cents=1_000)
    wallets = ensure_users(prefix="t-", count=4, cents=1_000)

    assert len(wallets) == 4
    assert wallet_balances(wallets) == [Decimal("10.00")] * 4
    assert TransactionToken.objects.filter(transaction_type="FUNDING").count() == 4
    assert run_all() == []


@pytest.mark.postgres
def test_history_load_moves_money_between_wallets_and_keeps_the_ledger_consistent():
    wallets = ensure_users(prefix="t-", count=20, cents=100_000)
    hot = ensure_users(prefix="hot-", count=1, cents=1_000_000)[0]
    before = sum(wallet_balances(wallets + [hot]), Decimal(0))

    loaded = load_history(users=wallets, hot=hot, total=1_000, hot_count=100)

    assert loaded == 1_000
    involving_hot = TransactionToken.objects.filter(description="Bench history", sender_id=hot.user_id).count()
    involving_hot += TransactionToken.objects.filter(description="Bench history", receiver_id=hot.user_id).count()
    assert involving_hot == 100
    assert sum(wallet_balances(wallets + [hot]), Decimal(0)) == before
    assert run_all() == []


@pytest.mark.postgres
def test_loaded_ids_leave_the_sequences_ahead_so_the_app_can_insert_after_a_load():
    from comrade.accounts.models import User
    from comrade.transfers.services import transfer_create

    wallets = ensure_users(prefix="t-", count=2, cents=10_000)
    txn = transfer_create(sender=User.objects.get(pk=wallets[0].user_id), receiver_id=wallets[1].user_id, amount=1)

    assert txn.status == "COMPLETED"
    assert txn.pk > TransactionToken.objects.filter(transaction_type="FUNDING").order_by("-pk").first().pk
    assert run_all() == []


def test_standing_orders_load_makes_orders_due_today():
    from django.utils import timezone

    from comrade.standing_orders.models import StandingOrder

    wallets = ensure_users(prefix="t-", count=3, cents=10_000)
    today = timezone.now().date()

    assert load_standing_orders(users=wallets, count=6, today=today) == 6
    due = StandingOrder.objects.filter(is_active=True, next_execution__lte=timezone.now())
    assert due.count() == 6
    assert {o.user_id for o in due} == {w.user_id for w in wallets}
    assert all(o.user_id != o.recipient_id for o in due)
