"""StripeGateway against FakeStripe over real HTTP (no Django, no database)."""

import time
from decimal import Decimal

import pytest
import requests

from comrade.gateways.fakes.stripe import FakeStripe, parse_form
from comrade.gateways.providers.base import (
    EventKind,
    GatewayError,
    PaymentRequest,
    PaymentStatus,
    PayoutRequest,
    WebhookRejected,
)
from comrade.gateways.providers.stripe import StripeConfig, StripeGateway


@pytest.fixture
def fake():
    server = FakeStripe(api_key="sk_test_fake", webhook_secret="whsec_fake")
    yield server
    assert server.errors == []
    server.stop()


@pytest.fixture
def gateway(fake):
    return StripeGateway(
        StripeConfig(
            api_key="sk_test_fake",
            webhook_secret="whsec_fake",
            base_url=fake.base_url,
            timeout=0.5,
            confirmation_url=f"{fake.base_url}/confirm/{{id}}?client_secret={{client_secret}}&return_url={{return_url}}",
        )
    )


def request(amount="10.50", currency="USD", key="TXN-1", **overrides) -> PaymentRequest:
    fields = {
        "reference": "TXN-1",
        "amount": Decimal(amount),
        "currency": currency,
        "description": "Top up",
        "idempotency_key": key,
        "return_url": "https://pay.example/return?reference=TXN-1",
    }
    return PaymentRequest(**{**fields, **overrides})


def paid_intent(fake, gateway) -> str:
    session = gateway.create_payment(request())
    fake.approve(session.provider_reference)
    return session.provider_reference


# --- creating and reading payments -----------------------------------------------------------


def test_create_sends_minor_units_reference_metadata_and_idempotency_key(fake, gateway):
    session = gateway.create_payment(request())

    sent = fake.seen("/v1/payment_intents", "POST")[-1]
    form = parse_form(sent.body)
    assert form["amount"] == "1050" and form["currency"] == "usd"
    assert form["metadata"] == {"reference": "TXN-1"}
    assert sent.header("Idempotency-Key") == "TXN-1"
    assert sent.header("Content-Type") == "application/x-www-form-urlencoded"
    assert session.status == PaymentStatus.PENDING
    assert session.provider_reference.startswith("pi_")
    intent = fake.payment_intents[session.provider_reference]
    assert session.redirect_url.startswith(f"{fake.base_url}/confirm/{intent['id']}?client_secret=")
    assert "return_url=https%3A%2F%2Fpay.example%2Freturn%3Freference%3DTXN-1" in session.redirect_url


def test_zero_decimal_currency_is_sent_in_whole_units(fake, gateway):
    gateway.create_payment(request(amount="1500", currency="JPY"))

    assert parse_form(fake.seen("/v1/payment_intents")[-1].body)["amount"] == "1500"


@pytest.mark.parametrize("amount,currency", [("10.005", "USD"), ("0", "USD"), ("-5", "USD"), ("100.5", "JPY")])
def test_amounts_that_do_not_fit_the_currency_are_refused_before_calling_stripe(fake, gateway, amount, currency):
    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request(amount=amount, currency=currency))

    assert caught.value.retryable is False
    assert fake.seen("/v1/") == []


def test_create_with_the_same_idempotency_key_returns_the_same_intent(fake, gateway):
    first = gateway.create_payment(request())
    second = gateway.create_payment(request())

    assert first.provider_reference == second.provider_reference
    assert len(fake.payment_intents) == 1


def test_same_idempotency_key_with_other_parameters_is_refused(fake, gateway):
    gateway.create_payment(request())

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request(amount="99.00"))

    assert caught.value.retryable is False
    assert len(fake.payment_intents) == 1


def test_stripe_minimum_charge_is_a_refusal(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request(amount="0.10"))

    assert caught.value.retryable is False
    assert caught.value.code == "amount_too_small"


