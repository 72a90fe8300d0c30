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


def test_an_oversized_body_is_refused_before_it_is_read_or_stored(client_for, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 1024
    body = b'{"id": "evt_1", "pad": "' + b"x" * 4096 + b'"}'
    response = client_for().generic("POST", "/payments/webhooks/sandbox/", body, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert not WebhookEvent.objects.exists()


def test_a_rejected_request_keeps_only_a_short_excerpt(client_for):
    body = b'{"id": "evt_1", "pad": "' + b"x" * 50000 + b'"}'
    response = client_for().generic(
        "POST", "/payments/webhooks/sandbox/", body, content_type="application/json", HTTP_SANDBOX_SIGNATURE="t=1,v1=x"
    )
    assert response.status_code == 400
    stored = WebhookEvent.objects.get()
    assert stored.verdict == "REJECTED" and len(stored.raw_body) <= 500 and stored.payload is None


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000])
def test_deeply_nested_json_is_a_400(client_for, settings, body):
    settings.WEBHOOK_MAX_BODY_BYTES = 10**6
    response = client_for().generic("POST", "/payments/webhooks/sandbox/", body, content_type="application/json")
    assert response.status_code == 400


def test_unicode_digits_in_the_signature_timestamp_are_a_400(client_for):
    response = client_for().generic(
        "POST",
        "/payments/webhooks/sandbox/",
        b"{}",
        content_type="application/json",
        HTTP_SANDBOX_SIGNATURE="t=²,v1=ab",
    )
    assert response.status_code == 400 and response.json()["verdict"] == "REJECTED"


def test_webhooks_are_throttled_per_source(client_for, settings):
    from django.core.cache import cache

    cache.clear()
    settings.WEBHOOK_THROTTLE_RATE = "3/minute"
    codes = [
        client_for().generic("POST", "/payments/webhooks/sandbox/", b"{}", content_type="application/json").status_code
        for _ in range(5)
    ]
    cache.clear()
    assert codes == [400, 400, 400, 429, 429]


def test_old_rejected_requests_are_purged_and_verified_events_kept(user, pending, sandbox_webhook):
    from datetime import timedelta

    from django.utils import timezone

    from comrade.gateways.webhooks import rejected_events_purge

    sandbox_webhook("payment.succeeded", event_data(pending), secret="forged")
    sandbox_webhook("payment.succeeded", event_data(pending))
    assert rejected_events_purge(timezone.now()) == 0
    assert rejected_events_purge(timezone.now() + timedelta(days=31)) == 1
    assert list(WebhookEvent.objects.values_list("verdict", flat=True)) == ["APPLIED"]
