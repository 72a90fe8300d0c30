"""A purchase group's admin buys a product with the group's pot."""

from decimal import Decimal

import pytest
from django.db import transaction

from comrade.commerce.models import Purchase
from comrade.commerce.tests.factories import ProductFactory, purchase_history
from comrade.groups.models import GroupMembers, PaymentGroups
from comrade.groups.services.groups import group_create
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount
from comrade.ledger.selectors import balance_of, revenue_total
from comrade.ledger.services import Leg, settle, system_account, transaction_open

pytestmark = pytest.mark.django_db


def fund_pot(group: PaymentGroups, amount: str) -> None:
    with transaction.atomic():
        txn = transaction_open(sender=group.admin, amount=Decimal(amount), transaction_type="FUNDING")
        settle(txn, [Leg(system_account("FUNDING").pk, -Decimal(amount)), Leg(group.pot_id, Decimal(amount))])


def pot(group: PaymentGroups) -> Decimal:
    return LedgerAccount.objects.get(pk=group.pot_id).balance


@pytest.fixture
def group(user):
    group = group_create(admin=user, name="Laptop fund", group_type="PURCHASE")
    fund_pot(group, "300.00")
    return group


def url(product) -> str:
    return f"/payments/products/{product.pk}/purchase/"


def test_admin_buys_from_the_pot(api, user, group):
    product = ProductFactory(price=Decimal("120.00"))
    response = api.post(url(product), {"quantity": 2, "group_id": group.pk})
    assert response.status_code == 201, response.data
    assert response.data["group"] == group.pk and response.data["total"] == "240.00"
    assert response.data["transaction"]["transaction_type"] == "PURCHASE"
    assert pot(group) == Decimal("60.00") and balance_of(user) == Decimal("100.00")
    assert revenue_total("sales") == Decimal("240.00")
    purchase = Purchase.objects.get()
    assert (purchase.buyer, purchase.group, purchase.quantity) == (user, group, 2)
    assert run_all() == []


def test_pot_too_small_is_400_with_the_failed_transaction(api, user, group):
    product = ProductFactory(price=Decimal("300.01"))
    response = api.post(url(product), {"group_id": group.pk})
    assert response.status_code == 400 and response.data["code"] == "insufficient_funds"
    assert response.data["transaction"]["status"] == "FAILED"
    assert pot(group) == Decimal("300.00") and not Purchase.objects.exists()


def test_members_who_are_not_admins_get_403_and_strangers_404(group, make_user, client_for, unchanged):
    member, stranger = make_user(balance="10.00"), make_user(balance="10.00")
    GroupMembers.objects.create(group=group, user=member)
    product = ProductFactory()
    with unchanged():
        response = client_for(member).post(url(product), {"group_id": group.pk})
        assert response.status_code == 403 and response.data["code"] == "not_group_admin"
        assert client_for(stranger).post(url(product), {"group_id": group.pk}).status_code == 404
        assert client_for(stranger).post(url(product), {"group_id": 999999}).status_code == 404


def test_only_purchase_groups_and_internal_payments(api, user, group, unchanged):
    savings = group_create(admin=user, name="Rainy day", group_type="SAVINGS")
    fund_pot(savings, "50.00")
    product = ProductFactory()
    with unchanged():
        response = api.post(url(product), {"group_id": savings.pk})
        assert response.status_code == 400 and response.data["code"] == "not_a_purchase_group"
        body = {"group_id": group.pk, "payment_method": "EXTERNAL", "external_payment_provider": "sandbox"}
        assert "payment_method" in api.post(url(product), body).data["fields"]


def test_the_admins_tier_limits_apply(api, user, group, unchanged):
    product = ProductFactory(price=Decimal("10.00"))
    for _ in range(6):
        purchase_history(user, product)
    with unchanged():
        response = api.post(url(product), {"group_id": group.pk})
        assert response.status_code == 403 and response.data["code"] == "purchase_count_limit"
