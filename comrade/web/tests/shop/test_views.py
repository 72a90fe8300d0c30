"""The shop pages: filters, product page with "people who bought this also bought", buy
(review, confirm once), receipts and purchases, bad values and other users' purchases."""

from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import ProductFactory, purchase_history, subscription
from comrade.ledger.selectors import balance_of
from comrade.web.tests.shop.ledger_state import ledger_state

pytestmark = pytest.mark.django_db
KEY = "6d1f2c8e-4a1b-4f5e-9a55-0a3e3c1f2b7d"


@pytest.fixture
def alice(make_user):
    return make_user(balance="100.00")


@pytest.fixture
def web(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def book():
    return ProductFactory(name="Two Scoops of Django", price=Decimal("30.00"), category="Books")


def test_filters_are_get_parameters(web):
    ProductFactory(name="Green Tea", price=Decimal("7.25"), category="Groceries")
    ProductFactory(name="USB-C Hub", price=Decimal("29.99"), category="Electronics")
    ProductFactory(name="Old Hub", price=Decimal("5.00"), category="Electronics", is_available=False)
    page = web.get(reverse("shop:list"), {"category": "electronics"}).content.decode()
    assert "USB-C Hub" in page and "Green Tea" not in page and "Old Hub" not in page
    page = web.get(reverse("shop:list"), {"max_price": "10"}).content.decode()
    assert "Green Tea" in page and "USB-C Hub" not in page
    page = web.get(reverse("shop:list"), {"search": "usb hub", "ordering": "-price"}).content.decode()
    assert "USB-C Hub" in page and "Green Tea" not in page


@pytest.mark.parametrize("params", [{"min_price": "abc"}, {"max_price": "1e999999"}, {"page": "x"}, {"ordering": "?"}])
def test_bad_filter_values_never_500(web, params):
    ProductFactory()
    response = web.get(reverse("shop:list"), params)
    assert response.status_code == 200


def test_a_bad_price_filter_shows_next_to_its_field(web):
    response = web.get(reverse("shop:list"), {"min_price": "abc"})
    assert "min_price" in response.context["form"].errors


def test_the_product_page_shows_price_quota_and_bought_with_labelled_with_why(web, make_user, book):
    tea = ProductFactory(name="Green Tea", category="Groceries")
    for _ in range(2):
        other = make_user()
        purchase_history(other, book)
        purchase_history(other, tea)
    page = web.get(reverse("shop:product", args=[book.pk])).content.decode()
    assert "USD 30.00" in page and "0 of 6 purchases" in page
    assert "People who bought this also bought" in page
    assert "2 people who bought Two Scoops of Django also bought this" in page and "Green Tea" in page


def test_no_recommendations_hides_the_block(web, book):
    page = web.get(reverse("shop:product", args=[book.pk])).content.decode()
    assert "also bought" not in page


def test_an_unavailable_product_page_is_404(web):
    gone = ProductFactory(is_available=False)
    assert web.get(reverse("shop:product", args=[gone.pk])).status_code == 404
    assert web.get(reverse("shop:product", args=[999999])).status_code == 404


def test_review_shows_total_and_balance_after_and_writes_nothing(web, book):
    before = ledger_state()
    response = web.post(reverse("shop:buy", args=[book.pk]), {"quantity": "3"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "USD 90.00" in page and "USD 10.00" in page and "purchase 1 of 6" in page
    assert ledger_state() == before


def test_confirm_buys_once_however_often_it_is_posted(web, alice, book):
    key = web.post(reverse("shop:buy", args=[book.pk]), {"quantity": "2"}).context["form_key"]
    first = web.post(reverse("shop:confirm", args=[book.pk]), {"quantity": "2", "form_key": key})
    second = web.post(reverse("shop:confirm", args=[book.pk]), {"quantity": "2", "form_key": key})
    purchase = Purchase.objects.get(buyer=alice)
    assert first["Location"] == second["Location"] == reverse("shop:receipt", args=[purchase.pk])
    assert (purchase.quantity, purchase.total, purchase.transaction.status) == (2, Decimal("60.00"), "COMPLETED")
    assert balance_of(alice) == Decimal("40.00")
    receipt = web.get(first["Location"]).content.decode()
    assert "USD 60.00" in receipt and "USD 40.00" in receipt
    listing = web.get(reverse("shop:purchases")).content.decode()
    assert "Two Scoops of Django" in listing


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "greater than or equal to 1"),
        ("-1", "whole number"),
        ("101", "less than or equal to 100"),
        ("99999999999999999999999", "less than or equal to 100"),
        ("1.5", "whole number"),
        ("abc", "whole number"),
        ("", "required"),
        ("4", "Insufficient balance"),
    ],
)
@pytest.mark.parametrize("step", ["shop:buy", "shop:confirm"])
def test_bad_quantities_are_refused_next_to_the_field(web, book, quantity, message, step):
    before = ledger_state()
    response = web.post(reverse(step, args=[book.pk]), {"quantity": quantity, "form_key": KEY})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["quantity"])
    assert ledger_state() == before


