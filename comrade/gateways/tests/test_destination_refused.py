"""Money the provider took for a destination that can no longer take it (a group closed while
the member paid) is credited to the payer's wallet, once, through the verified webhook; retries
of the webhook change nothing and never answer 500."""

from decimal import Decimal

import pytest

from comrade.gateways.models import ExternalPayment
from comrade.gateways.tests.conftest import event_data
from comrade.groups.services import group_close, group_contribute_external
from comrade.groups.tests.factories import GroupMemberFactory, PaymentGroupFactory
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db


def test_a_contribution_settling_after_the_group_closed_lands_in_the_wallet(make_user, sandbox_webhook):
    admin, member = make_user(balance="100.00"), make_user(balance="10.00")
    group = PaymentGroupFactory(admin=admin)
    GroupMemberFactory(group=group, user=member)
    txn = group_contribute_external(group=group, user=member, amount=Decimal("25.00"), provider="sandbox")
    group_close(group=group, admin=admin)
    data = event_data({"token": txn.token, "amount": "25.00", "currency": txn.currency})

    first = sandbox_webhook("payment.succeeded", data)
    retry = sandbox_webhook("payment.succeeded", data)

    assert first.status_code == 200 and first.data["verdict"] == "APPLIED" and "group_closed" in first.data["reason"]
    assert retry.status_code == 200 and retry.data["verdict"] == "IGNORED"
    original = TransactionToken.objects.get(pk=txn.pk)
    assert original.status == "FAILED" and original.failure_code == "destination_refused"
    credit = ExternalPayment.objects.get(transaction=original).wallet_credit
    assert credit.related_transaction == original and credit.metadata["credited_because"] == "group_closed"
    assert balance_of(member) == Decimal("35.00") and balance_of(admin) == Decimal("100.00")
    assert group.pot.__class__.objects.get(pk=group.pot_id).balance == 0
    assert run_all() == []


def test_a_purchase_settling_after_its_product_was_withdrawn_lands_in_the_wallet(api, user, sandbox_webhook):
    from comrade.commerce.models import Product, Purchase
    from comrade.commerce.tests.factories import ProductFactory

    product = ProductFactory(price=Decimal("40.00"))
    started = api.post(
        f"/payments/products/{product.pk}/purchase/",
        {"payment_method": "EXTERNAL", "external_payment_provider": "sandbox"},
    )
    assert started.status_code in (201, 202), started.data
    token = started.data.get("token") or started.data["transaction"]["token"]
    Product.objects.filter(pk=product.pk).update(is_available=False)
    data = event_data({"token": token, "amount": "40.00", "currency": "USD"})

    first, retry = sandbox_webhook("payment.succeeded", data), sandbox_webhook("payment.succeeded", data)

    assert first.status_code == 200 and first.data["verdict"] == "APPLIED"
    assert retry.status_code == 200 and retry.data["verdict"] == "IGNORED"
    original = TransactionToken.objects.get(token=token)
    assert original.status == "FAILED" and original.failure_code == "destination_refused"
    assert original.external.wallet_credit.metadata["credited_because"] == "product_unavailable"
    assert balance_of(user) == Decimal("140.00") and not Purchase.objects.exists() and run_all() == []
