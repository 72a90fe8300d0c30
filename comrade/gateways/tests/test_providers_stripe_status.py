"""StripeGateway asking Stripe where things stand (reconciliation) and cancelling, against
FakeStripe over real HTTP: final and non-final states, lookups by our reference that never create
anything, unknown ids, timeouts, the lost answer, and webhooks the fake sends itself."""

from decimal import Decimal

import pytest

from comrade.gateways.fakes.stripe import FakeStripe
from comrade.gateways.providers.base import EventKind, GatewayError, PaymentStatus
from comrade.gateways.providers.stripe import StripeConfig, StripeGateway
from comrade.gateways.tests.test_providers_stripe import payout_request, request


@pytest.fixture
def fake():
    server = FakeStripe(api_key="sk_test_fake", webhook_secret="whsec_fake")
    yield server
    assert server.errors == []
    server.stop()


@pytest.fixture
def gateway(fake):
    return StripeGateway(
        StripeConfig(api_key="sk_test_fake", webhook_secret="whsec_fake", base_url=fake.base_url, timeout=0.5)
    )


def paid_intent(fake, gateway) -> str:
    pi_id = gateway.create_payment(request()).provider_reference
    fake.approve(pi_id)
    return pi_id


# --- payments ------------------------------------------------------------------------------------


def test_a_declined_attempt_is_not_final_and_a_later_success_carries_what_stripe_took(fake, gateway):
    pi_id = gateway.create_payment(request()).provider_reference
    fake.decline(pi_id, code="card_declined", decline_code="insufficient_funds")

    failed_once = gateway.get_payment(pi_id)
    assert failed_once.status == PaymentStatus.PENDING and not failed_once.status.is_final
    assert failed_once.failure_code == "insufficient_funds" and failed_once.amount is None

    fake.approve(pi_id)
    paid = gateway.get_payment(pi_id)
    assert paid.status == PaymentStatus.SUCCEEDED and paid.status.is_final
    assert (paid.amount, paid.currency, paid.failure_code) == (Decimal("10.50"), "USD", "")
    assert paid.authorization_code == fake.payment_intents[pi_id]["latest_charge"]


def test_processing_is_not_final_and_canceled_is(fake, gateway):
    pi_id = gateway.create_payment(request()).provider_reference
    fake.process(pi_id)
    assert gateway.get_payment(pi_id).status == PaymentStatus.PENDING

    fake.cancel(pi_id, reason="abandoned")
    session = gateway.get_payment(pi_id)
    assert (session.status, session.failure_code, session.amount) == (PaymentStatus.CANCELLED, "abandoned", None)


def test_cancel_an_open_payment(fake, gateway):
    pi_id = gateway.create_payment(request()).provider_reference

    assert gateway.cancel_payment(pi_id) == PaymentStatus.CANCELLED
    assert fake.payment_intents[pi_id]["status"] == "canceled"
    assert gateway.cancel_payment(pi_id) == PaymentStatus.CANCELLED


def test_cancel_a_payment_already_taken_answers_succeeded_and_changes_nothing(fake, gateway):
    pi_id = paid_intent(fake, gateway)

    assert gateway.cancel_payment(pi_id) == PaymentStatus.SUCCEEDED
    assert fake.payment_intents[pi_id]["status"] == "succeeded"


def test_cancel_or_read_an_unknown_intent_is_a_refusal(gateway):
    for call in (gateway.cancel_payment, gateway.get_payment):
        with pytest.raises(GatewayError) as caught:
            call("pi_nope")
        assert caught.value.retryable is False and caught.value.code == "resource_missing"


def test_a_hung_status_read_is_retryable(fake, gateway):
    pi_id = gateway.create_payment(request()).provider_reference
    fake.hang_next(1.5, path=f"/v1/payment_intents/{pi_id}")

    with pytest.raises(GatewayError) as caught:
        gateway.get_payment(pi_id)

    assert caught.value.retryable is True


# --- payouts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status,expected,code",
    [
        ("in_transit", PaymentStatus.PENDING, ""),
        ("paid", PaymentStatus.SUCCEEDED, ""),
        ("failed", PaymentStatus.FAILED, "account_closed"),
        ("canceled", PaymentStatus.CANCELLED, "canceled"),
    ],
)
def test_get_payout_maps_stripe_states(fake, gateway, status, expected, code):
    po_id = gateway.payout(payout_request()).provider_reference
    assert gateway.get_payout(provider_reference=po_id, reference="TXN-9").status == PaymentStatus.PENDING

    fake.settle_payout(po_id, status=status)
    result = gateway.get_payout(provider_reference=po_id, reference="TXN-9")

    assert (result.provider_reference, result.status, result.failure_code) == (po_id, expected, code)


def test_a_payout_whose_answer_was_lost_is_found_by_our_reference_without_paying_twice(fake, gateway):
    fake.chaos(error_after_next=1, path="/v1/payouts")
    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request())
    assert caught.value.retryable is True
    assert len(fake.payouts) == 1
    (po_id,) = fake.payouts

    found = gateway.get_payout(provider_reference="", reference="TXN-9")

    assert (found.provider_reference, found.status) == (po_id, PaymentStatus.PENDING)
    assert len(fake.payouts) == 1 and len(fake.seen("/v1/payouts", "POST")) == 1


