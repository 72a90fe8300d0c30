"""Concurrency claims, on PostgreSQL only: SQLite ignores select_for_update."""

import random
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from comrade.core.testing.concurrency import run_together
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.transfers.services import transfer_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
URL = "/payments/transactions/create_transaction/"


def wallet_total() -> Decimal:
    return sum(LedgerAccount.objects.filter(kind="WALLET").values_list("balance", flat=True), Decimal(0))


def test_sixteen_threads_of_random_transfers_conserve_money(make_user):
    users = [make_user(balance="100.00") for _ in range(10)]

    def worker(seed: int):
        rng = random.Random(seed)
        outcomes = []
        for _ in range(50):
            sender, receiver = rng.sample(users, 2)
            amount = Decimal(rng.randint(1, 3000)) / 100
            outcomes.append(transfer_create(sender=sender, receiver_id=receiver.pk, amount=amount).status)
        return outcomes

    results = run_together([lambda s=s: worker(s) for s in range(16)])
    assert not [r for r in results if isinstance(r, Exception)], results
    statuses = [status for outcome in results for status in outcome]
    assert len(statuses) == 800 and set(statuses) <= {"COMPLETED", "FAILED"}
    assert statuses.count("COMPLETED") > 0
    assert wallet_total() == Decimal("1000.00")
    assert all(balance_of(u) >= 0 for u in users)
    assert TransactionToken.objects.filter(transaction_type="TRANSFER", status="COMPLETED").count() == statuses.count(
        "COMPLETED"
    )
    assert run_all() == []


def test_ten_parallel_requests_for_the_whole_balance_only_one_succeeds(make_user):
    sender, receiver = make_user(balance="100.00"), make_user()

    def send():
        client = APIClient()
        client.force_authenticate(sender)
        return client.post(
            URL,
            {
                "receiver_id": receiver.pk,
                "amount": "100.00",
                "payment_method": "INTERNAL",
                "transaction_type": "TRANSFER",
            },
            format="json",
        ).status_code

    codes = run_together([send] * 10)
    assert sorted(codes) == [201] + [400] * 9
    assert balance_of(sender) == 0 and balance_of(receiver) == Decimal("100.00")
    assert TransactionToken.objects.filter(transaction_type="TRANSFER", status="FAILED").count() == 9
    assert run_all() == []


def test_same_idempotency_key_from_ten_threads_moves_money_once(make_user):
    sender, receiver = make_user(balance="100.00"), make_user()

    def send():
        client = APIClient()
        client.force_authenticate(sender)
        response = client.post(
            URL,
            {
                "receiver_id": receiver.pk,
                "amount": "10.00",
                "payment_method": "INTERNAL",
                "transaction_type": "TRANSFER",
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY="storm",
        )
        return response.status_code, response.json().get("token")

    results = run_together([send] * 10)
    assert {code for code, _ in results} == {201}
    assert len({token for _, token in results}) == 1
    assert balance_of(sender) == Decimal("90.00") and balance_of(receiver) == Decimal("10.00")
    assert LedgerEntry.objects.filter(transaction__transaction_type="TRANSFER").count() == 2
    assert run_all() == []
