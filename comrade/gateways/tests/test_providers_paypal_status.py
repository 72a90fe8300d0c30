"""PayPalGateway asking PayPal where things stand (reconciliation) and cancelling, against
FakePayPal over real HTTP: captures pending/completed/declined, refunds and payout items by id,
the payout batch found by our sender_batch_id without paying twice, webhooks with the final/
non-final distinction, and webhooks the fake sends itself."""

from decimal import Decimal

import pytest

from comrade.gateways.fakes.paypal import FakePayPal
from comrade.gateways.providers.base import EventKind, GatewayError, PaymentStatus
from comrade.gateways.tests.test_providers_paypal import make_gateway, payout_request, request


@pytest.fixture
def fake():
    server = FakePayPal(client_id="client", client_secret="secret", webhook_id="WH123")
    yield server
    assert server.errors == []
    server.stop()


@pytest.fixture
def gateway(fake):
    return make_gateway(fake)


def approved_order(fake, gateway) -> str:
    order_id = gateway.create_payment(request()).provider_reference
    fake.approve(order_id)
    return order_id


def verified(gateway, delivery):
    return gateway.verify_webhook(headers=delivery.headers, body=delivery.body)


# --- payments ------------------------------------------------------------------------------------


def test_a_completed_capture_carries_what_paypal_took(fake, gateway):
    order_id = approved_order(fake, gateway)

    session = gateway.get_payment(order_id)

    assert session.status == PaymentStatus.SUCCEEDED and session.status.is_final
    assert (session.amount, session.currency, session.failure_code) == (Decimal("10.50"), "USD", "")


def test_a_pending_capture_is_not_final_until_it_clears(fake, gateway):
    fake.capture_outcome = "PENDING"
    order_id = approved_order(fake, gateway)

    pending = gateway.get_payment(order_id)
    assert pending.status == PaymentStatus.AUTHORIZED and not pending.status.is_final and pending.amount is None

    fake.settle_capture(order_id, status="COMPLETED")
    assert gateway.get_payment(order_id).amount == Decimal("10.50")
    assert len(fake.captures) == 1


def test_a_declined_capture_is_final_with_paypals_reason(fake, gateway):
    fake.capture_outcome = "DECLINED"
    order_id = approved_order(fake, gateway)

    session = gateway.get_payment(order_id)

    assert (session.status, session.failure_code) == (PaymentStatus.FAILED, "DECLINED_BY_RISK_FRAUD_FILTERS")


def test_an_instrument_declined_at_capture_carries_the_issue_as_code(fake, gateway):
    fake.capture_outcome = "INSTRUMENT_DECLINED"
    order_id = approved_order(fake, gateway)

    session = gateway.get_payment(order_id)

    assert (session.status, session.failure_code) == (PaymentStatus.FAILED, "INSTRUMENT_DECLINED")


def test_cancel_an_order_nobody_captured_changes_nothing_at_paypal(fake, gateway):
    created = gateway.create_payment(request()).provider_reference
    approved = approved_order(fake, gateway)

    assert gateway.cancel_payment(created) == PaymentStatus.CANCELLED
    assert gateway.cancel_payment(approved) == PaymentStatus.CANCELLED
    assert fake.seen("/v2/checkout/orders/", "POST") == [] and fake.captures == {}
    assert fake.orders[approved]["status"] == "APPROVED"


def test_cancel_a_captured_order_answers_succeeded(fake, gateway):
    order_id = approved_order(fake, gateway)
    gateway.get_payment(order_id)

    assert gateway.cancel_payment(order_id) == PaymentStatus.SUCCEEDED