def test_customer_approves_on_the_hosted_page_then_status_is_succeeded(fake, gateway):
    session = gateway.create_payment(request())
    page = requests.get(session.redirect_url, timeout=2)
    assert page.status_code == 200 and "Pay 1050 usd" in page.text

    back = requests.post(session.redirect_url, data={"decision": "approve"}, allow_redirects=False, timeout=2)

    assert back.status_code == 303
    assert back.headers["Location"] == "https://pay.example/return?reference=TXN-1"
    status = gateway.get_payment(session.provider_reference)
    assert status.status == PaymentStatus.SUCCEEDED
    assert status.authorization_code.startswith("ch_")
    assert status.redirect_url == ""


def test_declined_card_leaves_the_intent_waiting_for_a_payment_method(fake, gateway):
    session = gateway.create_payment(request())
    fake.decline(session.provider_reference)

    status = gateway.get_payment(session.provider_reference)

    assert status.status == PaymentStatus.PENDING
    assert status.authorization_code == ""


def test_next_action_redirect_wins_over_the_confirmation_page(fake, gateway):
    session = gateway.create_payment(request())
    fake.require_action(session.provider_reference)

    status = gateway.get_payment(session.provider_reference)

    assert status.status == PaymentStatus.PENDING
    next_action = fake.payment_intents[session.provider_reference]["next_action"]
    assert status.redirect_url == next_action["redirect_to_url"]["url"]


