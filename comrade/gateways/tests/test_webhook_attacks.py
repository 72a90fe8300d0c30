"""Hostile and unlucky webhooks: each is refused or ignored, and no balance changes."""

import time
from decimal import Decimal

import pytest

from comrade.gateways.models import WebhookEvent
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


def test_mismatched_amount_or_currency_fails_the_transaction(user, pending, deposit, sandbox_webhook):
    response = sandbox_webhook("payment.succeeded", event_data(pending, amount="400.00"))
    assert response.status_code == 400 and response.data["verdict"] == "REJECTED"
    stored = TransactionToken.objects.get(token=pending["token"])
    assert stored.status == "FAILED" and "expected 40.00" in stored.failure_reason
    other = deposit("10.00").data
    assert sandbox_webhook("payment.succeeded", event_data(other, currency="EUR")).status_code == 400
    assert balance_of(user) == Decimal("100.00")


def test_unknown_tokens_are_logged_and_answered(user, sandbox_webhook):
    data = {"reference": "TXN-unknown", "provider_reference": "sbx_nope", "amount": "5.00", "currency": "USD"}
    response = sandbox_webhook("payment.succeeded", data)
    assert response.status_code == 200 and response.data["verdict"] == "IGNORED"
    assert WebhookEvent.objects.get().reason == "unknown transaction"
    assert balance_of(user) == Decimal("100.00")


def test_out_of_order_events_end_the_same(user, pending, sandbox_webhook):
    data = event_data(pending)
    assert sandbox_webhook("payment.failed", {**data, "failure_reason": "card declined"}).status_code == 200
    late_success = sandbox_webhook("payment.succeeded", data)
    assert late_success.data["verdict"] == "IGNORED"
    assert TransactionToken.objects.get(token=pending["token"]).status == "FAILED"
    assert balance_of(user) == Decimal("100.00")


def test_unknown_provider_is_refused(client_for):
    response = client_for().post("/payments/webhooks/nope/", {}, format="json")
    assert response.status_code == 400 and response.data["code"] == "unknown_provider"
