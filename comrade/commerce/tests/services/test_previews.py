"""The previews the review pages show: they refuse what the service refuses, compute what it
charges, and write nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.commerce.recommendations import bought_with
from comrade.commerce.selectors import usage_of
from comrade.commerce.services.purchases import product_purchase, product_purchase_preview
from comrade.commerce.services.subscriptions import subscription_change, subscription_change_preview
from comrade.commerce.tests.factories import ProductFactory, purchase_history, subscription
from comrade.core.errors import ApplicationError
from comrade.groups.services import group_create
from comrade.ledger.models import TransactionToken

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0)


def test_purchase_preview_computes_the_total_balance_after_and_quota(make_user, unchanged):
    buyer = make_user(balance="100.00")
    product = ProductFactory(price=Decimal("12.50"))
    with unchanged():
        preview = product_purchase_preview(buyer=buyer, product=product, quantity=3)
    assert (preview.order.total, preview.balance, preview.balance_after) == (
        Decimal("37.50"),
        Decimal("100.00"),
        Decimal("62.50"),
    )
    assert (preview.tier.name, preview.purchases_this_month) == ("BASIC", 0)


@pytest.mark.parametrize(
    "quantity, price, available, code",
    [
        (0, "10.00", True, "invalid_quantity"),
        (101, "10.00", True, "invalid_quantity"),
        (11, "10.00", True, "insufficient_funds"),
        (1, "600.00", True, "purchase_amount_limit"),
        (1, "10.00", False, "product_unavailable"),
    ],
)
def test_purchase_preview_refuses_what_the_purchase_refuses(make_user, unchanged, quantity, price, available, code):
    buyer = make_user(balance="100.00")
    product = ProductFactory(price=Decimal(price), is_available=available)
    with unchanged(), pytest.raises(ApplicationError) as refused:
        product_purchase_preview(buyer=buyer, product=product, quantity=quantity)
    assert refused.value.code == code


def test_purchase_preview_refuses_the_count_limit(make_user, unchanged):
    buyer = make_user(balance="100.00")
    product = ProductFactory(price=Decimal("1.00"))
    for _ in range(6):
        purchase_history(buyer, product)
    with unchanged(), pytest.raises(ApplicationError) as refused:
        product_purchase_preview(buyer=buyer, product=product, quantity=1)
    assert refused.value.code == "purchase_count_limit"


def test_the_upgrade_preview_is_the_charge_the_change_takes(make_user, unchanged):
    user = make_user(balance="100.00")
    subscription(user, "STANDARD", end_date=T0 + timedelta(days=12))
    with unchanged():
        preview = subscription_change_preview(user=user, tier="PREMIUM", now=T0)
    change = subscription_change(user=user, tier="PREMIUM", now=T0)
    assert preview.kind == "upgrade" and preview.charge == change.transaction.amount == Decimal("4.00")
    assert preview.balance_after == Decimal("96.00")


def test_new_downgrade_and_same_tier_previews(make_user, unchanged):
    user = make_user(balance="100.00")
    with unchanged():
        new = subscription_change_preview(user=user, tier="PREMIUM", now=T0)
    assert (new.kind, new.charge, new.effective) == ("new", Decimal("19.99"), T0)
    sub = subscription(user, "PREMIUM", end_date=T0 + timedelta(days=5))
    with unchanged():
        down = subscription_change_preview(user=user, tier="STANDARD", now=T0)
        with pytest.raises(ApplicationError) as same:
            subscription_change_preview(user=user, tier="PREMIUM", now=T0)
    assert (down.kind, down.charge, down.effective) == ("downgrade", Decimal("0.00"), sub.end_date)
    assert same.value.code == "already_subscribed"


@pytest.mark.parametrize("tier, code", [("BASIC", "already_on_tier"), ("GOLD", "invalid_choice")])
def test_previews_refuse_what_the_change_refuses(make_user, unchanged, tier, code):
    user = make_user(balance="100.00")
    with unchanged(), pytest.raises(ApplicationError) as refused:
        subscription_change_preview(user=user, tier=tier, now=T0)
    assert refused.value.code == code


def test_the_preview_refuses_insufficient_funds_where_the_change_would_fail(make_user, unchanged):
    user = make_user(balance="5.00")
    with unchanged(), pytest.raises(ApplicationError) as refused:
        subscription_change_preview(user=user, tier="STANDARD", now=T0)
    assert refused.value.code == "insufficient_funds"
    assert subscription_change(user=user, tier="STANDARD", now=T0).transaction.status == TransactionToken.Status.FAILED


def test_usage_counts_as_the_limits_count(make_user):
    user = make_user(balance="100.00")
    group = group_create(admin=user, name="Chama", group_type="SAVINGS")
    group_create(admin=user, name="Trip", group_type="SAVINGS")
    product_purchase(buyer=user, product=ProductFactory(), quantity=1)
    usage = usage_of(user, now=timezone.now())
    assert (usage.groups_created, usage.purchases_this_month, usage.largest_group_members) == (2, 1, 1)
    assert group.members.count() == 1


def test_bought_with_names_what_other_buyers_of_the_product_bought(make_user):
    me, a, b = make_user(), make_user(), make_user()
    book, tea, hub, gone = (ProductFactory(name=n) for n in ("Book", "Tea", "Hub", "Gone"))
    for buyer, products in ((a, [book, tea, hub, gone]), (b, [book, tea]), (me, [book, hub])):
        for product in products:
            purchase_history(buyer, product)
    gone.is_available = False
    gone.save()
    picks = bought_with(book, user=me, limit=5)
    assert [(p.product.name, p.score) for p in picks] == [("Tea", Decimal("2.00")), ("Hub", Decimal("1.00"))]
    assert picks[0].reason == "2 people who bought Book also bought this"
    assert picks[1].reason == "1 person who bought Book also bought this"
    assert bought_with(ProductFactory(), user=me) == []


def test_payment_item_preview_charges_what_the_payment_charges(make_user, unchanged):
    from comrade.commerce.services.purchases import payment_item_pay, payment_item_pay_preview
    from comrade.commerce.tests.factories import PaymentItemFactory

    payer = make_user(balance="100.00")
    item = PaymentItemFactory(price=Decimal("7.50"))
    with unchanged():
        preview = payment_item_pay_preview(payer=payer, item=item, quantity=2)
    assert (preview.order.total, preview.balance_after) == (Decimal("15.00"), Decimal("85.00"))
    assert payment_item_pay(payer=payer, item=item, quantity=2).transaction.amount == preview.order.total


@pytest.mark.parametrize(
    "active, quantity, code", [(False, 1, "payment_item_inactive"), (True, 20, "insufficient_funds")]
)
def test_payment_item_preview_refuses_what_the_payment_refuses(make_user, unchanged, active, quantity, code):
    from comrade.commerce.services.purchases import payment_item_pay_preview
    from comrade.commerce.tests.factories import PaymentItemFactory

    payer = make_user(balance="100.00")
    item = PaymentItemFactory(price=Decimal("7.50"), is_active=active)
    with unchanged(), pytest.raises(ApplicationError) as refused:
        payment_item_pay_preview(payer=payer, item=item, quantity=quantity)
    assert refused.value.code == code


def test_pot_purchase_preview_reads_the_pot_and_names_it_when_short(make_user, unchanged):
    from comrade.commerce.services.purchases import product_purchase_from_pot_preview
    from comrade.groups.services import group_contribute

    admin = make_user(balance="100.00")
    group = group_create(admin=admin, name="Kitchen", group_type="PURCHASE")
    group_contribute(group=group, user=admin, amount=Decimal("30.00"))
    product = ProductFactory(price=Decimal("12.00"))
    with unchanged():
        preview = product_purchase_from_pot_preview(admin=admin, group=group, product=product, quantity=2)
        assert (preview.balance, preview.balance_after) == (Decimal("30.00"), Decimal("6.00"))
        with pytest.raises(ApplicationError) as refused:
            product_purchase_from_pot_preview(admin=admin, group=group, product=product, quantity=3)
    assert refused.value.code == "insufficient_funds" and "Kitchen pot" in refused.value.fields["group"][0]
