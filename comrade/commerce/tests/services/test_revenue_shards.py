"""Every route that pays revenue pays the payer's shard; totals sum the shards; a refund takes its
money from the shard its sale credited."""

from decimal import Decimal

import pytest

from comrade.commerce.services.purchases import (
    payment_item_pay,
    product_purchase,
    product_purchase_from_pot,
    sales_account,
)
from comrade.commerce.services.subscriptions import subscription_change, subscriptions_account
from comrade.commerce.tests.factories import PaymentItemFactory, ProductFactory
from comrade.gateways import sandbox
from comrade.gateways.models import ExternalPayment
from comrade.gateways.services import refund_create
from comrade.groups.services import group_contribute
from comrade.groups.services.groups import group_create
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, LedgerEntry
from comrade.ledger.selectors import balance_of, revenue_accounts, revenue_total
from comrade.ledger.services import wallet_account_id

pytestmark = pytest.mark.django_db
SHARDS = 4


@pytest.fixture(autouse=True)
def shards(settings):
    settings.LEDGER_REVENUE_SHARDS = SHARDS


def buyers(make_user, count: int) -> list:
    """Users whose wallets fall on `count` different shards."""
    found, seen = [], set()
    while len(found) < count:
        user = make_user(balance="100.00")
        shard = wallet_account_id(user) % SHARDS
        if shard not in seen:
            seen.add(shard)
            found.append(user)
    return found


def balances(stream: str) -> dict[str, Decimal]:
    return dict(revenue_accounts(stream).values_list("code", "balance"))


def credited(txn) -> LedgerAccount:
    return LedgerEntry.objects.select_related("account").get(transaction=txn, amount__gt=0).account


def test_purchases_by_different_users_land_on_their_own_shards_and_sum(make_user):
    product = ProductFactory(price=Decimal("10.00"))
    people = buyers(make_user, SHARDS)

    outcomes = [product_purchase(buyer=p, product=product, quantity=i + 1) for i, p in enumerate(people)]

    accounts = [credited(o.transaction) for o in outcomes]
    assert [a.pk for a in accounts] == [sales_account(payer_account_id=wallet_account_id(p)).pk for p in people]
    assert len({a.pk for a in accounts}) == SHARDS
    assert sorted(balances("sales").values()) == [
        Decimal("10.00"),
        Decimal("20.00"),
        Decimal("30.00"),
        Decimal("40.00"),
    ]
    assert revenue_total("sales") == Decimal("100.00") == sum(Decimal("100.00") - balance_of(p) for p in people)
    assert run_all() == []


def test_payment_items_pay_the_payer_shard(make_user):
    item = PaymentItemFactory(price=Decimal("15.00"))
    payer = make_user(balance="50.00")

    outcome = payment_item_pay(payer=payer, item=item, quantity=2)

    assert credited(outcome.transaction) == sales_account(payer_account_id=wallet_account_id(payer))
    assert revenue_total("sales") == Decimal("30.00") and balance_of(payer) == Decimal("20.00")


def test_a_pot_purchase_pays_the_shard_of_the_pot(make_user):
    admin = make_user(balance="100.00")
    group = group_create(admin=admin, name="Kit", group_type="PURCHASE")
    group_contribute(group=group, user=admin, amount=Decimal("60.00"))

    outcome = product_purchase_from_pot(
        admin=admin, group=group, product=ProductFactory(price=Decimal("25.00")), quantity=2
    )

    assert credited(outcome.transaction) == sales_account(payer_account_id=group.pot_id)
    assert revenue_total("sales") == Decimal("50.00")
    assert run_all() == []


def test_subscriptions_pay_the_wallet_shard_of_their_own_stream(make_user):
    people = buyers(make_user, 2)

    charges = [subscription_change(user=p, tier="PREMIUM").transaction for p in people]

    assert [credited(t) for t in charges] == [
        subscriptions_account(payer_account_id=wallet_account_id(p)) for p in people
    ]
    assert revenue_total("subscriptions") == Decimal("39.98") and revenue_total("sales") == 0
    assert run_all() == []


@pytest.fixture
def sandbox_inline(settings):
    settings.SANDBOX_PAYMENTS_ENABLED = True
    settings.SANDBOX_WEBHOOK_DELIVERY = "inline"


def paid_externally(buyer, product, quantity: int):
    outcome = product_purchase(
        buyer=buyer, product=product, quantity=quantity, payment_method="EXTERNAL", provider="sandbox"
    )
    return sandbox.decide(payment=ExternalPayment.objects.get(transaction=outcome.transaction), approve=True)


def test_a_refund_debits_the_shard_its_sale_credited(make_user, staff, sandbox_inline):
    product = ProductFactory(price=Decimal("20.00"))
    first, second = buyers(make_user, 2)
    sale = paid_externally(first, product, 1)
    product_purchase(buyer=second, product=product, quantity=4)  # 80.00 on the other shard
    shard = credited(sale)
    before = balances("sales")

    refund = refund_create(original=sale, amount=None, staff=staff)

    assert refund.status == "COMPLETED"
    debit = LedgerEntry.objects.get(transaction=refund, amount__lt=0, account__kind=LedgerAccount.Kind.REVENUE)
    assert debit.account_id == shard.pk == sales_account(payer_account_id=wallet_account_id(first)).pk
    after = balances("sales")
    assert after[shard.code] == before[shard.code] - Decimal("20.00") == 0
    assert {c: b for c, b in after.items() if c != shard.code} == {c: b for c, b in before.items() if c != shard.code}
    assert revenue_total("sales") == Decimal("80.00")
    assert run_all() == []


def test_verify_ledger_reports_a_refund_taken_from_another_shard(make_user, staff, sandbox_inline):
    product = ProductFactory(price=Decimal("20.00"))
    first, second = buyers(make_user, 2)
    sale = paid_externally(first, product, 1)
    product_purchase(buyer=second, product=product, quantity=2)
    refund = refund_create(original=sale, amount=Decimal("5.00"), staff=staff)
    other = sales_account(payer_account_id=wallet_account_id(second))
    assert run_all() == []

    ExternalPayment.objects.filter(transaction=refund).update(account=other)

    assert run_all() == [f"refund {refund.pk}: debits account {other.pk}, which its purchase did not credit"]
