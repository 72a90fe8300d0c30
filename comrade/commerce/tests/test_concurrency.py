"""Concurrency claims, on PostgreSQL only: SQLite ignores select_for_update."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from comrade.commerce.models import Purchase, UserSubscription
from comrade.commerce.services.subscriptions import subscription_change, subscriptions_renew
from comrade.commerce.tests.factories import ProductFactory, purchase_history
from comrade.core.testing.concurrency import run_together
from comrade.ledger.checks import run_all
from comrade.ledger.selectors import balance_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def post_as(user, url: str, body: dict) -> int:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(url, body, format="json").status_code


def test_parallel_purchases_cannot_overrun_the_monthly_count(make_user):
    buyer = make_user(balance="500.00")
    product = ProductFactory(price=Decimal("10.00"))
    for _ in range(5):
        purchase_history(buyer, product)  # BASIC: one of six slots left
    url = f"/payments/products/{product.pk}/purchase/"
    codes = run_together([lambda: post_as(buyer, url, {})] * 8)
    assert sorted(codes) == [201] + [403] * 7
    assert Purchase.objects.filter(buyer=buyer).count() == 6
    assert balance_of(buyer) == Decimal("490.00")
    assert run_all() == []


def test_parallel_purchases_never_overdraw_the_wallet(make_user):
    buyer = make_user(balance="30.00")
    product = ProductFactory(price=Decimal("10.00"))
    url = f"/payments/products/{product.pk}/purchase/"
    codes = run_together([lambda: post_as(buyer, url, {})] * 6)
    assert sorted(codes) == [201] * 3 + [400] * 3
    assert balance_of(buyer) == 0 and Purchase.objects.count() == 3
    assert run_all() == []


def test_parallel_subscribes_leave_one_active_subscription_charged_once(make_user):
    user = make_user(balance="100.00")
    codes = run_together([lambda: post_as(user, "/payments/subscriptions/", {"subscription_type": "PREMIUM"})] * 8)
    assert sorted(codes) == [201] + [400] * 7
    assert UserSubscription.objects.filter(user=user, status="ACTIVE").count() == 1
    assert balance_of(user) == Decimal("80.01")
    assert run_all() == []


def test_renewal_jobs_running_twice_at_once_charge_once(make_user):
    now = timezone.now()
    users = [make_user(balance="20.00") for _ in range(5)]
    for user in users:
        subscription_change(user=user, tier="STANDARD", now=now - timedelta(days=30))
    results = run_together([lambda: subscriptions_renew(now)] * 3)
    assert sum(results) == 5
    assert all(balance_of(u) == Decimal("0.02") for u in users)
    assert set(UserSubscription.objects.values_list("end_date", flat=True)) == {now + timedelta(days=30)}
    assert run_all() == []
