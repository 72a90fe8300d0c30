"""Revenue shards: which account a payer's money goes to, and the totals that sum them."""

from decimal import Decimal

import pytest

from comrade.ledger.models import LedgerAccount
from comrade.ledger.selectors import revenue_accounts, revenue_total
from comrade.ledger.services import Leg, revenue_account, settle, system_account, transaction_open

pytestmark = pytest.mark.django_db


def credit(account: LedgerAccount, amount: str, user) -> None:
    from django.db import transaction

    with transaction.atomic():
        txn = transaction_open(sender=user, amount=Decimal(amount), transaction_type="PURCHASE")
        settle(txn, [Leg(system_account("FUNDING").pk, -Decimal(amount)), Leg(account.pk, Decimal(amount))])


def test_the_shard_is_the_payer_account_modulo_the_shard_count(settings):
    settings.LEDGER_REVENUE_SHARDS = 4

    codes = [revenue_account("sales", payer_account_id=payer).code for payer in (8, 5, 6, 7, 13)]

    assert codes == ["revenue:sales", "revenue:sales:1", "revenue:sales:2", "revenue:sales:3", "revenue:sales:1"]
    assert revenue_account("sales", payer_account_id=5).pk == revenue_account("sales", payer_account_id=9).pk
    shards = LedgerAccount.objects.filter(code__startswith="revenue:sales")
    assert shards.count() == 4
    assert set(shards.values_list("kind", "allow_negative")) == {(LedgerAccount.Kind.REVENUE, False)}


def test_one_shard_is_the_historical_account(settings):
    settings.LEDGER_REVENUE_SHARDS = 1
    historical = system_account(LedgerAccount.Kind.REVENUE, "sales", allow_negative=False)

    assert {revenue_account("sales", payer_account_id=payer).pk for payer in range(1, 20)} == {historical.pk}
    assert revenue_account("subscriptions", payer_account_id=3).code == "revenue:subscriptions"


def test_the_total_sums_every_shard_of_its_stream_only(settings, make_user):
    user = make_user()
    settings.LEDGER_REVENUE_SHARDS = 1
    credit(revenue_account("sales", payer_account_id=7), "10.00", user)  # before sharding: revenue:sales
    settings.LEDGER_REVENUE_SHARDS = 16
    credit(revenue_account("sales", payer_account_id=7), "2.50", user)
    credit(revenue_account("sales", payer_account_id=9), "1.25", user)
    credit(revenue_account("subscriptions", payer_account_id=7), "4.00", user)
    settings.LEDGER_REVENUE_SHARDS = 2  # fewer shards later: the money in shard 7 and 9 still counts

    assert revenue_total("sales") == Decimal("13.75")
    assert revenue_total("subscriptions") == Decimal("4.00")
    assert set(revenue_accounts("sales").values_list("code", flat=True)) == {
        "revenue:sales",
        "revenue:sales:7",
        "revenue:sales:9",
    }


def test_no_revenue_is_zero():
    assert revenue_total("sales") == 0 and not revenue_accounts("sales").exists()
