"""External purchases: the purchase row appears when the provider's money settles."""

from decimal import Decimal

import pytest
from django.db import transaction

from comrade.commerce.models import Purchase
from comrade.commerce.services.purchases import sales_account
from comrade.commerce.tests.factories import PaymentItemFactory, ProductFactory
from comrade.core import settlement
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import Leg, post, system_account, transaction_open, transition

pytestmark = pytest.mark.django_db


def fake_start(**kwargs):
    """The gateway boundary: runs the caller's guard, then opens a PENDING external transaction in
    the same database transaction, as external_payment_start does."""
    with transaction.atomic():
        if kwargs.get("guard") is not None:
            kwargs["guard"]()
        return transaction_open(
            sender=kwargs["user"],
            receiver=kwargs["user"],
            amount=kwargs["amount"],
            payment_method="EXTERNAL",
            external_payment_provider=kwargs["provider"],
            transaction_type=kwargs["transaction_type"],
            description=kwargs["description"],
            metadata=kwargs["metadata"],
        )


@pytest.fixture
def gateway(monkeypatch):
    calls = []

    def start(**kwargs):
        txn = fake_start(**kwargs)
        calls.append(kwargs)  # the provider is asked only once the guard has passed
        return txn

    monkeypatch.setattr("comrade.gateways.services.external_payment_start", start)
    return calls


def simulate_settlement(txn: TransactionToken) -> None:
    """What the gateway flow does on a verified success webhook."""
    with transaction.atomic():
        transition(txn, "AUTHORIZED")
        clearing = system_account("CLEARING", "sandbox")
        post(txn=txn, legs=[Leg(clearing.pk, -txn.amount), Leg(sales_account().pk, txn.amount)])
        transition(txn, "VERIFIED")
        settlement.settled(txn)
        transition(txn, "COMPLETED")


def test_external_purchase_starts_a_payment_and_records_the_purchase_when_it_settles(api, user, gateway):
    product = ProductFactory(price=Decimal("40.00"))
    response = api.post(
        f"/payments/products/{product.pk}/purchase/",
        {"quantity": 3, "payment_method": "EXTERNAL", "external_payment_provider": "sandbox"},
    )
    assert response.status_code == 202, response.data
    assert response.data["status"] == "PENDING" and response.data["amount"] == "120.00"
    assert "next_action" in response.data
    (call,) = gateway
    assert call["transaction_type"] == "PURCHASE" and call["credit_account_id"] == sales_account().pk
    assert call["amount"] == Decimal("120.00") and call["provider"] == "sandbox"
    assert not Purchase.objects.exists() and balance_of(user) == Decimal("100.00")

    txn = TransactionToken.objects.get(token=response.data["token"])
    simulate_settlement(txn)
    purchase = Purchase.objects.get()
    assert (purchase.buyer, purchase.product, purchase.quantity) == (user, product, 3)
    assert purchase.unit_price == Decimal("40.00") and purchase.total == Decimal("120.00")
    assert purchase.transaction == txn and balance_of(user) == Decimal("100.00")
    settlement.settled(txn)  # told twice: still one purchase
    assert Purchase.objects.count() == 1
    assert run_all() == []


def test_external_payment_item_settles_into_a_purchase(user, gateway):
    from comrade.commerce.services.purchases import payment_item_pay

    item = PaymentItemFactory(price=Decimal("5.00"))
    outcome = payment_item_pay(payer=user, item=item, payment_method="EXTERNAL", provider="sandbox")
    assert outcome.purchase is None and outcome.transaction.status == "PENDING"
    simulate_settlement(outcome.transaction)
    assert Purchase.objects.get().payment_item == item
    assert run_all() == []


def test_pending_external_purchases_count_towards_the_monthly_limit(api, user, gateway, unchanged):
    product = ProductFactory(price=Decimal("1.00"))
    body = {"payment_method": "EXTERNAL", "external_payment_provider": "sandbox"}
    codes = [api.post(f"/payments/products/{product.pk}/purchase/", body).status_code for _ in range(6)]
    assert codes == [202] * 6
    with unchanged():
        response = api.post(f"/payments/products/{product.pk}/purchase/", body)
        assert response.status_code == 403 and response.data["code"] == "purchase_count_limit"
    assert len(gateway) == 6


def test_external_limits_are_checked_before_the_provider_is_called(api, gateway, unchanged):
    product = ProductFactory(price=Decimal("500.01"))
    with unchanged():
        response = api.post(
            f"/payments/products/{product.pk}/purchase/",
            {"payment_method": "EXTERNAL", "external_payment_provider": "sandbox"},
        )
        assert response.status_code == 403 and response.data["code"] == "purchase_amount_limit"
    assert gateway == []


def test_settled_purchase_transactions_from_elsewhere_are_ignored(user):
    with transaction.atomic():
        txn = transaction_open(sender=user, amount=Decimal("3.00"), transaction_type="PURCHASE", metadata={})
        settlement.settled(txn)
    assert not Purchase.objects.exists()
