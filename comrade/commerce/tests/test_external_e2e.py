"""An external purchase end to end through the sandbox provider: checkout, the signed webhook,
settlement into revenue, and the purchase record."""

from decimal import Decimal

import pytest

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import ProductFactory
from comrade.gateways import sandbox
from comrade.gateways.models import ExternalPayment
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of, revenue_total

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def sandbox_inline(settings):
    settings.SANDBOX_PAYMENTS_ENABLED = True
    settings.SANDBOX_WEBHOOK_DELIVERY = "inline"


def start(api, product, **extra):
    body = {"quantity": 2, "payment_method": "EXTERNAL", "external_payment_provider": "sandbox", **extra}
    response = api.post(f"/payments/products/{product.pk}/purchase/", body)
    assert response.status_code == 202, response.data
    return response


def test_sandbox_purchase_is_recorded_when_the_payment_settles(api, user):
    product = ProductFactory(price=Decimal("35.00"))
    response = start(api, product)
    assert response.data["status"] == "PENDING" and response.data["next_action"]["type"] == "redirect"
    assert not Purchase.objects.exists()
    payment = ExternalPayment.objects.get(transaction__token=response.data["token"])
    txn = sandbox.decide(payment=payment, approve=True)
    assert txn.status == TransactionToken.Status.COMPLETED
    purchase = Purchase.objects.get()
    assert (purchase.buyer, purchase.product, purchase.quantity, purchase.total) == (user, product, 2, Decimal("70.00"))
    assert revenue_total("sales") == Decimal("70.00") and balance_of(user) == Decimal("100.00")
    assert api.get("/payments/purchases/").data["results"][0]["transaction"]["token"] == txn.token
    assert run_all() == []


def test_a_declined_sandbox_payment_records_no_purchase(api, user):
    response = start(api, ProductFactory(price=Decimal("35.00")))
    payment = ExternalPayment.objects.get(transaction__token=response.data["token"])
    assert sandbox.decide(payment=payment, approve=False).status == TransactionToken.Status.FAILED
    assert not Purchase.objects.exists() and balance_of(user) == Decimal("100.00")
    assert revenue_total("sales") == 0
