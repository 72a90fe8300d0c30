"""Prices are in the deployment's currency: other ISO codes, non-codes and prices finer than the
currency's minor unit are refused with a 400 and nothing is written."""

from decimal import Decimal

import pytest

from comrade.commerce.currencies import ISO_4217_MINOR_UNITS
from comrade.commerce.models import PaymentItem, Product
from comrade.commerce.tests.factories import PaymentItemFactory, ProductFactory
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
ITEMS = "/payments/payment-items/"
PRODUCTS = "/payments/products/"


@pytest.fixture
def admin(client_for, staff):
    return client_for(staff)


def items() -> list:
    return list(PaymentItem.objects.order_by("id").values())


def test_the_table_knows_the_minor_units_of_common_currencies():
    assert {c: ISO_4217_MINOR_UNITS[c] for c in ("USD", "KES", "JPY", "KWD", "CLF")} == {
        "USD": 2,
        "KES": 2,
        "JPY": 0,
        "KWD": 3,
        "CLF": 4,
    }
    assert all(len(code) == 3 and code.isupper() for code in ISO_4217_MINOR_UNITS)
    assert "XXX" not in ISO_4217_MINOR_UNITS and "ZZZ" not in ISO_4217_MINOR_UNITS


def test_the_default_currency_is_read_when_the_item_is_made(admin, settings):
    """Regression: the serializer's default was captured when the module was first imported, so a
    test that imported it under KES left every later item in KES (and vice versa)."""
    settings.DEFAULT_CURRENCY = "KES"
    created = admin.post(ITEMS, {"name": "Ticket", "price": "25.00"})
    assert created.status_code == 201 and created.data["currency"] == "KES"
    assert PaymentItem.objects.create(name="Fee", price=Decimal("1.00")).currency == "KES"
    settings.DEFAULT_CURRENCY = "USD"
    assert admin.post(ITEMS, {"name": "Other", "price": "2.00"}).data["currency"] == "USD"


@pytest.mark.parametrize(
    "currency,code",
    [
        ("JPY", "unsupported_currency"),
        ("eur", "unsupported_currency"),
        ("ZZZ", "invalid_currency"),
        ("US", "invalid_currency"),
        ("XXX", "invalid_currency"),
        ("ＵＳＤ", "invalid_currency"),
        ("", "validation_error"),
    ],
)
def test_an_item_in_another_or_no_currency_is_refused(admin, currency, code):
    fee = PaymentItemFactory(price=Decimal("15.00"))
    before = items()
    created = admin.post(ITEMS, {"name": "Ticket", "price": "50", "currency": currency})
    assert created.status_code == 400 and created.data["code"] == code
    assert list(created.data["fields"]) == ["currency"]
    updated = admin.patch(f"{ITEMS}{fee.pk}/", {"currency": currency, "name": "Renamed"})
    assert updated.status_code == 400 and updated.data["code"] == code
    assert items() == before


def test_the_currency_code_is_accepted_in_any_case_and_stored_in_upper_case(admin):
    created = admin.post(ITEMS, {"name": "Ticket", "price": "5.00", "currency": "usd"})
    assert created.status_code == 201 and created.data["currency"] == "USD"


def test_an_item_stored_in_another_currency_cannot_be_paid_for(api, user, admin, unchanged):
    legacy = PaymentItemFactory(price=Decimal("50.00"), currency="JPY")
    with unchanged():
        wallet = api.post(f"{ITEMS}{legacy.pk}/pay/", {})
        external = api.post(
            f"{ITEMS}{legacy.pk}/pay/", {"payment_method": "EXTERNAL", "external_payment_provider": "sandbox"}
        )
    for response in (wallet, external):
        assert response.status_code == 400 and response.data["code"] == "unsupported_currency"
        assert "JPY" in response.data["fields"]["payment_item"][0]
    assert balance_of(user) == Decimal("100.00")
    assert not TransactionToken.objects.filter(sender=user, payment_method="EXTERNAL").exists()
    assert admin.patch(f"{ITEMS}{legacy.pk}/", {"is_active": False}).status_code == 200


def test_a_price_finer_than_the_currency_allows_is_refused(admin, settings):
    settings.DEFAULT_CURRENCY = "JPY"
    product = ProductFactory(price=Decimal("100.00"))
    before = (items(), list(Product.objects.values()))
    for response in (
        admin.post(ITEMS, {"name": "Ticket", "price": "10.50"}),
        admin.post(PRODUCTS, {"name": "Tea", "price": "10.50", "category": "Food"}),
        admin.patch(f"{PRODUCTS}{product.pk}/", {"price": "99.99"}),
    ):
        assert response.status_code == 400 and response.data["code"] == "invalid_price_precision"
        assert list(response.data["fields"]) == ["price"]
    assert (items(), list(Product.objects.values())) == before
    assert admin.post(ITEMS, {"name": "Ticket", "price": "10"}).data["currency"] == "JPY"
