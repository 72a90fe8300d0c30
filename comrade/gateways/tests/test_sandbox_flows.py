"""Deposits, withdrawals, cancel, expiry and refunds through the built-in sandbox provider, over
HTTP: the checkout page is pressed like a user would, and webhooks pass signature checks."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.gateways.models import ExternalPayment, WebhookEvent
from comrade.gateways.services import payments_expire
from comrade.gateways.tests.conftest import event_data
from comrade.ledger.checks import run_all
from comrade.ledger.models import LedgerAccount, TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db
URL = "/payments/transactions/create_transaction/"


def press(client, redirect_url: str, decision: str):
    path = re.sub(r"^https?://[^/]+", "", redirect_url)
    page = client.get(path)
    assert page.status_code == 200 and b"Approve" in page.content
    return client.post(path, {"decision": decision}, format="multipart")


def test_providers_lists_the_enabled_ones(api):
    response = api.get("/payments/providers/")
    assert response.status_code == 200
    assert [p["name"] for p in response.data] == ["sandbox", "bank"]  # bank: the development account is set in DEBUG


def test_deposit_through_the_sandbox_checkout(api, user, deposit, client_for):
    response = deposit("40.00")
    assert response.status_code == 201, response.data
    txn = response.data
    assert txn["status"] == "PENDING" and txn["next_action"]["type"] == "redirect"
    assert balance_of(user) == Decimal("100.00")
    result = press(client_for(), txn["next_action"]["redirect_url"], "approve")
    assert result.status_code == 200 and b"COMPLETED" in result.content
    stored = TransactionToken.objects.get(token=txn["token"])
    assert stored.status == "COMPLETED" and stored.authorization_code.startswith("SBX-AUTH-")
    assert [c.to_status for c in stored.status_changes.order_by("id")] == [
        "PENDING",
        "AUTHORIZED",
        "VERIFIED",
        "COMPLETED",
    ]
    assert balance_of(user) == Decimal("140.00")
    assert LedgerAccount.objects.get(code="clearing:sandbox").balance == Decimal("-40.00")
    assert WebhookEvent.objects.get(transaction=stored).verdict == "APPLIED"
    assert api.get(f"/payments/transactions/{txn['id']}/").data["next_action"] is None
    assert run_all() == []


def test_declined_checkout_fails_the_deposit(user, deposit, client_for):
    txn = deposit("10.00").data
    press(client_for(), txn["next_action"]["redirect_url"], "decline")
    stored = TransactionToken.objects.get(token=txn["token"])
    assert stored.status == "FAILED" and "declined" in stored.failure_reason
    assert balance_of(user) == Decimal("100.00") and not stored.entries.exists()


def test_deposit_validation(deposit, api):
    assert "external_payment_provider" in deposit(provider="").data["fields"]
    unknown = deposit(provider="stripe")
    assert unknown.status_code == 400 and unknown.data["code"] == "unknown_provider"
    other = api.post(
        URL,
        {
            "amount": "5.00",
            "payment_method": "EXTERNAL",
            "transaction_type": "TRANSFER",
            "external_payment_provider": "sandbox",
        },
    )
    assert other.status_code == 400 and "transaction_type" in other.data["fields"]
    assert TransactionToken.objects.filter(payment_method="EXTERNAL").count() == 0


def test_withdrawal_holds_then_pays_out(api, user):
    response = api.post(
        URL,
        {
            "amount": "30.00",
            "payment_method": "EXTERNAL",
            "transaction_type": "WITHDRAWAL",
            "external_payment_provider": "sandbox",
            "metadata": {"destination": "acct_demo"},
        },
    )
    assert response.status_code == 201, response.data
    assert response.data["status"] == "COMPLETED"
    assert balance_of(user) == Decimal("70.00")
    assert LedgerAccount.objects.get(code="holding").balance == 0
    assert LedgerAccount.objects.get(code="clearing:sandbox").balance == Decimal("30.00")
    assert run_all() == []


def test_failed_withdrawal_releases_the_hold(api, user):
    response = api.post(
        URL,
        {
            "amount": "30.13",
            "payment_method": "EXTERNAL",
            "transaction_type": "WITHDRAWAL",
            "external_payment_provider": "sandbox",
            "metadata": {"destination": "acct_demo"},
        },
    )
    assert response.status_code == 502 and response.data["code"] == "provider_error"
    txn = TransactionToken.objects.get(token=response.data["transaction"]["token"])
    assert txn.status == "FAILED"
    assert balance_of(user) == Decimal("100.00") and LedgerAccount.objects.get(code="holding").balance == 0
    assert run_all() == []


def test_withdrawal_needs_funds_and_a_destination(api, user):
    body = {
        "amount": "500.00",
        "payment_method": "EXTERNAL",
        "transaction_type": "WITHDRAWAL",
        "external_payment_provider": "sandbox",
        "metadata": {"destination": "acct_demo"},
    }
    broke = api.post(URL, body)
    assert broke.status_code == 400 and broke.data["code"] == "insufficient_funds"
    nowhere = api.post(URL, {**body, "amount": "5.00", "metadata": {}})
    assert nowhere.status_code == 400 and nowhere.data["code"] == "destination_required"
    assert balance_of(user) == Decimal("100.00")


def test_withdrawal_to_the_saved_default_method(api, user):
    saved = api.post("/payments/payment-profiles/payment_methods/", {"provider": "sandbox", "token": "acct_saved"})
    assert saved.status_code == 201
    response = api.post(
        URL,
        {
            "amount": "5.00",
            "payment_method": "EXTERNAL",
            "transaction_type": "WITHDRAWAL",
            "external_payment_provider": "sandbox",
        },
    )
    assert response.status_code == 201
    assert ExternalPayment.objects.get(transaction__token=response.data["token"]).destination == "acct_saved"


def test_owner_cancels_a_pending_deposit(api, deposit, make_user, client_for):
    txn = deposit().data
    assert client_for(make_user()).post(f"/payments/transactions/{txn['id']}/cancel/").status_code == 404
    response = api.post(f"/payments/transactions/{txn['id']}/cancel/")
    assert response.status_code == 200 and response.data["status"] == "CANCELLED"
    again = api.post(f"/payments/transactions/{txn['id']}/cancel/")
    assert again.status_code == 400 and again.data["code"] == "not_cancellable"


def test_stale_pending_payments_expire(user, deposit):
    txn = deposit().data
    assert payments_expire(timezone.now()) == 0
    assert payments_expire(timezone.now() + timedelta(hours=2)) == 1
    stored = TransactionToken.objects.get(token=txn["token"])
    assert stored.status == "FAILED" and "expired" in stored.failure_reason
    assert balance_of(user) == Decimal("100.00")


def test_staff_refunds_in_part_then_in_full(user, deposit, client_for, staff_with_otp, sandbox_webhook, api):
    txn = deposit("40.00").data
    assert sandbox_webhook("payment.succeeded", event_data(txn)).status_code == 200
    staff = client_for(staff_with_otp(), otp=True)
    url = f"/payments/transactions/{txn['id']}/refund/"
    assert api.post(url, {"amount": "5.00"}).status_code == 403
    part = staff.post(url, {"amount": "15.00"})
    assert part.status_code == 201, part.data
    assert part.data["transaction_type"] == "REFUND" and part.data["related_transaction"] == txn["id"]
    assert balance_of(user) == Decimal("125.00")
    too_much = staff.post(url, {"amount": "25.01"})
    assert too_much.status_code == 400 and too_much.data["code"] == "refund_too_large"
    rest = staff.post(url, {})
    assert rest.status_code == 201 and rest.data["amount"] == "25.00"
    assert balance_of(user) == Decimal("100.00")
    assert staff.post(url, {}).status_code == 400
    assert run_all() == []


def test_refund_of_spent_money_is_refused_without_change(
    user, deposit, client_for, make_user, staff_with_otp, sandbox_webhook, api
):
    txn = deposit("40.00").data
    sandbox_webhook("payment.succeeded", event_data(txn))
    bob = make_user()
    api.post(
        URL, {"receiver_id": bob.pk, "amount": "130.00", "payment_method": "INTERNAL", "transaction_type": "TRANSFER"}
    )
    staff = client_for(staff_with_otp(), otp=True)
    response = staff.post(f"/payments/transactions/{txn['id']}/refund/", {"amount": "40.00"})
    assert response.status_code == 400 and response.data["code"] == "insufficient_funds"
    assert balance_of(user) == Decimal("10.00") and LedgerAccount.objects.get(code="holding").balance == 0
