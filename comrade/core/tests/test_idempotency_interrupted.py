"""A request that raised after it moved money keeps its Idempotency-Key: a retry is told what the
first one did (409 idempotency_request_interrupted) and does not hold the money a second time."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from comrade.core.models import IdempotencyRecord
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
URL = "/payments/transactions/create_transaction/"
WITHDRAWAL = {
    "amount": "30.00",
    "payment_method": "EXTERNAL",
    "transaction_type": "WITHDRAWAL",
    "external_payment_provider": "sandbox",
    "metadata": {"destination": "acct_demo"},
}


@pytest.fixture
def client(user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    return client


@pytest.fixture
def broken_callback_url(monkeypatch):
    """Something raises after the hold committed, before the provider is called (as building the
    callback URL did when MPESA_CALLBACK_SECRET held a '/')."""

    def payout(self, request):
        raise RuntimeError("cannot build the payout request")

    monkeypatch.setattr("comrade.gateways.providers.sandbox.SandboxGateway.payout", payout)


def withdrawals():
    return TransactionToken.objects.filter(transaction_type="WITHDRAWAL")


def test_a_retry_after_a_failure_past_the_hold_does_not_hold_twice(client, user, broken_callback_url):
    first = client.post(URL, WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert first.status_code == 500
    [held] = withdrawals()
    assert balance_of(user) == Decimal("70.00")
    assert LedgerAccount.objects.get(code="holding").balance == Decimal("30.00")

    retry = client.post(URL, WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert retry.status_code == 409
    assert retry.json()["code"] == "idempotency_request_interrupted"
    assert [t["token"] for t in retry.json()["transactions"]] == [held.token]
    assert withdrawals().count() == 1 and balance_of(user) == Decimal("70.00")
    assert LedgerAccount.objects.get(code="holding").balance == Decimal("30.00")
    assert IdempotencyRecord.objects.filter(key="w-1", response_status__isnull=True).count() == 1


def test_a_failure_before_any_money_moved_gives_the_key_back(client, user, monkeypatch):
    def gateway_for(name, **kwargs):
        raise RuntimeError("registry broke before the hold")

    monkeypatch.setattr("comrade.gateways.services.payouts.gateway_for", gateway_for)
    assert client.post(URL, WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="w-2").status_code == 500
    assert not IdempotencyRecord.objects.filter(key="w-2").exists()
    monkeypatch.undo()

    retry = client.post(URL, WITHDRAWAL, format="json", HTTP_IDEMPOTENCY_KEY="w-2")
    assert retry.status_code == 201, retry.json()
    assert withdrawals().count() == 1 and balance_of(user) == Decimal("70.00")
