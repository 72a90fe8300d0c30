from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from comrade.ledger.checks import run_all
from comrade.ledger.models import IllegalTransition, LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import (
    InsufficientFunds,
    Leg,
    post,
    system_account,
    transaction_open,
    transition,
    wallet_account_id,
    wallet_fund,
)

pytestmark = pytest.mark.django_db


def test_wallet_fund_posts_a_balanced_journal_with_running_balances(make_user):
    user = make_user()
    wallet_fund(user=user, amount=Decimal("40.00"))
    txn = wallet_fund(user=user, amount=Decimal("2.50"))
    assert txn.status == "COMPLETED"
    assert [c.to_status for c in txn.status_changes.order_by("id")] == [
        "PENDING",
        "AUTHORIZED",
        "VERIFIED",
        "COMPLETED",
    ]
    entries = list(LedgerEntry.objects.filter(transaction=txn).order_by("amount"))
    assert [e.amount for e in entries] == [Decimal("-2.50"), Decimal("2.50")]
    assert entries[1].balance_after == Decimal("42.50")
    assert balance_of(user) == Decimal("42.50")
    assert run_all() == []


def test_post_refuses_unbalanced_journal_and_overdraft_without_writing(make_user):
    a, b = make_user(balance=10), make_user()
    txn = transaction_open(sender=a, receiver=b, amount=Decimal("11"))
    with transaction.atomic(), pytest.raises(ValueError):
        post(txn=txn, legs=[Leg(wallet_account_id(a), Decimal("-1")), Leg(wallet_account_id(b), Decimal("2"))])
    with transaction.atomic(), pytest.raises(InsufficientFunds):
        post(txn=txn, legs=[Leg(wallet_account_id(a), Decimal("-11")), Leg(wallet_account_id(b), Decimal("11"))])
    assert not LedgerEntry.objects.filter(transaction=txn).exists()
    assert balance_of(a) == 10 and balance_of(b) == 0


def test_entries_are_append_only(make_user):
    user = make_user(balance=5)
    entry = LedgerEntry.objects.filter(account_id=wallet_account_id(user)).get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()


def test_token_is_immutable_and_illegal_transitions_are_refused(make_user):
    user = make_user(balance=5)
    txn = TransactionToken.objects.get(receiver=user)
    assert txn.token.startswith("TXN-") and len(txn.token) == 40
    txn.token = "TXN-forged"
    with pytest.raises(IllegalTransition):
        txn.save()
    txn.refresh_from_db()
    with pytest.raises(IllegalTransition):
        transition(txn, "PENDING")
    pending = transaction_open(sender=user, receiver=user, amount=Decimal("1"))
    with pytest.raises(IllegalTransition):
        transition(pending, "COMPLETED")
    transition(pending, "CANCELLED", reason="changed my mind")
    pending.refresh_from_db()
    assert pending.status == "CANCELLED" and pending.failure_reason == "changed my mind"


def test_database_refuses_negative_wallet_balance(make_user):
    user = make_user()
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=wallet_account_id(user)).update(balance=Decimal("-1"))


def test_verify_ledger_command_is_clean_then_reports_tampering(make_user, capsys):
    user = make_user(balance="12.34")
    call_command("verify_ledger")
    assert "ledger OK" in capsys.readouterr().out
    LedgerAccount.objects.filter(pk=wallet_account_id(user)).update(balance=Decimal("99.00"))
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    err = capsys.readouterr().err
    assert f"wallet:{user.pk}" in err and "99.00" in err


def test_fund_command_moves_platform_money_through_the_ledger(make_user, capsys):
    user = make_user(email="fund@example.com")
    call_command("fund", "fund@example.com", "25.50")
    assert balance_of(user) == Decimal("25.50")
    assert system_account(LedgerAccount.Kind.FUNDING).balance == Decimal("-25.50")
    with pytest.raises(CommandError):
        call_command("fund", "fund@example.com", "1.234")
    with pytest.raises(CommandError):
        call_command("fund", "nobody@example.com", "1")
    assert balance_of(user) == Decimal("25.50")
