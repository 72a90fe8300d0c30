"""External purchases: the purchase row appears when the provider's money settles."""

from decimal import Decimal

import pytest
from django.db import transaction

from comrade.commerce.models import PaymentItem, Product, Purchase
from comrade.commerce.services.purchases import purchase_settled, sales_account
from comrade.commerce.tests.factories import PaymentItemFactory, ProductFactory
from comrade.core import settlement
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of, revenue_total
from comrade.ledger.services import Leg, post, system_account, transaction_open, transition, wallet_account_id

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
        settlement.prepare(txn)
        transition(txn, "AUTHORIZED")
        clearing = system_account("CLEARING", "sandbox")
        revenue = sales_account(payer_account_id=wallet_account_id(txn.sender))
        post(txn=txn, legs=[Leg(clearing.pk, -txn.amount), Leg(revenue.pk, txn.amount)])
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
    revenue = sales_account(payer_account_id=wallet_account_id(user))
    assert call["transaction_type"] == "PURCHASE" and call["credit_account_id"] == revenue.pk
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


def start_external(api, path: str) -> TransactionToken:
    body = {"payment_method": "EXTERNAL", "external_payment_provider": "sandbox"}
    response = api.post(path, body)
    assert response.status_code == 202, response.data
    return TransactionToken.objects.get(token=response.data["token"])


def test_a_product_or_item_being_paid_for_cannot_be_deleted(api, client_for, staff, gateway):
    """Regression: the delete checked only purchase rows, which an external payment writes when it
    settles, so the settlement then failed at commit on every webhook retry."""
    product, item = ProductFactory(), PaymentItemFactory()
    paying_product = start_external(api, f"/payments/products/{product.pk}/purchase/")
    start_external(api, f"/payments/payment-items/{item.pk}/pay/")
    admin = client_for(staff)
    for path in (f"/payments/products/{product.pk}/", f"/payments/payment-items/{item.pk}/"):
        response = admin.delete(path)
        assert response.status_code == 409 and response.data["code"] == "payment_in_flight"
    assert Product.objects.filter(pk=product.pk).exists() and PaymentItem.objects.filter(pk=item.pk).exists()
    simulate_settlement(paying_product)
    assert admin.delete(f"/payments/products/{product.pk}/").data["code"] == "product_has_purchases"
    TransactionToken.objects.filter(metadata__payment_item_id=item.pk).update(status="FAILED")
    assert admin.delete(f"/payments/payment-items/{item.pk}/").status_code == 204


@pytest.mark.parametrize("withdraw", ["unavailable", "deleted"])
def test_settling_a_purchase_of_a_withdrawn_product_is_refused_and_writes_nothing(api, gateway, withdraw):
    product = ProductFactory(price=Decimal("40.00"))
    txn = start_external(api, f"/payments/products/{product.pk}/purchase/")
    if withdraw == "unavailable":
        Product.objects.filter(pk=product.pk).update(is_available=False)
    else:
        Product.objects.filter(pk=product.pk).delete()  # as before deletes were checked
    with pytest.raises(settlement.Refused) as refused:
        simulate_settlement(txn)
    assert refused.value.code == "product_unavailable"
    txn.refresh_from_db()
    assert txn.status == "PENDING" and not Purchase.objects.exists()
    assert revenue_total("sales") == 0 and run_all() == []


def test_settling_a_payment_for_an_inactive_item_is_refused(api, gateway):
    item = PaymentItemFactory()
    txn = start_external(api, f"/payments/payment-items/{item.pk}/pay/")
    PaymentItem.objects.filter(pk=item.pk).update(is_active=False)
    with pytest.raises(settlement.Refused) as refused:
        settlement.prepare(txn)
    assert refused.value.code == "payment_item_inactive"


@pytest.mark.parametrize(
    "metadata",
    [
        {"product_id": "x", "quantity": 1, "unit_price": "3.00"},
        {"product_id": None},
        {"PRODUCT": 1, "quantity": 1, "unit_price": "3.00"},
        {"quantity": 1},
        {"product_id": 0, "unit_price": "3.00"},
        {"product_id": 0, "quantity": "two", "unit_price": "3.00"},
        {"product_id": 0, "quantity": 1, "unit_price": "NaN"},
        {"product_id": 0, "quantity": 1, "unit_price": "2.00"},
        {"product_id": 0, "quantity": 0, "unit_price": "3.00"},
    ],
)
def test_purchase_settled_refuses_what_it_cannot_record_instead_of_crashing(user, metadata):
    product = ProductFactory(price=Decimal("3.00"))
    if metadata.get("product_id") == 0:
        metadata = {**metadata, "product_id": product.pk}
    with transaction.atomic():
        txn = transaction_open(sender=user, amount=Decimal("3.00"), transaction_type="PURCHASE", metadata=metadata)
        if "product_id" not in metadata:
            assert purchase_settled(txn) is None
            return
        with pytest.raises(settlement.Refused) as refused:
            purchase_settled(txn)
    assert refused.value.code == "purchase_record_invalid" and not Purchase.objects.exists()


def test_purchase_settled_refuses_a_product_that_no_longer_exists(user):
    with transaction.atomic():
        txn = transaction_open(
            sender=user,
            amount=Decimal("3.00"),
            transaction_type="PURCHASE",
            metadata={"product_id": 987654, "quantity": 1, "unit_price": "3.00"},
        )
        with pytest.raises(settlement.Refused) as refused:
            purchase_settled(txn)
    assert refused.value.code == "product_unavailable" and not Purchase.objects.exists()


def test_the_admin_cannot_delete_what_is_being_paid_for_either(api, gateway, make_user):
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    product = ProductFactory()
    request = RequestFactory().get("/")
    request.user = make_user(is_staff=True, is_superuser=True)
    model_admin = django_admin.site._registry[Product]
    assert model_admin.has_delete_permission(request, product)
    start_external(api, f"/payments/products/{product.pk}/purchase/")
    assert not model_admin.has_delete_permission(request, product)
    assert "delete_selected" not in model_admin.get_actions(request)
    assert django_admin.site._registry[PaymentItem].get_readonly_fields(request) == ["currency"]
