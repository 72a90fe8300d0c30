"""The wallet purchase reads the buyer's wallet and tier in the statement that locks the buyer:
the tier decides the limits as `limits.tier_of` does."""

from decimal import Decimal

import pytest

from comrade.commerce.models import Purchase
from comrade.commerce.services.purchases import product_purchase
from comrade.commerce.tests.factories import ProductFactory, purchase_history, subscription
from comrade.core.errors import ApplicationError
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def product():
    return ProductFactory(price=Decimal("1.00"))


def six_bought(buyer, product) -> None:
    for _ in range(6):
        purchase_history(buyer, product)


def test_a_basic_buyer_is_held_to_six_a_month(make_user, product):
    buyer = make_user(balance="10.00")
    six_bought(buyer, product)

    with pytest.raises(ApplicationError) as refused:
        product_purchase(buyer=buyer, product=product, quantity=1)

    assert refused.value.code == "purchase_count_limit"
    assert balance_of(buyer) == Decimal("10.00") and Purchase.objects.filter(buyer=buyer).count() == 6


@pytest.mark.parametrize("tier", ["STANDARD", "ENTERPRISE"])
def test_an_active_subscription_lifts_the_count(make_user, product, tier):
    buyer = make_user(balance="10.00")
    subscription(buyer, "PREMIUM", status="CANCELLED", days_left=-1)
    subscription(buyer, tier)
    six_bought(buyer, product)

    outcome = product_purchase(buyer=buyer, product=product, quantity=1)

    assert outcome.transaction.status == "COMPLETED" and balance_of(buyer) == Decimal("9.00")


def test_a_cancelled_subscription_does_not_count(make_user, product):
    buyer = make_user(balance="10.00")
    subscription(buyer, "ENTERPRISE", status="EXPIRED", days_left=-1)
    six_bought(buyer, product)

    with pytest.raises(ApplicationError) as refused:
        product_purchase(buyer=buyer, product=product, quantity=1)

    assert refused.value.code == "purchase_count_limit"


def test_the_amount_limit_follows_the_tier(make_user):
    buyer = make_user(balance="600.00")
    pricey = ProductFactory(price=Decimal("501.00"))
    with pytest.raises(ApplicationError) as refused:
        product_purchase(buyer=buyer, product=pricey, quantity=1)
    assert refused.value.code == "purchase_amount_limit"

    subscription(buyer, "STANDARD")

    assert product_purchase(buyer=buyer, product=pricey, quantity=1).transaction.status == "COMPLETED"
