"""Concurrency claims, on PostgreSQL only: SQLite ignores select_for_update."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from comrade.commerce.models import Purchase, UserSubscription
from comrade.commerce.services.subscriptions import subscription_change, subscriptions_renew
from comrade.commerce.tests.factories import PaymentItemFactory, ProductFactory, purchase_history
from comrade.core.testing.concurrency import run_together
from comrade.gateways.models import ExternalPayment
from comrade.groups.services import group_contribute
from comrade.groups.services.groups import group_create
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken
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


@pytest.fixture
def sandbox(settings):
    settings.SANDBOX_PAYMENTS_ENABLED = True


EXTERNAL = {"payment_method": "EXTERNAL", "external_payment_provider": "sandbox"}


def in_flight(buyer) -> int:
    return TransactionToken.objects.filter(
        sender=buyer, transaction_type="PURCHASE", payment_method="EXTERNAL", status="PENDING"
    ).count()


def test_parallel_external_checkouts_open_exactly_the_monthly_limit(make_user, sandbox):
    """Regression: external checkouts counted without a lock, so a BASIC buyer (6 a month) could
    open more payments than the limit; each would later settle into a purchase."""
    buyer = make_user()
    product = ProductFactory(price=Decimal("10.00"))
    url = f"/payments/products/{product.pk}/purchase/"
    codes = run_together([lambda: post_as(buyer, url, EXTERNAL)] * 10)
    assert sorted(codes) == [202] * 6 + [403] * 4
    assert in_flight(buyer) == 6 and ExternalPayment.objects.count() == 6
    assert TransactionToken.objects.filter(sender=buyer, transaction_type="PURCHASE").count() == 6
    assert not Purchase.objects.exists() and run_all() == []


def test_every_purchase_route_shares_the_last_free_slot(make_user, sandbox):
    """Wallet purchase, item payment, external checkout and pot purchase race for one slot: one
    wins, the others get the quota error and write nothing."""
    buyer = make_user(balance="500.00")
    product = ProductFactory(price=Decimal("10.00"))
    item = PaymentItemFactory(price=Decimal("10.00"))
    group = group_create(admin=buyer, name="Shared", group_type="PURCHASE")
    group_contribute(group=group, user=buyer, amount=Decimal("100.00"))
    for _ in range(5):
        purchase_history(buyer, product)
    before = (balance_of(buyer), pot_of(group), TransactionToken.objects.count())
    buy = f"/payments/products/{product.pk}/purchase/"
    pay = f"/payments/payment-items/{item.pk}/pay/"
    work = [
        *[lambda: post_as(buyer, buy, {})] * 3,
        *[lambda: post_as(buyer, pay, {})] * 3,
        *[lambda: post_as(buyer, buy, EXTERNAL)] * 3,
        *[lambda: post_as(buyer, buy, {"group_id": group.pk})] * 3,
    ]
    codes = run_together(work)
    assert sorted(codes) in ([201] + [403] * 11, [202] + [403] * 11), codes
    assert Purchase.objects.filter(buyer=buyer).count() + in_flight(buyer) == 6
    assert TransactionToken.objects.count() == before[2] + 1
    spent = before[0] - balance_of(buyer) + before[1] - pot_of(group)
    assert spent == (0 if 202 in codes else Decimal("10.00"))
    assert run_all() == []


def pot_of(group) -> Decimal:
    return LedgerAccount.objects.get(pk=group.pot_id).balance


def test_many_buyers_of_one_product_at_once_all_pay_their_shards(make_user, settings):
    """The platform-wide hot spot is gone: 16 people buying one product at the same moment each
    pay into their own revenue shard (and share the product's lock), and the totals add up."""
    from comrade.commerce.services.purchases import product_purchase
    from comrade.ledger.selectors import revenue_accounts, revenue_total
    from comrade.ledger.services import wallet_account_id

    settings.LEDGER_REVENUE_SHARDS = 4
    product = ProductFactory(price=Decimal("7.50"))
    people = [make_user(balance="20.00") for _ in range(16)]

    results = run_together([lambda p=p: product_purchase(buyer=p, product=product, quantity=2) for p in people])

    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.transaction.status for r in results} == {"COMPLETED"}
    assert Purchase.objects.filter(product=product).count() == 16
    assert all(balance_of(p) == Decimal("5.00") for p in people)
    assert revenue_total("sales") == Decimal("240.00")
    assert revenue_accounts("sales").count() == len({wallet_account_id(p) % 4 for p in people}) > 1
    assert run_all() == []


def test_withdrawing_a_product_while_people_buy_it_sells_only_before_the_withdrawal(make_user):
    """Buyers share the product's row lock (FOR SHARE); the staff's update waits for the purchases
    that hold it, and every purchase after it is refused without moving money."""
    from comrade.commerce.services.catalogue import product_update
    from comrade.commerce.services.purchases import product_purchase
    from comrade.ledger.selectors import revenue_total

    product = ProductFactory(price=Decimal("5.00"))
    people = [make_user(balance="10.00") for _ in range(10)]
    buys = [lambda p=p: product_purchase(buyer=p, product=product, quantity=1) for p in people]

    results = run_together([*buys[:5], lambda: product_update(product=product, is_available=False), *buys[5:]])

    refused = [r for r in results if isinstance(r, Exception)]
    assert all(getattr(r, "code", None) == "product_unavailable" for r in refused), refused
    sold = Purchase.objects.filter(product=product).count()
    assert sold == 10 - len(refused)
    assert revenue_total("sales") == Decimal("5.00") * sold
    assert sum(balance_of(p) for p in people) == Decimal("100.00") - Decimal("5.00") * sold
    assert run_all() == []
