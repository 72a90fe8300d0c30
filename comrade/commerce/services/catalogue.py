"""Staff-managed catalogue: products and payment items."""

from django.db import transaction

from comrade.commerce.models import PaymentItem, Product
from comrade.core.errors import ApplicationError

PRODUCT_FIELDS = {"name", "description", "price", "category", "is_available"}
PAYMENT_ITEM_FIELDS = {"name", "description", "price", "currency", "is_active"}


def _only(fields: dict, allowed: set[str]) -> dict:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    return fields


def product_create(**fields) -> Product:
    return Product.objects.create(**_only(fields, PRODUCT_FIELDS))


def product_update(*, product: Product, **fields) -> Product:
    for name, value in _only(fields, PRODUCT_FIELDS).items():
        setattr(product, name, value)
    product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """A product that was bought stays (its purchases point at it): mark it unavailable instead."""
    if product.purchases.exists():
        raise ApplicationError(
            "product_has_purchases",
            "This product has purchases; set is_available to false instead of deleting it.",
            status_code=409,
        )
    product.delete()


def payment_item_create(**fields) -> PaymentItem:
    return PaymentItem.objects.create(**_only(fields, PAYMENT_ITEM_FIELDS))


def payment_item_update(*, item: PaymentItem, **fields) -> PaymentItem:
    for name, value in _only(fields, PAYMENT_ITEM_FIELDS).items():
        setattr(item, name, value)
    item.save()
    return item


@transaction.atomic
def payment_item_delete(*, item: PaymentItem) -> None:
    if item.purchases.exists():
        raise ApplicationError(
            "payment_item_has_payments",
            "This payment item was paid for; set is_active to false instead of deleting it.",
            status_code=409,
        )
    item.delete()