def test_cancel_an_unknown_order_is_a_refusal(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.cancel_payment("NOSUCHORDER1")

    assert caught.value.retryable is False and caught.value.code == "INVALID_RESOURCE_ID"


# --- refunds -------------------------------------------------------------------------------------


def refund(fake, gateway, amount="4.00", key="RF-1"):
    order_id = approved_order(fake, gateway)
    gateway.get_payment(order_id)
    return gateway.refund(provider_reference=order_id, amount=Decimal(amount), currency="USD", idempotency_key=key)


def test_get_refund_pending_then_completed(fake, gateway):
    fake.refund_status = "PENDING"
    refund_id = refund(fake, gateway).provider_reference

    pending = gateway.get_refund(provider_reference=refund_id, reference="RF-1")
    assert (pending.status, pending.amount) == (PaymentStatus.PENDING, Decimal("4.00"))

    fake.settle_refund(refund_id, status="COMPLETED")
    assert gateway.get_refund(provider_reference=refund_id, reference="RF-1").status == PaymentStatus.SUCCEEDED


@pytest.mark.parametrize("status,expected", [("FAILED", PaymentStatus.FAILED), ("CANCELLED", PaymentStatus.CANCELLED)])
def test_a_failed_or_cancelled_refund_is_final(fake, gateway, status, expected):
    fake.refund_status = "PENDING"
    refund_id = refund(fake, gateway).provider_reference
    fake.settle_refund(refund_id, status=status)

    result = gateway.get_refund(provider_reference=refund_id, reference="RF-1")

    assert (result.status, result.failure_code) == (expected, status)


def test_a_refund_without_its_id_is_unknown_not_failed(fake, gateway):
    result = gateway.get_refund(provider_reference="", reference="RF-1")

    assert (result.status, result.failure_code, result.amount) == (
        PaymentStatus.PENDING,
        "unknown_at_provider",
        Decimal(0),
    )


def test_get_unknown_refund_is_a_refusal(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.get_refund(provider_reference="NOSUCHREFUND1", reference="RF-1")

    assert caught.value.retryable is False and caught.value.code == "INVALID_RESOURCE_ID"


# --- payouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item_status,expected,code",
    [
        ("UNCLAIMED", PaymentStatus.PENDING, ""),
        ("ONHOLD", PaymentStatus.PENDING, ""),
        ("SUCCESS", PaymentStatus.SUCCEEDED, ""),
        ("FAILED", PaymentStatus.FAILED, "RECEIVER_ACCOUNT_LOCKED"),
        ("RETURNED", PaymentStatus.FAILED, "RECEIVER_ACCOUNT_LOCKED"),
    ],
)
def test_get_payout_judges_the_item_not_the_batch(fake, gateway, item_status, expected, code):
    batch_id = gateway.payout(payout_request()).provider_reference
    assert gateway.get_payout(provider_reference=batch_id, reference="TXN-9").status == PaymentStatus.PENDING

    fake.settle_payout(batch_id, status=item_status)
    result = gateway.get_payout(provider_reference=batch_id, reference="TXN-9")

    assert fake.payouts[batch_id]["batch_status"] == "SUCCESS"
    assert (result.provider_reference, result.status, result.failure_code) == (batch_id, expected, code)


def test_a_payout_whose_answer_was_lost_is_found_by_sender_batch_id_without_paying_twice(fake, gateway):
    fake.chaos(error_after_next=1, path="/v1/payments/payouts")
    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request())
    assert caught.value.retryable is True
    (batch_id,) = fake.payouts

    found = gateway.get_payout(provider_reference="", reference="TXN-9")

    assert (found.provider_reference, found.status) == (batch_id, PaymentStatus.PENDING)
    assert len(fake.payouts) == 1
    probe = fake.seen("/v1/payments/payouts", "POST")[-1].json()
    assert probe["items"] == [] and probe["sender_batch_header"]["sender_batch_id"] == "TXN-9"


def test_a_payout_that_never_reached_paypal_is_unknown_and_the_probe_pays_nobody(fake, gateway):
    result = gateway.get_payout(provider_reference="", reference="TXN-9")

    assert (result.provider_reference, result.status, result.failure_code) == (
        "",
        PaymentStatus.PENDING,
        "unknown_at_provider",
    )
    assert fake.payouts == {}


def test_get_unknown_payout_is_a_refusal_and_a_hang_is_retryable(fake, gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.get_payout(provider_reference="NOSUCHBATCH1", reference="TXN-9")
    assert caught.value.retryable is False

    batch_id = gateway.payout(payout_request()).provider_reference
    fake.chaos(timeout_next=1, timeout_seconds=1.5, path="/v1/payments/payouts/")
    with pytest.raises(GatewayError) as caught:
        gateway.get_payout(provider_reference=batch_id, reference="TXN-9")
    assert caught.value.retryable is True


# --- webhooks ------------------------------------------------------------------------------------


def test_capture_webhooks_sent_by_the_fake_say_pending_is_not_final_and_denied_is(fake, gateway):
    fake.webhook_url = "http://our.test/payments/webhooks/paypal/"
    fake.capture_outcome = "PENDING"
    order_id = approved_order(fake, gateway)
    gateway.get_payment(order_id)
    fake.settle_capture(order_id, status="DECLINED")

    events = [verified(gateway, d) for d in fake.deliver_pending(send=lambda d: None)]

    assert [e.kind for e in events] == [EventKind.OTHER, EventKind.PAYMENT_FAILED]
    assert events[1].failure_code == "DENIED" and events[1].provider_reference == order_id


def test_payout_item_webhooks_carry_the_error_name_and_unclaimed_is_not_final(fake, gateway):
    fake.webhook_url = "http://our.test/hook/"
    batch_id = gateway.payout(payout_request()).provider_reference
    fake.settle_payout(batch_id, status="UNCLAIMED")
    fake.settle_payout(batch_id, status="RETURNED", error="RECEIVER_UNREGISTERED")

    events = [verified(gateway, d) for d in fake.deliver_pending(send=lambda d: None)]

    assert [(e.kind, e.failure_code) for e in events] == [
        (EventKind.OTHER, ""),
        (EventKind.PAYOUT_FAILED, "RECEIVER_UNREGISTERED"),
    ]
    assert events[1].provider_reference == batch_id and events[1].reference == "TXN-9"


def test_refund_webhook_sent_by_the_fake(fake, gateway):
    fake.webhook_url = "http://our.test/hook/"
    result = refund(fake, gateway)

    kinds = [(verified(gateway, d).kind, verified(gateway, d).provider_reference) for d in fake.pending]

    assert (EventKind.REFUND_SUCCEEDED, result.provider_reference) in kinds
