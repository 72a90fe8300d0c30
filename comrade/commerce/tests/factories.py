from datetime import timedelta
from decimal import Decimal

import factory
from django.db import transaction
from django.utils import timezone

from comrade.commerce.models import PaymentItem, Product, Purchase, UserSubscription
from comrade.commerce.services.purchases import sales_account
from comrade.ledger.models import TransactionToken
from comrade.ledger.services import Leg, settle, system_account, transaction_open, wallet_account_id


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A fine thing."
    price = Decimal("10.00")
    category = "Books"
    is_available = True


class PaymentItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentItem

    name = factory.Sequence(lambda n: f"Item {n}")
    price = Decimal("15.00")
    is_active = True


def purchase_history(buyer, product: Product, *, quantity: int = 1, days_ago: int = 0) -> Purchase:
    """A paid purchase written straight to the ledger (funding -> revenue) for history setups,
    dated `days_ago` days back."""
    total = product.price * quantity
    with transaction.atomic():
        txn = transaction_open(sender=buyer, amount=total, transaction_type=TransactionToken.Type.PURCHASE)
        revenue = sales_account(payer_account_id=wallet_account_id(buyer))
        settle(txn, [Leg(system_account("FUNDING").pk, -total), Leg(revenue.pk, total)])
        purchase = Purchase.objects.create(
            buyer=buyer, product=product, quantity=quantity, unit_price=product.price, total=total, transaction=txn
        )
    if days_ago:
        Purchase.objects.filter(pk=purchase.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return purchase


def subscription(user, tier: str = "PREMIUM", *, days_left: int = 30, **fields) -> UserSubscription:
    """An ACTIVE subscription row without a charge (for tier and renewal setups)."""
    from comrade.limits import tiers

    now = timezone.now()
    defaults = {
        "start_date": now + timedelta(days=days_left) - timedelta(days=30),
        "end_date": now + timedelta(days=days_left),
        "price": tiers()[tier].price,
    }
    return UserSubscription.objects.create(user=user, subscription_type=tier, **{**defaults, **fields})
