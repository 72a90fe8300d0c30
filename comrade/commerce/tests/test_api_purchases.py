from decimal import Decimal

import pytest

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import ProductFactory, purchase_history, subscription
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of, revenue_total

pytestmark = pytest.mark.django_db


def url(product) -> str:
    return f"/payments/products/{product.pk}/purchase/"


@pytest.fixture
def book():
    return ProductFactory(name="Field Guide", price=Decimal("12.50"), category="Books")


def revenue() -> Decimal:
    return revenue_total("sales")


def test_purchase_moves_money_from_wallet_to_revenue_and_records_the_order(api, user, book):
    response = api.post(url(book), {"quantity": 2, "payment_method": "INTERNAL"})
    assert response.status_code == 201, response.data
    data = response.data
    assert data["product"] == book.pk and data["quantity"] == 2
    assert data["unit_price"] == "12.50" and data["total"] == "25.00"
    assert data["transaction"]["status"] == "COMPLETED" and data["transaction"]["transaction_type"] == "PURCHASE"
    assert data["transaction"]["amount"] == "25.00"
    assert balance_of(user) == Decimal("75.00") and revenue() == Decimal("25.00")
    purchase = Purchase.objects.get()
    assert (purchase.buyer, purchase.product, purchase.total) == (user, book, Decimal("25.00"))
    txn = purchase.transaction
    assert sorted(e.amount for e in txn.entries.all()) == [Decimal("-25.00"), Decimal("25.00")]
    assert txn.metadata == {"product_id": book.pk, "quantity": 2, "unit_price": "12.50"}
    assert run_all() == []


def test_the_price_comes_from_the_product_not_the_client(api, user, book):
    response = api.post(url(book), {"quantity": 1, "amount": "0.01", "unit_price": "0.01", "total": "0.01"})
    assert response.status_code == 201 and response.data["total"] == "12.50"
    assert balance_of(user) == Decimal("87.50")


def test_quantity_defaults_to_one(api, book):
    assert api.post(url(book), {}).data["total"] == "12.50"


def test_idempotency_key_buys_once(api, user, book):
    first = api.post(url(book), {"quantity": 1}, HTTP_IDEMPOTENCY_KEY="buy-1")
    again = api.post(url(book), {"quantity": 1}, HTTP_IDEMPOTENCY_KEY="buy-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert Purchase.objects.count() == 1 and balance_of(user) == Decimal("87.50")


@pytest.mark.parametrize("quantity", [0, -1, 101, "two", 1.5, None])
def test_bad_quantity_is_400_and_writes_nothing(api, book, unchanged, quantity):
    with unchanged():
        response = api.post(url(book), {"quantity": quantity})
        assert response.status_code == 400
        assert "quantity" in response.data["fields"]


def test_total_above_the_maximum_amount_is_refused(api, settings, unchanged):
    settings.MAX_TRANSACTION_AMOUNT = Decimal("100.00")
    product = ProductFactory(price=Decimal("50.01"))
    with unchanged():
        response = api.post(url(product), {"quantity": 2})
        assert response.status_code == 400 and response.data["code"] == "amount_too_large"


def test_unavailable_product_is_a_clear_400(api, unchanged):
    product = ProductFactory(is_available=False)
    with unchanged():
        response = api.post(url(product), {"quantity": 1})
        assert response.status_code == 400 and response.data["code"] == "product_unavailable"
        assert api.post("/payments/products/999999/purchase/", {}).status_code == 404
        assert api.post("/payments/products/abc/purchase/", {}).status_code == 404
        assert api.post("/payments/payment-items/abc/pay/", {}).status_code == 404


def test_bad_payment_method_is_refused(api, book, unchanged):
    with unchanged():
        assert "payment_method" in api.post(url(book), {"payment_method": "CASH"}).data["fields"]
        response = api.post(url(book), {"payment_method": "EXTERNAL"})
        assert response.status_code == 400 and "external_payment_provider" in response.data["fields"]


def test_insufficient_funds_is_400_with_the_failed_transaction_and_no_purchase(api, user):
    product = ProductFactory(price=Decimal("60.00"))
    response = api.post(url(product), {"quantity": 2})
    assert response.status_code == 400 and response.data["code"] == "insufficient_funds"
    assert response.data["transaction"]["status"] == "FAILED"
    txn = TransactionToken.objects.get(token=response.data["transaction"]["token"])
    assert txn.failure_reason and not txn.entries.exists()
    assert not Purchase.objects.exists()
    assert balance_of(user) == Decimal("100.00") and revenue() == 0


# --- tier limits at their edges (BASIC: 500.00 per purchase, 6 purchases per rolling month) ---


def test_basic_purchase_amount_limit_edge(make_user, client_for, unchanged):
    buyer = make_user(balance="1000.00")
    api = client_for(buyer)
    at_limit, over = ProductFactory(price=Decimal("500.00")), ProductFactory(price=Decimal("250.01"))
    with unchanged():
        response = api.post(url(over), {"quantity": 2})
        assert response.status_code == 403 and response.data["code"] == "purchase_amount_limit"
        assert response.data["tier"] == "BASIC" and response.data["limit"] == "500.00"
    assert api.post(url(at_limit), {"quantity": 1}).status_code == 201


def test_basic_purchase_count_limit_edge_over_a_rolling_month(api, user, book, unchanged):
    for _ in range(5):
        purchase_history(user, book)
    purchase_history(user, book, days_ago=31)  # outside the rolling month: does not count
    assert api.post(url(book), {}).status_code == 201  # the 6th in 30 days
    with unchanged():
        response = api.post(url(book), {})
        assert response.status_code == 403 and response.data["code"] == "purchase_count_limit"
        assert response.data["limit"] == "6"


def test_a_better_tier_lifts_the_limits(api, user, book):
    for _ in range(6):
        purchase_history(user, book)
    subscription(user, "STANDARD")
    assert api.post(url(book), {}).status_code == 201


def test_enterprise_has_no_purchase_limits(make_user, client_for):
    buyer = make_user(balance="5000.00")
    subscription(buyer, "ENTERPRISE")
    assert client_for(buyer).post(url(ProductFactory(price=Decimal("4000.00"))), {}).status_code == 201


# --- my purchases ---


def test_purchases_lists_only_mine_newest_first(api, user, make_user, client_for, book):
    other = make_user(balance="50.00")
    theirs = client_for(other).post(url(book), {}).data
    api.post(url(book), {"quantity": 1})
    api.post(url(book), {"quantity": 3})
    listing = api.get("/payments/purchases/").data
    assert listing["count"] == 2 and [p["quantity"] for p in listing["results"]] == [3, 1]
    assert api.get(f"/payments/purchases/{theirs['id']}/").status_code == 404
    mine = listing["results"][0]["id"]
    assert api.get(f"/payments/purchases/{mine}/").data["product_name"] == "Field Guide"
    assert api.post("/payments/purchases/", {}).status_code == 405
