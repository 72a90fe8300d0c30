"""Hostile and unlucky webhooks: forged ones are refused and change nothing; late, repeated and
out-of-order ones never drop the money the provider took."""

import time
from decimal import Decimal

import pytest

from comrade.gateways.models import ExternalPayment, WebhookEvent
from comrade.gateways.tests.conftest import event_data
from comrade.ledger.checks import run_all
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(deposit):
    return deposit("40.00").data


def test_forged_signature_is_rejected(user, pending, sandbox_webhook):
    response = sandbox_webhook("payment.succeeded", event_data(pending), secret="not-the-secret")
    assert response.status_code == 400 and response.data["verdict"] == "REJECTED"
    assert balance_of(user) == Decimal("100.00")
    assert TransactionToken.objects.get(token=pending["token"]).status == "PENDING"
    assert WebhookEvent.objects.get().verified is False


def test_missing_signature_is_rejected(user, pending, client_for):
    response = client_for().post(
        "/payments/webhooks/sandbox/",
        {"id": "evt_1", "type": "payment.succeeded", "data": event_data(pending)},
        format="json",
    )
    assert response.status_code == 400
    assert balance_of(user) == Decimal("100.00")


@pytest.mark.parametrize("skew", [-3600, 3600])
def test_stale_or_future_timestamps_are_rejected(user, pending, sandbox_webhook, skew):
    response = sandbox_webhook("payment.succeeded", event_data(pending), timestamp=int(time.time()) + skew)
    assert response.status_code == 400
    assert balance_of(user) == Decimal("100.00")


def test_replayed_event_is_applied_once(user, pending, sandbox_webhook):
    data = event_data(pending)
    first = sandbox_webhook("payment.succeeded", data, event_id="evt_same")
    replay = sandbox_webhook("payment.succeeded", data, event_id="evt_same")
    assert first.status_code == replay.status_code == 200
    assert replay.data["verdict"] == "DUPLICATE"
    assert balance_of(user) == Decimal("140.00")
    other_id = sandbox_webhook("payment.succeeded", data, event_id="evt_other")
    assert other_id.status_code == 200 and other_id.data["verdict"] == "IGNORED"
    assert balance_of(user) == Decimal("140.00")
    assert run_all() == []


def test_mismatched_amount_or_currency_changes_nothing_and_is_flagged(user, pending, deposit, sandbox_webhook):
    """Another amount or currency than we asked is either forged or a provider fault: it is kept
    for staff (REVIEW), moves nothing, and does not kill the payment, so the genuine event still
    completes it."""
    response = sandbox_webhook("payment.succeeded", event_data(pending, amount="400.00"))
    assert response.status_code == 200 and response.data["verdict"] == "REVIEW"
    assert "expected 40.00" in response.data["reason"]
    other = deposit("10.00").data
    assert sandbox_webhook("payment.succeeded", event_data(other, currency="EUR")).data["verdict"] == "REVIEW"
    assert balance_of(user) == Decimal("100.00")
    assert TransactionToken.objects.get(token=pending["token"]).status == "PENDING"
    assert ExternalPayment.objects.get(transaction__token=pending["token"]).resolved_at is None
    assert sandbox_webhook("payment.succeeded", event_data(pending)).data["verdict"] == "APPLIED"
    assert balance_of(user) == Decimal("140.00") and run_all() == []


def test_event_for_an_unknown_payment_is_parked_not_dropped(user, sandbox_webhook):
    data = {"reference": "TXN-unknown", "provider_reference": "sbx_nope", "amount": "5.00", "currency": "USD"}
    response = sandbox_webhook("payment.succeeded", data)
    assert response.status_code == 200 and response.data["verdict"] == "PARKED"
    parked = WebhookEvent.objects.get()
    assert parked.verified and parked.provider_reference == "sbx_nope" and parked.event["amount"] == "5.00"
    assert balance_of(user) == Decimal("100.00")


def test_success_after_a_final_failure_is_credited_to_the_wallet_once(user, pending, sandbox_webhook):
    data = event_data(pending)
    assert sandbox_webhook("payment.failed", {**data, "failure_reason": "card declined"}).status_code == 200
    original = TransactionToken.objects.get(token=pending["token"])
    assert original.status == "FAILED" and original.failure_code == "provider_failed"
    late_success = sandbox_webhook("payment.succeeded", data)
    assert late_success.data["verdict"] == "APPLIED"
    credit = TransactionToken.objects.get(related_transaction=original)
    assert credit.status == "COMPLETED" and credit.amount == Decimal("40.00") and credit.receiver == user
    assert credit.metadata["credited_because"] == "late_payment"
    assert balance_of(user) == Decimal("140.00")
    again = sandbox_webhook("payment.succeeded", data)  # another event id for the same payment
    assert again.data["verdict"] == "IGNORED" and balance_of(user) == Decimal("140.00")
    assert TransactionToken.objects.get(pk=original.pk).status == "FAILED" and run_all() == []


def test_unknown_provider_is_refused(client_for):
    response = client_for().post("/payments/webhooks/nope/", {}, format="json")
    assert response.status_code == 400 and response.data["code"] == "unknown_provider"
