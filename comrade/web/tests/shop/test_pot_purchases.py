"""Buying for a group pot from the product page: only a purchase group's admin sees the choice;
the review names the group and the pot after; confirm buys once from the pot, or records a
request waiting for approvals; forged groups, small pots and bad values write nothing."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import ProductFactory
from comrade.groups.models import ApprovalRequest, PaymentGroups
from comrade.groups.services.groups import group_create
from comrade.groups.tests.approval_helpers import council
from comrade.ledger.models import LedgerAccount
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import Leg, settle, system_account, transaction_open
from comrade.web.tests.shop.ledger_state import ledger_state

pytestmark = pytest.mark.django_db
KEY = "8f3a4eaf-6c3d-4b7f-9c77-2c5f5e3b4d9f"


def fund_pot(group: PaymentGroups, amount: str) -> None:
    with transaction.atomic():
        txn = transaction_open(sender=group.admin, amount=Decimal(amount), transaction_type="FUNDING")
        settle(txn, [Leg(system_account("FUNDING").pk, -Decimal(amount)), Leg(group.pot_id, Decimal(amount))])


def pot(group) -> Decimal:
    return LedgerAccount.objects.get(pk=group.pot_id).balance


@pytest.fixture
def admin(make_user):
    return make_user(balance="10.00")


@pytest.fixture
def group(admin):
    group = group_create(admin=admin, name="Laptop fund", group_type="PURCHASE")
    fund_pot(group, "300.00")
    return group


@pytest.fixture
def laptop():
    return ProductFactory(name="Laptop", price=Decimal("120.00"))


@pytest.fixture
def web(client, admin):
    client.force_login(admin)
    return client


def test_the_admin_sees_the_pot_choice_and_a_member_does_not(web, client, make_user, group, laptop):
    page = web.get(reverse("shop:product", args=[laptop.pk])).content.decode()
    assert "Laptop fund group pot" in page and "USD 300.00" in page
    member = make_user()
    group.members.create(user=member, role="MEMBER")
    client.force_login(member)
    assert "Laptop fund" not in client.get(reverse("shop:product", args=[laptop.pk])).content.decode()


def test_review_names_the_group_and_confirm_buys_once_from_the_pot(web, admin, group, laptop):
    before = ledger_state()
    review = web.post(reverse("shop:buy", args=[laptop.pk]), {"quantity": "2", "group": group.pk})
    page = review.content.decode()
    assert review.status_code == 200 and "Laptop fund" in page
    assert "USD 240.00" in page and "USD 60.00" in page  # total, pot after
    assert ledger_state() == before
    data = {"quantity": "2", "group": group.pk, "form_key": KEY}
    first = web.post(reverse("shop:confirm", args=[laptop.pk]), data)
    again = web.post(reverse("shop:confirm", args=[laptop.pk]), data)
    purchase = Purchase.objects.get()
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == reverse("shop:receipt", args=[purchase.pk])
    assert (purchase.buyer, purchase.group, purchase.quantity) == (admin, group, 2)
    assert pot(group) == Decimal("60.00") and balance_of(admin) == Decimal("10.00")


def test_with_approvals_confirm_records_one_waiting_request(client, make_user):
    c = council(make_user, group_type="PURCHASE")
    product = ProductFactory(name="Projector", price=Decimal("40.00"))
    client.force_login(c.admin)
    review = client.post(reverse("shop:buy", args=[product.pk]), {"quantity": "2", "group": c.group.pk})
    assert "needs 2 approvals" in review.content.decode()
    before = ledger_state()
    data = {"quantity": "2", "group": c.group.pk, "form_key": KEY}
    first = client.post(reverse("shop:confirm", args=[product.pk]), data)
    again = client.post(reverse("shop:confirm", args=[product.pk]), data)
    request = ApprovalRequest.objects.get()
    assert first.url == again.url == reverse("shop:pot_request", args=[c.group.pk, request.pk])
    assert request.status == "PENDING" and request.params == {
        "product_id": product.pk,
        "quantity": 2,
        "amount": "80.00",
    }
    after = ledger_state()
    assert after["balances"] == before["balances"] and after["purchases"] == before["purchases"] == 0
    assert after["transactions"] == before["transactions"]
    assert "Waiting for 2 approvals" in client.get(first.url).content.decode()


def test_a_request_page_of_a_group_i_am_not_in_is_404(client, make_user):
    c = council(make_user, group_type="PURCHASE")
    product = ProductFactory(price=Decimal("40.00"))
    client.force_login(c.admin)
    data = {"quantity": "1", "group": c.group.pk, "form_key": KEY}
    url = client.post(reverse("shop:confirm", args=[product.pk]), data).url
    client.force_login(make_user())
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url_name", ["shop:buy", "shop:confirm"])
def test_a_member_forging_the_group_is_refused_and_nothing_is_written(client, make_user, group, laptop, url_name):
    member = make_user(balance="500.00")
    group.members.create(user=member, role="MEMBER")
    client.force_login(member)
    before = ledger_state()
    response = client.post(reverse(url_name, args=[laptop.pk]), {"quantity": "1", "group": group.pk, "form_key": KEY})
    assert response.status_code == 200
    assert "group" in response.context["form"].errors
    assert ledger_state() == before


@pytest.mark.parametrize("url_name", ["shop:buy", "shop:confirm"])
def test_a_pot_too_small_is_a_message_and_nothing_is_written(web, group, url_name):
    big = ProductFactory(price=Decimal("300.01"))
    before = ledger_state()
    response = web.post(reverse(url_name, args=[big.pk]), {"quantity": "1", "group": group.pk, "form_key": KEY})
    assert response.status_code == 200
    assert "Insufficient funds" in str(response.context["form"].errors["group"])
    assert ledger_state() == before and pot(group) == Decimal("300.00")


@pytest.mark.parametrize("group_value", ["abc", "999999", "-1"])
def test_bad_group_values_never_500(web, group, laptop, group_value):
    before = ledger_state()
    response = web.post(reverse("shop:buy", args=[laptop.pk]), {"quantity": "1", "group": group_value})
    assert response.status_code == 200 and "group" in response.context["form"].errors
    assert ledger_state() == before


def test_a_savings_group_is_not_offered(web, admin, laptop):
    savings = group_create(admin=admin, name="Rainy day", group_type="SAVINGS")
    assert "Rainy day" not in web.get(reverse("shop:product", args=[laptop.pk])).content.decode()
    response = web.post(reverse("shop:buy", args=[laptop.pk]), {"quantity": "1", "group": savings.pk})
    assert "group" in response.context["form"].errors
