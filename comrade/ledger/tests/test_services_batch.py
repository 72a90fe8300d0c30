"""`transactions_open_settled_many` stores what `transaction_open_settled` stores, item by item."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from comrade.ledger import services as ledger_services
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.services import (
    Leg,
    transaction_open_settled,
    transactions_open_settled_many,
    wallet_account_id,
)

pytestmark = pytest.mark.django_db

# (legs as (user index, amount)), in order; the funds are 50, 0, 10
PLAN = [
    [(0, "-30"), (1, "30")],  # fits: A 20
    [(0, "-30"), (2, "30")],  # A has 20: FAILED, its neighbours go on
    [(0, "-20"), (2, "20")],  # fits exactly: A 0
    [(1, "-30"), (0, "30")],  # B pays back what it got in this batch
    [(2, "-40"), (0, "40")],  # C has 30: FAILED
    [(0, "-5"), (1, "2"), (2, "3")],  # three legs
    [(2, "-33"), (1, "33")],  # C has 33 now: fits, C 0
]


def world(make_user) -> tuple[list, list[int]]:
    users = [make_user(balance=50), make_user(), make_user(balance=10)]
    return users, [wallet_account_id(u) for u in users]


def items(users, accounts) -> list[tuple[list[Leg], dict]]:
    return [
        (
            [Leg(accounts[i], Decimal(amount)) for i, amount in legs],
            {
                "sender": users[legs[0][0]],
                "receiver": users[legs[1][0]],
                "amount": -Decimal(legs[0][1]),
                "transaction_type": TransactionToken.Type.TRANSFER,
                "description": f"item {n}",
                "metadata": {"n": n},
            },
        )
        for n, legs in enumerate(PLAN)
    ]


def stored(txn: TransactionToken, accounts: list[int]) -> dict:
    """What the database holds for one transaction, with accounts named by their index."""
    txn = TransactionToken.objects.get(pk=txn.pk)
    return {
        "status": txn.status,
        "failure_reason": txn.failure_reason,
        "failure_code": txn.failure_code,
        "verified": txn.verification_date is not None,
        "fields": (txn.amount, txn.description, txn.metadata, txn.transaction_type, txn.payment_method),
        "trail": list(txn.status_changes.order_by("id").values_list("from_status", "to_status", "reason")),
        "entries": [
            (accounts.index(e.account_id), e.amount, e.balance_after)
            for e in LedgerEntry.objects.filter(transaction=txn).order_by("id")
        ],
    }


def books(accounts: list[int]) -> list[tuple]:
    by_id = {a.pk: a for a in LedgerAccount.objects.filter(pk__in=accounts)}
    return [(by_id[pk].balance, by_id[pk].total_in, by_id[pk].total_out) for pk in accounts]


def test_the_batch_stores_what_one_call_per_item_stores(make_user):
    one_users, one_accounts = world(make_user)
    many_users, many_accounts = world(make_user)
    one_by_one = []
    for legs, fields in items(one_users, one_accounts):
        with transaction.atomic():
            one_by_one.append(transaction_open_settled(legs=legs, **fields))
    with transaction.atomic():
        batch = transactions_open_settled_many(items(many_users, many_accounts))

    assert [t.status for t in batch] == ["COMPLETED", "FAILED", "COMPLETED", "COMPLETED", "FAILED"] + ["COMPLETED"] * 2
    assert [stored(t, many_accounts) for t in batch] == [stored(t, one_accounts) for t in one_by_one]
    assert books(many_accounts) == books(one_accounts)
    assert [b for b, _, _ in books(many_accounts)] == [Decimal("25.00"), Decimal("35.00"), Decimal("0.00")]
    assert batch[1].failure_reason == "Insufficient balance: 20.00 available, 30 needed."
    assert [[c.to_status for c in t.status_changes.all()] for t in batch[:2]] == [
        ["PENDING", "AUTHORIZED", "VERIFIED", "COMPLETED"],
        ["PENDING", "FAILED"],
    ]
    when = batch[0].verification_date
    assert {c.created_at for t in batch for c in t.status_changes.all()} == {when}
    assert {e.created_at for e in LedgerEntry.objects.filter(transaction__in=batch)} == {when}
    assert run_all() == []


def test_a_batch_where_every_item_fails_moves_nothing(make_user):
    users, accounts = world(make_user)
    entries = LedgerEntry.objects.count()
    legs = [Leg(accounts[1], Decimal("-1")), Leg(accounts[0], Decimal("1"))]
    with transaction.atomic():
        batch = transactions_open_settled_many([(legs, {"sender": users[1], "amount": Decimal(1)})] * 2)
    assert [t.status for t in batch] == ["FAILED", "FAILED"]
    assert LedgerEntry.objects.count() == entries
    assert books(accounts)[:2] == [(Decimal("50.00"), Decimal("50.00"), 0), (0, 0, 0)]
    assert transactions_open_settled_many([]) == []


def test_an_unbalanced_item_refuses_the_whole_batch(make_user):
    users, accounts = world(make_user)
    good = [Leg(accounts[0], Decimal("-1")), Leg(accounts[1], Decimal("1"))]
    bad = [Leg(accounts[0], Decimal("-1")), Leg(accounts[1], Decimal("2"))]
    count = TransactionToken.objects.count()
    with transaction.atomic(), pytest.raises(ValueError):
        transactions_open_settled_many(
            [(good, {"sender": users[0], "amount": 1}), (bad, {"sender": users[0], "amount": 1})]
        )
    assert TransactionToken.objects.count() == count and books(accounts)[0][0] == Decimal("50.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-statement write is PostgreSQL's")
def test_the_one_statement_write_stores_what_the_step_by_step_write_stores(make_user, monkeypatch):
    """PostgreSQL writes a batch in one statement; SQLite step by step (transactions, trails,
    entries, caches): both give the same rows."""
    one_users, one_accounts = world(make_user)
    step_users, step_accounts = world(make_user)
    with transaction.atomic():
        in_one = transactions_open_settled_many(items(one_users, one_accounts))
    monkeypatch.setattr(ledger_services, "_batch_write_in_one_statement", ledger_services._batch_write_step_by_step)
    with transaction.atomic():
        step_by_step = transactions_open_settled_many(items(step_users, step_accounts))

    assert [stored(t, one_accounts) for t in in_one] == [stored(t, step_accounts) for t in step_by_step]
    assert books(one_accounts) == books(step_accounts)
    assert [t.pk for t in in_one] == sorted(t.pk for t in in_one)
    assert run_all() == []
