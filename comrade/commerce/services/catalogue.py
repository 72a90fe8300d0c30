"""Staff-managed catalogue: products and payment items.

Prices are in the deployment's currency (see comrade.commerce.currencies): a payment item naming
another currency, or a price finer than the currency's minor unit, is refused with a 400 before
anything is written."""

from django.db import transaction

from comrade.commerce.currencies import check_price_fits, deployment_currency
from comrade.commerce.models import PaymentItem, Product
from comrade.commerce.selectors import external_purchases_in_flight
from comrade.core.errors import ApplicationError
from comrade.ledger.models import default_currency

PRODUCT_FIELDS = {"name", "description", "price", "category", "is_available"}
PAYMENT_ITEM_FIELDS = {"name", "description", "price", "currency", "is_active"}


def _only(fields: dict, allowed: set[str]) -> dict:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown fields: {sorted(unknown)}")
    return fields


def _valid_product(fields: dict) -> dict:
    fields = _only(fields, PRODUCT_FIELDS)
    if "price" in fields:
        check_price_fits(fields["price"])
    return fields


def _valid_payment_item(fields: dict, *, stored_currency: str | None = None) -> dict:
    """On create a missing currency is the deployment's; on update the stored one is kept (an
    item stored in another currency can still be edited or deactivated, and is refused when
    someone tries to pay for it)."""
    fields = _only(fields, PAYMENT_ITEM_FIELDS)
    if "currency" in fields or stored_currency is None:
        fields["currency"] = deployment_currency(fields.get("currency", default_currency()))
    if "price" in fields:
        check_price_fits(fields["price"], currency=fields.get("currency", stored_currency))
    return fields


def product_create(**fields) -> Product:
    return Product.objects.create(**_valid_product(fields))


def product_update(*, product: Product, **fields) -> Product:
    for name, value in _valid_product(fields).items():
        setattr(product, name, value)
    product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """A product that was bought stays (its purchases point at it): mark it unavailable instead.
    Nor can one be deleted while someone is paying for it at a provider. The row is locked first,
    as a purchase locks it, so a checkout cannot slip in between the checks and the delete."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    if external_purchases_in_flight(product_id=product.pk):
        raise _in_flight("product")
    if product.purchases.exists():
        raise ApplicationError(
            "product_has_purchases",
            "This product has purchases; set is_available to false instead of deleting it.",
            status_code=409,
        )
    product.delete()


def payment_item_create(**fields) -> PaymentItem:
    return PaymentItem.objects.create(**_valid_payment_item(fields))


def payment_item_update(*, item: PaymentItem, **fields) -> PaymentItem:
    for name, value in _valid_payment_item(fields, stored_currency=item.currency).items():
        setattr(item, name, value)
    item.save()
    return item


@transaction.atomic
def payment_item_delete(*, item: PaymentItem) -> None:
    item = PaymentItem.objects.select_for_update().get(pk=item.pk)
    if external_purchases_in_flight(payment_item_id=item.pk):
        raise _in_flight("payment item")
    if item.purchases.exists():
        raise ApplicationError(
            "payment_item_has_payments",
            "This payment item was paid for; set is_active to false instead of deleting it.",
            status_code=409,
        )
    item.delete()


def _in_flight(what: str) -> ApplicationError:
    return ApplicationError(
        "payment_in_flight",
        f"A payment for this {what} is still in progress at a provider; try again once it has settled or failed.",
        status_code=409,
    )
