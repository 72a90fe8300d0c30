"""On PostgreSQL a wallet purchase is one call of ledger_purchase() (ledger.services
`purchase_open_settled`); it must store what the step-by-step path stores, column by column, and
refuse what it refuses. On SQLite both names run the step-by-step path, and the same tests hold."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comrade import limits
from comrade.commerce.models import Product, Purchase
from comrade.commerce.selectors import ROLLING_MONTH
from comrade.commerce.services.purchases import (
    SALES,
    _check_available,
    _checkout_wallet_step_by_step,
    _order,
    payment_item_pay,
    product_purchase,
    sales_account,
)
from comrade.commerce.tests.factories import PaymentItemFactory, ProductFactory, purchase_history, subscription
from comrade.core.errors import ApplicationError
from comrade.core.testing.ledger import same_transaction
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken
from comrade.ledger.selectors import balance_of
from comrade.ledger.services import PurchaseRefused, purchase_open_settled, transaction_open, wallet_account_id

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="ledger_purchase() is PostgreSQL's")

PRICE = Decimal("1.25")


def either_way(buyer, product, quantity):
    """`product_purchase`: on PostgreSQL the one call."""
    return product_purchase(buyer=buyer, product=product, quantity=quantity)


def step_by_step(buyer, product, quantity):
    """`product_purchase` without the one call (what SQLite always runs)."""
    _check_available(product)
    order = _order(buyer=buyer, quantity=quantity, unit_price=product.price, product=product)
    return _checkout_wallet_step_by_step(order)


def entries(txn):
    return [
        (e.account_id, e.amount, e.balance_after) for e in LedgerEntry.objects.filter(transaction=txn).order_by("id")
    ]


def same_purchase(fast, slow):
    stored_fast, stored_slow = Purchase.objects.get(pk=fast.pk), Purchase.objects.get(pk=slow.pk)
    for field in Purchase._meta.concrete_fields:
        if field.name not in {"id", "transaction", "created_at"}:
            assert getattr(stored_fast, field.attname) == getattr(stored_slow, field.attname), field.name
    assert stored_fast.created_at is not None
    assert (fast.pk, fast.transaction_id, fast.total, fast.quantity) == (
        stored_fast.pk,
        stored_fast.transaction_id,
        stored_fast.total,
        stored_fast.quantity,
    )


@pytest.fixture
def product():
    return ProductFactory(price=PRICE)


def test_a_completed_purchase_stores_what_the_step_by_step_path_stores(make_user, product):
    buyer = make_user(balance="10.00")
    sales_account(payer_account_id=wallet_account_id(buyer))  # the shard exists: the one call runs
    wallet = wallet_account_id(buyer)
    revenue = sales_account(payer_account_id=wallet).pk

    fast = product_purchase(buyer=buyer, product=product, quantity=2)
    slow = step_by_step(buyer, product, 2)

    assert fast.transaction.status == slow.transaction.status == "COMPLETED"
    stored_fast, stored_slow = same_transaction(fast.transaction, slow.transaction)
    assert stored_fast.metadata == {"product_id": product.pk, "quantity": 2, "unit_price": "1.25"}
    assert entries(stored_fast) == [
        (wallet, Decimal("-2.50"), Decimal("7.50")),
        (revenue, Decimal("2.50"), Decimal("2.50")),
    ]
    assert entries(stored_slow) == [
        (wallet, Decimal("-2.50"), Decimal("5.00")),
        (revenue, Decimal("2.50"), Decimal("5.00")),
    ]
    same_purchase(fast.purchase, slow.purchase)
    assert fast.purchase.transaction is fast.transaction and fast.transaction.purchase is fast.purchase
    assert balance_of(buyer) == Decimal("5.00")
    account = LedgerAccount.objects.get(pk=revenue)
    assert (account.balance, account.total_in, account.total_out) == (Decimal("5.00"), Decimal("5.00"), 0)
    assert run_all() == []


def test_insufficient_funds_store_the_same_failed_transaction_and_no_purchase(make_user, product):
    buyer = make_user(balance="1.00")
    sales_account(payer_account_id=wallet_account_id(buyer))
    before = LedgerEntry.objects.count()

    fast = product_purchase(buyer=buyer, product=product, quantity=1)
    slow = step_by_step(buyer, product, 1)

    assert fast.purchase is None and slow.purchase is None
    assert fast.transaction.status == "FAILED" and fast.transaction.failure_code == "insufficient_funds"
    stored_fast, _ = same_transaction(fast.transaction, slow.transaction)
    assert stored_fast.failure_reason == "Insufficient balance: 1.00 available, 1.25 needed."
    assert LedgerEntry.objects.count() == before and not Purchase.objects.exists()
    assert balance_of(buyer) == Decimal("1.00")
    assert run_all() == []


@pytest.mark.parametrize("way", [either_way, step_by_step], ids=["one_call", "step_by_step"])
def test_a_product_withdrawn_under_the_buyer_is_refused_alike(make_user, product, unchanged, way):
    buyer = make_user(balance="10.00")
    sales_account(payer_account_id=wallet_account_id(buyer))
    Product.objects.filter(pk=product.pk).update(is_available=False)  # `product` still says available

    with unchanged(), pytest.raises(ApplicationError) as refused:
        way(buyer, product, 1)

    assert refused.value.code == "product_unavailable"


def test_an_item_payment_stores_what_the_step_by_step_path_stores(make_user):
    payer = make_user(balance="40.00")
    sales_account(payer_account_id=wallet_account_id(payer))
    item = PaymentItemFactory(price=Decimal("15.00"))

    fast = payment_item_pay(payer=payer, item=item, quantity=1)
    order = _order(buyer=payer, quantity=1, unit_price=item.price, payment_item=item)
    slow = _checkout_wallet_step_by_step(order)

    same_transaction(fast.transaction, slow.transaction)
    same_purchase(fast.purchase, slow.purchase)
    assert fast.purchase.payment_item_id == item.pk and fast.purchase.product_id is None
    assert balance_of(payer) == Decimal("10.00") and run_all() == []


def test_the_first_purchase_into_a_new_revenue_shard_creates_it(make_user, product):
    buyer = make_user(balance="10.00")
    assert not LedgerAccount.objects.filter(kind="REVENUE").exists()

    outcome = product_purchase(buyer=buyer, product=product, quantity=1)

    assert outcome.transaction.status == "COMPLETED" and outcome.purchase is not None
    shard = sales_account(payer_account_id=wallet_account_id(buyer))
    assert shard.balance == PRICE and LedgerAccount.objects.filter(kind="REVENUE").count() == 1
    assert run_all() == []


# --- the one call itself (PostgreSQL): what it hands back to the step-by-step path ---------------


def one_call(buyer, product, *, quantity=1, since=None):
    purchase = Purchase(
        buyer=buyer, product=product, quantity=quantity, unit_price=product.price, total=product.price * quantity
    )
    tiers = {name: [t.max_purchase_amount, t.max_purchases_per_month] for name, t in limits.tiers().items()}
    txn = purchase_open_settled(
        purchase=purchase,
        stream=SALES,
        tiers=tiers,
        default_tier=limits.DEFAULT_TIER,
        since=since or timezone.now() - ROLLING_MONTH,
        sender=buyer,
        amount=purchase.total,
        transaction_type="PURCHASE",
        payment_method="INTERNAL",
    )
    return txn, purchase


def refusal(buyer, product, **kwargs) -> str | None:
    before = (TransactionToken.objects.count(), LedgerEntry.objects.count(), Purchase.objects.count())
    try:
        one_call(buyer, product, **kwargs)
    except PurchaseRefused as refused:
        assert (TransactionToken.objects.count(), LedgerEntry.objects.count(), Purchase.objects.count()) == before
        return refused.code
    return None


@on_postgres
def test_a_wallet_purchase_is_one_statement(make_user, product):
    buyer = make_user(balance="10.00")
    sales_account(payer_account_id=wallet_account_id(buyer))
    with CaptureQueriesContext(connection) as queries:
        outcome = product_purchase(buyer=buyer, product=product, quantity=1)
    assert outcome.transaction.status == "COMPLETED"
    assert len(queries.captured_queries) == 1, [q["sql"][:80] for q in queries.captured_queries]


@on_postgres
def test_the_one_call_refuses_what_is_not_for_sale_and_a_missing_shard(make_user, product):
    buyer = make_user(balance="10.00")
    assert refusal(buyer, product) == "no_revenue_account"
    sales_account(payer_account_id=wallet_account_id(buyer))
    Product.objects.filter(pk=product.pk).update(is_available=False)
    assert refusal(buyer, product) == "not_for_sale"
    product.delete()
    assert refusal(buyer, product) == "not_for_sale"


@on_postgres
def test_the_one_call_holds_a_tier_to_its_amount_and_its_count(make_user, product):
    buyer = make_user(balance="1000.00")
    sales_account(payer_account_id=wallet_account_id(buyer))
    pricey = ProductFactory(price=Decimal("500.01"))
    assert refusal(buyer, pricey) == "tier_limit"  # BASIC: up to 500.00
    assert refusal(buyer, ProductFactory(price=Decimal("500.00"))) is None

    for _ in range(4):
        purchase_history(buyer, product)
    purchase_history(buyer, product, days_ago=31)  # outside the rolling month
    external = transaction_open(sender=buyer, amount=PRICE, transaction_type="PURCHASE", payment_method="EXTERNAL")
    # 4 + the 500.00 above + one external payment in flight: BASIC's 6 are used
    assert refusal(buyer, product) == "tier_limit"
    TransactionToken.objects.filter(pk=external.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert refusal(buyer, product) is None
    assert refusal(buyer, product) == "tier_limit"

    subscription(buyer, "PREMIUM")
    assert refusal(buyer, pricey) is None
    subscription(buyer, "ENTERPRISE", status="CANCELLED")
    assert refusal(buyer, product) is None
    assert run_all() == []


@on_postgres
def test_the_one_call_refuses_a_buyer_without_wallet_or_row(make_user, product):
    from comrade.ledger.models import PaymentProfile

    buyer = make_user()
    PaymentProfile.objects.filter(user=buyer).delete()
    assert refusal(buyer, product) == "no_wallet"
    buyer.delete()
    assert refusal(buyer, product) == "unknown_buyer"