def test_the_tier_amount_limit_is_refused_before_anything_is_written(web, make_user):
    rich = make_user(balance="5000.00")
    web.force_login(rich)
    laptop = ProductFactory(price=Decimal("600.00"))
    before = ledger_state()
    response = web.post(reverse("shop:buy", args=[laptop.pk]), {"quantity": "1"})
    assert "allows purchases up to 500.00" in str(response.context["form"].errors["quantity"])
    assert ledger_state() == before


def test_the_tier_purchase_count_limit_is_refused(web, alice, book):
    cheap = ProductFactory(price=Decimal("1.00"))
    for _ in range(6):
        purchase_history(alice, cheap)
    before = ledger_state()
    for step in ("shop:buy", "shop:confirm"):
        response = web.post(reverse(step, args=[book.pk]), {"quantity": "1", "form_key": KEY})
        assert "6 purchases per rolling month" in str(response.context["form"].errors["quantity"])
    assert ledger_state() == before


def test_a_premium_user_sees_the_premium_quota(web, alice, book):
    subscription(alice, "PREMIUM")
    assert "0 of 45 purchases" in web.get(reverse("shop:product", args=[book.pk])).content.decode()


def test_a_withdrawn_product_is_refused_at_review_and_confirm(web, book):
    key = web.post(reverse("shop:buy", args=[book.pk]), {"quantity": "1"}).context["form_key"]
    book.is_available = False
    book.save()
    before = ledger_state()
    for step, body in (("shop:buy", {"quantity": "1"}), ("shop:confirm", {"quantity": "1", "form_key": key})):
        response = web.post(reverse(step, args=[book.pk]), body)
        assert response.status_code == 200
        assert "not available" in str(response.context["form"].errors["quantity"])
        assert "This product is not available." in response.content.decode()
    assert ledger_state() == before


def test_a_purchase_refused_for_funds_at_confirm_moves_no_money(web, alice, book):
    """The balance dropped between review and confirm: the service keeps its FAILED transaction
    as the record of the attempt (as the API does), but no purchase and no money moved."""
    key = web.post(reverse("shop:buy", args=[book.pk]), {"quantity": "3"}).context["form_key"]
    purchase_history(alice, book)  # does not touch the wallet; make the wallet short instead:
    from django.db import transaction

    from comrade.ledger.services import Leg, settle, system_account, transaction_open, wallet_account_id

    with transaction.atomic():
        txn = transaction_open(sender=alice, amount=Decimal("80.00"), transaction_type="TRANSFER")
        settle(
            txn, [Leg(wallet_account_id(alice), Decimal("-80.00")), Leg(system_account("FUNDING").pk, Decimal("80.00"))]
        )
    purchases = Purchase.objects.count()
    response = web.post(reverse("shop:confirm", args=[book.pk]), {"quantity": "3", "form_key": key})
    assert response.status_code == 200
    assert "Insufficient balance" in str(response.context["form"].errors["quantity"])
    assert Purchase.objects.count() == purchases and balance_of(alice) == Decimal("20.00")


def test_another_users_receipt_is_404(web, make_user, book):
    theirs = purchase_history(make_user(), book)
    assert web.get(reverse("shop:receipt", args=[theirs.pk])).status_code == 404
    assert "Two Scoops" not in web.get(reverse("shop:purchases")).content.decode()


def test_buying_an_unknown_product_is_404(web):
    assert web.post(reverse("shop:buy", args=[424242]), {"quantity": "1"}).status_code == 404
    assert web.get(reverse("shop:buy", args=[424242])).status_code == 405
