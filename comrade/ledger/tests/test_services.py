from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from comrade.core.testing.ledger import same_transaction, trail
from comrade.ledger.checks import run_all
from comrade.ledger.models import IllegalTransition, LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import (
    InsufficientFunds,
    Leg,
    post,
    settle,
    system_account,
    transaction_open,
    transaction_open_settled,
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


def test_transaction_open_settled_stores_what_open_and_settle_store(make_user):
    payer, payee = make_user(balance=10), make_user(balance=1)
    legs = [Leg(wallet_account_id(payer), Decimal("-2.50")), Leg(wallet_account_id(payee), Decimal("2.50"))]
    with transaction.atomic():
        txn = transaction_open_settled(legs=legs, sender=payer, receiver=payee, amount=Decimal("2.50"))
    txn.refresh_from_db()
    assert txn.status == "COMPLETED" and txn.verification_date is not None and txn.failure_code == ""
    assert trail(txn) == [
        ("", "PENDING", ""),
        ("PENDING", "AUTHORIZED", ""),
        ("AUTHORIZED", "VERIFIED", ""),
        ("VERIFIED", "COMPLETED", ""),
    ]
    entries = {e.account_id: e for e in txn.entries.all()}
    assert entries[wallet_account_id(payer)].balance_after == Decimal("7.50")
    assert entries[wallet_account_id(payee)].balance_after == Decimal("3.50")
    payer_account = LedgerAccount.objects.get(pk=wallet_account_id(payer))
    assert (payer_account.balance, payer_account.total_in, payer_account.total_out) == (
        Decimal("7.50"),
        Decimal("10.00"),
        Decimal("2.50"),
    )
    assert balance_of(payee) == Decimal("3.50")
    assert run_all() == []


def test_transaction_open_settled_records_insufficient_funds_and_moves_nothing(make_user):
    payer, payee = make_user(balance=1), make_user()
    legs = [Leg(wallet_account_id(payer), Decimal("-2.00")), Leg(wallet_account_id(payee), Decimal("2.00"))]
    with transaction.atomic():
        txn = transaction_open_settled(legs=legs, sender=payer, receiver=payee, amount=Decimal("2.00"))
    txn.refresh_from_db()
    assert txn.status == "FAILED" and txn.failure_code == "insufficient_funds"
    assert txn.failure_reason.startswith("Insufficient balance: 1.00 available, 2.00 needed")
    assert trail(txn) == [("", "PENDING", ""), ("PENDING", "FAILED", txn.failure_reason)]
    assert not txn.entries.exists()
    assert (balance_of(payer), balance_of(payee)) == (Decimal("1.00"), Decimal("0.00"))
    assert LedgerAccount.objects.get(pk=wallet_account_id(payer)).total_out == Decimal("0.00")
    assert run_all() == []


def test_transaction_open_settled_refuses_an_unbalanced_journal_before_writing(make_user):
    payer, payee = make_user(balance=5), make_user()
    unbalanced = [Leg(wallet_account_id(payer), Decimal("-2.00")), Leg(wallet_account_id(payee), Decimal("1.00"))]
    with pytest.raises(ValueError, match="Unbalanced"), transaction.atomic():
        transaction_open_settled(legs=unbalanced, sender=payer, receiver=payee, amount=Decimal("2.00"))
    assert not TransactionToken.objects.filter(sender=payer, transaction_type="TRANSFER").exists()
    assert balance_of(payer) == Decimal("5.00")


def test_post_nets_several_legs_on_one_account(make_user):
    payer, payee = make_user(balance=5), make_user()
    txn = transaction_open(sender=payer, receiver=payee, amount=Decimal("3.00"))
    legs = [
        Leg(wallet_account_id(payer), Decimal("-1.00")),
        Leg(wallet_account_id(payer), Decimal("-2.00")),
        Leg(wallet_account_id(payee), Decimal("3.00")),
    ]
    with transaction.atomic():
        post(txn=txn, legs=legs)
    assert (balance_of(payer), balance_of(payee)) == (Decimal("2.00"), Decimal("3.00"))
    payer_entries = txn.entries.filter(account_id=wallet_account_id(payer)).order_by("id")
    assert [e.balance_after for e in payer_entries] == [Decimal("4.00"), Decimal("2.00")]
    assert run_all() == []


@pytest.mark.parametrize("balance", [10, 1], ids=["completed", "insufficient_funds"])
def test_transaction_open_settled_writes_every_column_as_open_and_settle_do(make_user, balance):
    """On PostgreSQL `transaction_open_settled` writes its rows in one statement of its own SQL;
    every column must come out as the ORM path (`transaction_open` + `settle`) writes it."""
    payer, payee = make_user(balance=balance), make_user()
    legs = [Leg(wallet_account_id(payer), Decimal("-2.50")), Leg(wallet_account_id(payee), Decimal("2.50"))]
    fields = dict(sender=payer, receiver=payee, amount=Decimal("2.50"), description="Rent", metadata={"k": [1, "x"]})
    with transaction.atomic():
        fast = transaction_open_settled(legs=legs, **fields)
    with transaction.atomic():
        slow = settle(transaction_open(**fields), [Leg(leg.account_id, leg.amount) for leg in legs])
    stored_fast, _ = same_transaction(fast, slow)
    fast_entries = [(e.account_id, e.amount) for e in stored_fast.entries.order_by("id")]
    assert fast_entries == ([(leg.account_id, leg.amount) for leg in legs] if balance == 10 else [])
    assert run_all() == []