def test_a_payout_that_never_reached_stripe_is_unknown_not_failed(fake, gateway):
    fake.fail_next(500, path="/v1/payouts")
    with pytest.raises(GatewayError):
        gateway.payout(payout_request())

    result = gateway.get_payout(provider_reference="", reference="TXN-9")

    assert (result.provider_reference, result.status, result.failure_code) == (
        "",
        PaymentStatus.PENDING,
        "unknown_at_provider",
    )
    assert fake.payouts == {}


def test_lookup_by_reference_pages_through_newer_payouts_and_stops_at_its_limit(fake, gateway):
    first = gateway.payout(payout_request()).provider_reference
    for n in range(120):
        fake._new_payout({"amount": "100", "currency": "usd", "metadata": {"reference": f"OTHER-{n}"}})

    assert gateway.get_payout(provider_reference="", reference="TXN-9").provider_reference == first
    short = StripeGateway(
        StripeConfig(api_key="sk_test_fake", webhook_secret="whsec_fake", base_url=fake.base_url, lookup_pages=1)
    )
    assert short.get_payout(provider_reference="", reference="TXN-9").failure_code == "unknown_at_provider"


def test_get_unknown_payout_is_a_refusal(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.get_payout(provider_reference="po_nope", reference="TXN-9")

    assert caught.value.retryable is False and caught.value.code == "resource_missing"


# --- refunds -------------------------------------------------------------------------------------


def test_get_refund_pending_then_succeeded(fake, gateway):
    fake.refund_status = "pending"
    pi_id = paid_intent(fake, gateway)
    re_id = gateway.refund(
        provider_reference=pi_id, amount=Decimal("4"), currency="USD", idempotency_key="RF-1"
    ).provider_reference

    pending = gateway.get_refund(provider_reference=re_id, reference="RF-1")
    assert (pending.status, pending.amount) == (PaymentStatus.PENDING, Decimal("4.00"))

    fake.settle_refund(re_id, status="succeeded")
    assert gateway.get_refund(provider_reference=re_id, reference="RF-1").status == PaymentStatus.SUCCEEDED


def test_a_failed_refund_is_final_with_stripes_code_and_gives_the_amount_back(fake, gateway):
    fake.refund_status = "pending"
    pi_id = paid_intent(fake, gateway)
    re_id = gateway.refund(
        provider_reference=pi_id, amount=Decimal("10.50"), currency="USD", idempotency_key="RF-1"
    ).provider_reference
    fake.settle_refund(re_id, status="failed", failure_reason="expired_or_canceled_card")

    result = gateway.get_refund(provider_reference=re_id, reference="RF-1")

    assert (result.status, result.failure_code) == (PaymentStatus.FAILED, "expired_or_canceled_card")
    assert fake.payment_intents[pi_id]["amount_refunded"] == 0


def test_a_refund_whose_answer_was_lost_is_found_by_our_reference(fake, gateway):
    pi_id = paid_intent(fake, gateway)
    fake.chaos(timeout_next=1, timeout_seconds=1.0, path="/v1/refunds")
    with pytest.raises(GatewayError) as caught:
        gateway.refund(provider_reference=pi_id, amount=Decimal("3"), currency="USD", idempotency_key="RF-7")
    assert caught.value.retryable is True

    found = gateway.get_refund(provider_reference="", reference="RF-7")

    assert found.status == PaymentStatus.SUCCEEDED and found.amount == Decimal("3.00")
    assert list(fake.refunds) == [found.provider_reference]
    assert gateway.get_refund(provider_reference="", reference="RF-8").failure_code == "unknown_at_provider"


def test_get_unknown_refund_is_a_refusal(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.get_refund(provider_reference="re_nope", reference="RF-1")

    assert caught.value.retryable is False and caught.value.code == "resource_missing"


# --- webhooks the fake sends ---------------------------------------------------------------------


def test_the_fake_sends_signed_webhooks_for_each_change(fake, gateway):
    fake.webhook_url = "http://our.test/payments/webhooks/stripe/"
    pi_id = gateway.create_payment(request()).provider_reference
    fake.decline(pi_id)
    fake.approve(pi_id)
    received = []

    sent = fake.deliver_pending(send=received.append)

    events = [gateway.verify_webhook(headers=d.headers, body=d.body) for d in received]
    assert [e.kind for e in events] == [EventKind.PAYMENT_ATTEMPT_FAILED, EventKind.PAYMENT_SUCCEEDED]
    assert sent == received and {d.url for d in sent} == {fake.webhook_url}
    assert fake.deliver_pending(send=received.append) == []


def test_delivery_chaos_duplicates_reorders_and_drops(fake, gateway):
    fake.webhook_url = "http://our.test/hook/"
    po_ids = [gateway.payout(payout_request(key=f"K-{n}")).provider_reference for n in range(3)]
    for po_id in po_ids:
        fake.settle_payout(po_id, paid=True)
    fake.chaos(reorder=True, duplicate_next=1, drop_next=1)
    received = []

    fake.deliver_pending(send=received.append)

    refs = [gateway.verify_webhook(headers=d.headers, body=d.body).provider_reference for d in received]
    assert refs == [po_ids[1], po_ids[1], po_ids[0]]
    assert [gateway.verify_webhook(headers=d.headers, body=d.body).provider_reference for d in fake.dropped] == [
        po_ids[2]
    ]
    assert ("drop", fake.webhook_url) in fake.chaos_log and ("reorder", "3 deliveries") in fake.chaos_log