def test_unknown_intent_is_a_refusal(gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.get_payment("pi_missing")

    assert caught.value.retryable is False
    assert caught.value.status_code == 404


def test_wrong_api_key_is_a_refusal(fake):
    gateway = StripeGateway(
        StripeConfig(api_key="sk_test_wrong", webhook_secret="whsec_fake", base_url=fake.base_url, timeout=0.5)
    )

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is False
    assert fake.payment_intents == {}


# --- outages -----------------------------------------------------------------------------------


def test_a_hang_times_out_quickly_as_retryable(fake, gateway):
    fake.hang_next(1.5)
    started = time.monotonic()

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is True
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_server_errors_and_rate_limits_are_retryable(fake, gateway, status):
    fake.fail_next(status)

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is True
    assert len(fake.seen("/v1/payment_intents")) == 1


def test_retry_after_a_lost_answer_finds_the_same_intent(fake, gateway):
    fake.hang_next(0.8)
    with pytest.raises(GatewayError):
        gateway.create_payment(request())
    deadline = time.monotonic() + 3
    while not fake.payment_intents and time.monotonic() < deadline:
        time.sleep(0.05)

    session = gateway.create_payment(request())

    assert list(fake.payment_intents) == [session.provider_reference]


# --- webhooks ----------------------------------------------------------------------------------


def test_payment_succeeded_webhook(fake, gateway):
    pi_id = paid_intent(fake, gateway)
    body, headers = fake.payment_webhook(pi_id)

    event = gateway.verify_webhook(headers=headers, body=body)

    assert event.kind == EventKind.PAYMENT_SUCCEEDED
    assert event.event_id.startswith("evt_")
    assert (event.reference, event.provider_reference) == ("TXN-1", pi_id)
    assert (event.amount, event.currency) == (Decimal("10.50"), "USD")
    assert event.authorization_code == fake.payment_intents[pi_id]["latest_charge"]
    assert gateway.confirm_event(event) == event


def test_payment_failed_webhook_is_a_failed_attempt_not_a_final_failure(fake, gateway):
    session = gateway.create_payment(request())
    fake.decline(
        session.provider_reference, message="Your card has insufficient funds.", decline_code="insufficient_funds"
    )
    body, headers = fake.payment_webhook(session.provider_reference)

    event = gateway.verify_webhook(headers=headers, body=body)

    assert event.kind == EventKind.PAYMENT_ATTEMPT_FAILED
    assert event.failure_code == "insufficient_funds"
    assert "insufficient funds" in event.failure_reason


def test_payment_canceled_webhook_is_a_final_failure(fake, gateway):
    session = gateway.create_payment(request())
    fake.cancel(session.provider_reference, reason="abandoned")
    body, headers = fake.payment_webhook(session.provider_reference)

    event = gateway.verify_webhook(headers=headers, body=body)

    assert (event.kind, event.failure_code, event.reference) == (EventKind.PAYMENT_FAILED, "abandoned", "TXN-1")


def test_header_names_are_matched_case_insensitively(fake, gateway):
    body, headers = fake.payment_webhook(paid_intent(fake, gateway))

    event = gateway.verify_webhook(headers={"stripe-signature": headers["Stripe-Signature"]}, body=body)

    assert event.kind == EventKind.PAYMENT_SUCCEEDED


def test_webhook_signed_with_another_secret_is_rejected(fake, gateway):
    body, headers = fake.payment_webhook(paid_intent(fake, gateway), secret="whsec_attacker")

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_tampered_webhook_body_is_rejected(fake, gateway):
    body, headers = fake.payment_webhook(paid_intent(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body.replace(b'"amount": 1050', b'"amount": 9999'))


@pytest.mark.parametrize(
    "headers", [{}, {"Stripe-Signature": ""}, {"Stripe-Signature": "garbage"}, {"Stripe-Signature": "t=abc,v1=00"}]
)
def test_missing_or_malformed_signature_is_rejected(fake, gateway, headers):
    body, _ = fake.payment_webhook(paid_intent(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_stale_timestamp_is_rejected(fake, gateway):
    body, headers = fake.payment_webhook(paid_intent(fake, gateway), timestamp=int(time.time()) - 301)

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_future_timestamp_beyond_tolerance_is_rejected(fake, gateway):
    body, headers = fake.payment_webhook(paid_intent(fake, gateway), timestamp=int(time.time()) + 301)

    with pytest.raises(WebhookRejected) as caught:
        gateway.verify_webhook(headers=headers, body=body)

    assert "future" in caught.value.reason


def test_small_clock_skew_either_way_is_accepted(fake, gateway):
    pi_id = paid_intent(fake, gateway)
    for skew in (-200, 200):
        body, headers = fake.payment_webhook(pi_id, timestamp=int(time.time()) + skew)
        assert gateway.verify_webhook(headers=headers, body=body).kind == EventKind.PAYMENT_SUCCEEDED


def test_non_json_body_is_rejected(gateway):
    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers={"Stripe-Signature": "t=1,v1=abc"}, body=b"\xff\xfe")


def test_unhandled_event_types_are_other(fake, gateway):
    body, headers = fake.signed_webhook("customer.created", {"id": "cus_1", "object": "customer"})

    assert gateway.verify_webhook(headers=headers, body=body).kind == EventKind.OTHER


# --- refunds -----------------------------------------------------------------------------------


def test_partial_then_full_refund(fake, gateway):
    pi_id = paid_intent(fake, gateway)

    first = gateway.refund(provider_reference=pi_id, amount=Decimal("4.00"), currency="USD", idempotency_key="RF-1")
    second = gateway.refund(provider_reference=pi_id, amount=Decimal("6.50"), currency="USD", idempotency_key="RF-2")

    assert first.status == second.status == PaymentStatus.SUCCEEDED
    assert (first.amount, second.amount) == (Decimal("4.00"), Decimal("6.50"))
    assert first.provider_reference.startswith("re_")
    sent = parse_form(fake.seen("/v1/refunds")[0].body)
    assert sent["payment_intent"] == pi_id and sent["amount"] == "400"


def test_refund_is_idempotent(fake, gateway):
    pi_id = paid_intent(fake, gateway)

    first = gateway.refund(provider_reference=pi_id, amount=Decimal("4"), currency="USD", idempotency_key="RF-1")
    again = gateway.refund(provider_reference=pi_id, amount=Decimal("4"), currency="USD", idempotency_key="RF-1")

    assert first.provider_reference == again.provider_reference
    assert len(fake.refunds) == 1


def test_refund_beyond_the_payment_is_refused(fake, gateway):
    pi_id = paid_intent(fake, gateway)

    with pytest.raises(GatewayError) as caught:
        gateway.refund(provider_reference=pi_id, amount=Decimal("10.51"), currency="USD", idempotency_key="RF-1")

    assert caught.value.retryable is False
    assert fake.refunds == {}


def test_pending_refund_then_webhooks(fake, gateway):
    fake.refund_status = "pending"
    pi_id = paid_intent(fake, gateway)
    result = gateway.refund(provider_reference=pi_id, amount=Decimal("5"), currency="USD", idempotency_key="RF-1")
    assert result.status == PaymentStatus.PENDING

    fake.refunds[result.provider_reference]["status"] = "succeeded"
    event = gateway.verify_webhook(**_delivery(fake.refund_webhook(result.provider_reference)))
    assert (event.kind, event.provider_reference, event.amount) == (
        EventKind.REFUND_SUCCEEDED,
        result.provider_reference,
        Decimal("5.00"),
    )

    fake.settle_refund(result.provider_reference, status="failed", failure_reason="expired_or_canceled_card")
    event = gateway.verify_webhook(**_delivery(fake.refund_webhook(result.provider_reference)))
    assert (event.kind, event.failure_code) == (EventKind.REFUND_FAILED, "expired_or_canceled_card")


def test_charge_refunded_webhook_uses_the_latest_refund(fake, gateway):
    charge = {
        "id": "ch_1",
        "object": "charge",
        "currency": "usd",
        "payment_intent": "pi_1",
        "amount_refunded": 700,
        "refunds": {
            "data": [
                {"id": "re_old", "amount": 200, "status": "succeeded", "created": 1},
                {"id": "re_new", "amount": 500, "status": "succeeded", "created": 2},
            ]
        },
    }

    event = gateway.verify_webhook(**_delivery(fake.signed_webhook("charge.refunded", charge)))

    assert (event.kind, event.provider_reference, event.amount) == (
        EventKind.REFUND_SUCCEEDED,
        "re_new",
        Decimal("5.00"),
    )


# --- payouts -----------------------------------------------------------------------------------


def payout_request(amount="25.00", destination="ba_123", key="TXN-9") -> PayoutRequest:
    return PayoutRequest(
        reference="TXN-9",
        amount=Decimal(amount),
        currency="USD",
        destination=destination,
        idempotency_key=key,
        description="Withdrawal",
    )


def test_payout_is_pending_until_the_paid_webhook(fake, gateway):
    result = gateway.payout(payout_request())

    assert result.status == PaymentStatus.PENDING
    sent = fake.seen("/v1/payouts")[0]
    assert sent.header("Idempotency-Key") == "TXN-9"
    assert parse_form(sent.body) == {
        "amount": "2500",
        "currency": "usd",
        "destination": "ba_123",
        "description": "Withdrawal",
        "metadata": {"reference": "TXN-9"},
    }
    fake.settle_payout(result.provider_reference, paid=True)
    event = gateway.verify_webhook(**_delivery(fake.payout_webhook(result.provider_reference)))
    assert (event.kind, event.reference, event.provider_reference, event.amount) == (
        EventKind.PAYOUT_SUCCEEDED,
        "TXN-9",
        result.provider_reference,
        Decimal("25.00"),
    )


def test_failed_payout_webhook_carries_the_reason(fake, gateway):
    result = gateway.payout(payout_request())
    fake.settle_payout(result.provider_reference, paid=False)

    event = gateway.verify_webhook(**_delivery(fake.payout_webhook(result.provider_reference)))

    assert event.kind == EventKind.PAYOUT_FAILED
    assert event.failure_code == "account_closed"
    assert "closed" in event.failure_reason


@pytest.mark.parametrize("destination", ["acct_nope", "not-a-bank"])
def test_payout_to_an_unknown_destination_is_refused(fake, gateway, destination):
    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request(destination=destination))

    assert caught.value.retryable is False
    assert fake.payouts == {}


def test_payout_beyond_the_balance_is_refused(fake, gateway):
    fake.payout_balance = 1000

    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request(amount="10.01"))

    assert caught.value.retryable is False and caught.value.code == "balance_insufficient"


def test_payout_timeout_is_retryable(fake, gateway):
    fake.hang_next(1.5, path="/v1/payouts")

    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request())

    assert caught.value.retryable is True


def _delivery(signed: tuple[bytes, dict]) -> dict:
    body, headers = signed
    return {"body": body, "headers": headers}


def test_fake_parses_nested_form_fields():
    assert parse_form(b"a=1&metadata[reference]=TXN-1&x[y][z]=2") == {
        "a": "1",
        "metadata": {"reference": "TXN-1"},
        "x": {"y": {"z": "2"}},
    }
