from decimal import Decimal

import pytest

from comrade.commerce import demo
from comrade.commerce.models import PaymentItem, Product, Purchase
from comrade.commerce.tests.factories import ProductFactory
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import transaction_open

pytestmark = pytest.mark.django_db


def test_verify_ledger_reports_a_purchase_its_transaction_did_not_pay(user):
    product = ProductFactory(price=Decimal("4.00"))
    txn = transaction_open(sender=user, amount=Decimal("4.00"), transaction_type=TransactionToken.Type.PURCHASE)
    Purchase.objects.create(
        buyer=user, product=product, quantity=1, unit_price=Decimal("4.00"), total=Decimal("4.00"), transaction=txn
    )
    assert run_all() == [f"purchase {Purchase.objects.get().pk}: transaction {txn.pk} does not pay its total 4.00"]


def test_demo_seed_is_idempotent_and_gives_recommendations_data(make_user):
    users = {name: make_user(balance="500.00") for name in ("alice", "bob", "carol")}
    demo.seed(users)
    demo.seed(users)
    assert Product.objects.count() == len(demo.PRODUCTS) and PaymentItem.objects.count() == len(demo.PAYMENT_ITEMS)
    assert Purchase.objects.count() == sum(len(basket) for basket in demo.BASKETS.values())
    assert run_all() == []
