"""Payment items: the list, pay one (review, confirm once) to the transaction receipt; an
inactive item, insufficient funds and bad quantities are refused with nothing written."""

from decimal import Decimal

import pytest
from django.urls import reverse

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import PaymentItemFactory
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.web.tests.shop.ledger_state import ledger_state

pytestmark = pytest.mark.django_db
KEY = "7e2f3d9f-5b2c-4a6f-8b66-1b4f4d2a3c8e"


@pytest.fixture
def alice(make_user):
    return make_user(balance="50.00")


@pytest.fixture
def web(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def dues():
    return PaymentItemFactory(name="Club dues", price=Decimal("20.00"))


def test_the_list_shows_active_items_only(web, dues):
    PaymentItemFactory(name="Old fee", is_active=False)
    page = web.get(reverse("shop:items")).content.decode()
    assert "Club dues" in page and "USD 20.00" in page and "Old fee" not in page


def test_review_writes_nothing_and_confirm_pays_once(web, alice, dues):
    before = ledger_state()
    review = web.post(reverse("shop:item_pay", args=[dues.pk]), {"quantity": "2"})
    assert review.status_code == 200
    page = review.content.decode()
    assert "USD 40.00" in page and "USD 10.00" in page  # total, balance after
    assert ledger_state() == before
    first = web.post(reverse("shop:item_confirm", args=[dues.pk]), {"quantity": "2", "form_key": KEY})
    again = web.post(reverse("shop:item_confirm", args=[dues.pk]), {"quantity": "2", "form_key": KEY})
    purchase = Purchase.objects.get()
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == reverse("wallet:transaction", args=[purchase.transaction.pk])
    assert purchase.payment_item == dues and purchase.quantity == 2 and purchase.buyer == alice
    assert purchase.transaction.status == TransactionToken.Status.COMPLETED
    assert balance_of(alice) == Decimal("10.00")
    assert TransactionToken.objects.filter(transaction_type=TransactionToken.Type.PURCHASE).count() == 1
    assert web.get(first.url).status_code == 200


@pytest.mark.parametrize("url_name", ["shop:item_pay", "shop:item_confirm"])
def test_insufficient_funds_is_a_message_and_nothing_is_written(web, dues, url_name):
    before = ledger_state()
    response = web.post(reverse(url_name, args=[dues.pk]), {"quantity": "3", "form_key": KEY})
    assert response.status_code == 200
    assert "Insufficient balance" in str(response.context["form"].errors["quantity"])
    assert ledger_state() == before


@pytest.mark.parametrize("url_name", ["shop:item_pay", "shop:item_confirm"])
def test_an_inactive_item_is_refused_and_nothing_is_written(web, url_name):
    item = PaymentItemFactory(name="Old fee", is_active=False)
    before = ledger_state()
    response = web.post(reverse(url_name, args=[item.pk]), {"quantity": "1", "form_key": KEY})
    assert response.status_code == 200
    assert "not active" in str(response.context["form"].errors["quantity"])
    assert ledger_state() == before


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "abc", "", "101"])
def test_bad_quantities_show_next_to_the_field(web, dues, quantity):
    before = ledger_state()
    response = web.post(reverse("shop:item_pay", args=[dues.pk]), {"quantity": quantity})
    assert response.status_code == 200
    assert "quantity" in response.context["form"].errors
    assert ledger_state() == before


def test_an_unknown_item_is_404(web):
    assert web.post(reverse("shop:item_pay", args=[999999]), {"quantity": "1"}).status_code == 404
