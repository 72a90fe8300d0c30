"""PayPalGateway against FakePayPal over real HTTP (no Django, no database)."""

import dataclasses
import json
import time
from decimal import Decimal

import pytest
import requests

from comrade.gateways.fakes.paypal import FakePayPal
from comrade.gateways.providers.base import (
    EventKind,
    GatewayError,
    PaymentRequest,
    PaymentStatus,
    PayoutRequest,
    WebhookRejected,
)
from comrade.gateways.providers.paypal import PayPalConfig, PayPalGateway, is_allowed_cert_url

RETURN_URL = "https://pay.example/gateways/paypal/return/?reference=TXN-1"


@pytest.fixture
def fake():
    server = FakePayPal(client_id="client", client_secret="secret", webhook_id="WH123")
    yield server
    assert server.errors == []
    server.stop()


def make_gateway(fake, **overrides) -> PayPalGateway:
    config = {
        "client_id": "client",
        "client_secret": "secret",
        "webhook_id": "WH123",
        "base_url": fake.base_url,
        "timeout": 0.5,
    }
    return PayPalGateway(PayPalConfig(**{**config, **overrides}))


@pytest.fixture
def gateway(fake):
    return make_gateway(fake)


def request(amount="10.50", currency="USD", key="TXN-1", return_url=RETURN_URL) -> PaymentRequest:
    return PaymentRequest(
        reference="TXN-1",
        amount=Decimal(amount),
        currency=currency,
        description="Top up",
        idempotency_key=key,
        return_url=return_url,
    )


def captured_order(fake, gateway) -> str:
    order_id = gateway.create_payment(request()).provider_reference
    fake.approve(order_id)
    assert gateway.get_payment(order_id).status == PaymentStatus.SUCCEEDED
    return order_id


# --- orders ------------------------------------------------------------------------------------


def test_create_order_sends_capture_intent_amount_and_our_reference(fake, gateway):
    session = gateway.create_payment(request())

    sent = fake.seen("/v2/checkout/orders", "POST")[0]
    body = sent.json()
    assert sent.header("PayPal-Request-Id") == "TXN-1"
    assert sent.header("Authorization").startswith("Bearer A21AA")
    assert body["intent"] == "CAPTURE"
    unit = body["purchase_units"][0]
    assert unit["custom_id"] == "TXN-1" and unit["amount"] == {"currency_code": "USD", "value": "10.50"}
    assert body["payment_source"]["paypal"]["experience_context"]["return_url"] == RETURN_URL
    assert session.status == PaymentStatus.PENDING
    assert session.redirect_url == f"{fake.base_url}/checkoutnow?token={session.provider_reference}"
    assert fake.orders[session.provider_reference]["status"] == "PAYER_ACTION_REQUIRED"


def test_order_without_return_url_uses_the_approve_link(fake, gateway):
    session = gateway.create_payment(request(return_url=""))

    assert fake.orders[session.provider_reference]["status"] == "CREATED"
    assert session.redirect_url.endswith(f"/checkoutnow?token={session.provider_reference}")


def test_create_is_idempotent_by_paypal_request_id(fake, gateway):
    first = gateway.create_payment(request())
    second = gateway.create_payment(request())

    assert first.provider_reference == second.provider_reference
    assert len(fake.orders) == 1


@pytest.mark.parametrize("amount,currency", [("10.555", "USD"), ("0", "USD"), ("100.5", "JPY")])
def test_amounts_that_do_not_fit_the_currency_are_refused_locally(fake, gateway, amount, currency):
    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request(amount=amount, currency=currency))

    assert caught.value.retryable is False
    assert fake.seen("/v2/") == []


def test_unapproved_order_is_pending_and_not_captured(fake, gateway):
    order_id = gateway.create_payment(request()).provider_reference

    assert gateway.get_payment(order_id).status == PaymentStatus.PENDING
    assert fake.seen(f"/v2/checkout/orders/{order_id}/capture") == []


def test_customer_approves_on_paypal_then_status_captures(fake, gateway):
    session = gateway.create_payment(request())
    assert "Pay 10.50 USD" in requests.get(session.redirect_url, timeout=2).text

    back = requests.post(session.redirect_url, data={"decision": "approve"}, allow_redirects=False, timeout=2)
    assert back.status_code == 303
    assert back.headers["Location"] == f"{RETURN_URL}&token={session.provider_reference}"

    status = gateway.get_payment(session.provider_reference)
    assert status.status == PaymentStatus.SUCCEEDED
    assert status.authorization_code in fake.captures
    again = gateway.get_payment(session.provider_reference)
    assert again.authorization_code == status.authorization_code
    assert len(fake.seen(f"/v2/checkout/orders/{session.provider_reference}/capture")) == 1


@pytest.mark.parametrize(
    "outcome,expected",
    [
        ("DECLINED", PaymentStatus.FAILED),
        ("PENDING", PaymentStatus.AUTHORIZED),
        ("INSTRUMENT_DECLINED", PaymentStatus.FAILED),
    ],
)
def test_capture_outcomes(fake, gateway, outcome, expected):
    fake.capture_outcome = outcome
    order_id = gateway.create_payment(request()).provider_reference
    fake.approve(order_id)

    assert gateway.get_payment(order_id).status == expected


def test_voided_order_is_cancelled(fake, gateway):
    order_id = gateway.create_payment(request()).provider_reference
    fake.void(order_id)

    assert gateway.get_payment(order_id).status == PaymentStatus.CANCELLED


def test_capture_whose_answer_was_lost_is_found_on_the_next_check(fake, gateway):
    order_id = gateway.create_payment(request()).provider_reference
    fake.approve(order_id)
    fake.hang_next(0.8, path=f"/v2/checkout/orders/{order_id}/capture")
    with pytest.raises(GatewayError) as caught:
        gateway.get_payment(order_id)
    assert caught.value.retryable is True
    deadline = time.monotonic() + 3
    while fake.orders[order_id]["status"] != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(0.05)

    status = gateway.get_payment(order_id)

    assert status.status == PaymentStatus.SUCCEEDED
    assert len(fake.captures) == 1


def test_unknown_or_malformed_order_ids_are_refusals(fake, gateway):
    with pytest.raises(GatewayError) as unknown:
        gateway.get_payment("NOSUCHORDER123")
    with pytest.raises(GatewayError) as malformed:
        gateway.get_payment("../v1/oauth2/token")

    assert unknown.value.retryable is False and unknown.value.status_code == 404
    assert malformed.value.retryable is False
    assert [r.path for r in fake.seen("/v2/")] == ["/v2/checkout/orders/NOSUCHORDER123"]


# --- OAuth -------------------------------------------------------------------------------------


def test_token_is_cached_between_calls(fake, gateway):
    order_id = gateway.create_payment(request()).provider_reference
    gateway.get_payment(order_id)
    gateway.get_payment(order_id)

    tokens = fake.seen("/v1/oauth2/token")
    assert len(tokens) == 1
    assert tokens[0].header("Authorization").startswith("Basic ")
    assert tokens[0].body == b"grant_type=client_credentials"


def test_a_token_close_to_expiry_is_not_reused(fake):
    short_lived = FakePayPal(client_id="client", client_secret="secret", webhook_id="WH123", token_ttl=30)
    try:
        gateway = make_gateway(short_lived)
        order_id = gateway.create_payment(request()).provider_reference
        gateway.get_payment(order_id)
        assert len(short_lived.seen("/v1/oauth2/token")) == 2
    finally:
        short_lived.stop()


def test_a_revoked_token_is_replaced_once(fake, gateway):
    order_id = gateway.create_payment(request()).provider_reference
    fake.expire_tokens()

    assert gateway.get_payment(order_id).status == PaymentStatus.PENDING
    assert len(fake.seen("/v1/oauth2/token")) == 2


def test_wrong_client_secret_is_a_refusal(fake):
    with pytest.raises(GatewayError) as caught:
        make_gateway(fake, client_secret="wrong").create_payment(request())

    assert caught.value.retryable is False
    assert fake.orders == {}


# --- outages -----------------------------------------------------------------------------------


def test_a_hang_times_out_as_retryable(fake, gateway):
    fake.hang_next(1.5, path="/v2/")
    started = time.monotonic()

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is True
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("path", ["/v1/oauth2/token", "/v2/checkout/orders"])
def test_server_errors_are_retryable(fake, gateway, path):
    fake.fail_next(503, path=path)

    with pytest.raises(GatewayError) as caught:
        gateway.create_payment(request())

    assert caught.value.retryable is True


# --- webhooks ----------------------------------------------------------------------------------


def test_capture_completed_webhook_is_verified_by_paypal(fake, gateway):
    order_id = captured_order(fake, gateway)
    body, headers = fake.capture_webhook(order_id)

    event = gateway.verify_webhook(headers=headers, body=body)

    verification = fake.seen("/v1/notifications/verify-webhook-signature")[0].json()
    assert verification["webhook_id"] == "WH123"
    assert verification["transmission_id"] == headers["PAYPAL-TRANSMISSION-ID"]
    assert verification["webhook_event"] == json.loads(body)
    assert event.kind == EventKind.PAYMENT_SUCCEEDED
    assert (event.reference, event.provider_reference) == ("TXN-1", order_id)
    assert event.authorization_code == fake.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]["id"]
    assert (event.amount, event.currency) == (Decimal("10.50"), "USD")
    assert event.event_id.startswith("WH-")


def test_confirm_event_rereads_the_capture(fake, gateway):
    order_id = captured_order(fake, gateway)
    body, headers = fake.capture_webhook(order_id)
    event = gateway.verify_webhook(headers=headers, body=body)

    assert gateway.confirm_event(event) == event
    with pytest.raises(WebhookRejected):
        gateway.confirm_event(dataclasses.replace(event, amount=Decimal("99.00")))
    with pytest.raises(WebhookRejected):
        gateway.confirm_event(dataclasses.replace(event, authorization_code="OTHERCAPTURE"))


def test_capture_denied_webhook_is_a_failed_payment(fake, gateway):
    order_id = captured_order(fake, gateway)

    event = gateway.verify_webhook(**_delivery(fake.capture_webhook(order_id, "PAYMENT.CAPTURE.DENIED")))

    assert event.kind == EventKind.PAYMENT_FAILED
    assert gateway.confirm_event(event) == event


def test_header_names_are_matched_case_insensitively(fake, gateway):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))

    event = gateway.verify_webhook(headers={k.lower(): v for k, v in headers.items()}, body=body)

    assert event.kind == EventKind.PAYMENT_SUCCEEDED


def test_forged_signature_is_rejected(fake, gateway):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers={**headers, "PAYPAL-TRANSMISSION-SIG": "Zm9yZ2Vk"}, body=body)


def test_tampered_body_is_rejected(fake, gateway):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body.replace(b'"10.50"', b'"99.50"'))


def test_transmission_the_fake_never_issued_is_rejected(fake, gateway):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers={**headers, "PAYPAL-TRANSMISSION-ID": "made-up-id"}, body=body)


def test_webhook_for_another_webhook_id_is_rejected(fake, gateway):
    order_id = captured_order(fake, gateway)
    capture = fake.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]
    body, headers = fake.signed_webhook("PAYMENT.CAPTURE.COMPLETED", capture, webhook_id="WHOTHER")

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


@pytest.mark.parametrize(
    "cert_url",
    ["https://evil.example/cert.pem", "http://api.paypal.com/cert", "https://api.paypal.com.evil.example/cert"],
)
def test_foreign_cert_url_is_rejected_without_asking_paypal(fake, gateway, cert_url):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers={**headers, "PAYPAL-CERT-URL": cert_url}, body=body)

    assert fake.seen("/v1/notifications/") == []


@pytest.mark.parametrize(
    "missing",
    [
        "PAYPAL-TRANSMISSION-ID",
        "PAYPAL-TRANSMISSION-SIG",
        "PAYPAL-CERT-URL",
        "PAYPAL-AUTH-ALGO",
        "PAYPAL-TRANSMISSION-TIME",
    ],
)
def test_missing_transmission_headers_are_rejected(fake, gateway, missing):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers={k: v for k, v in headers.items() if k != missing}, body=body)


def test_verification_outage_rejects_so_paypal_retries(fake, gateway):
    body, headers = fake.capture_webhook(captured_order(fake, gateway))
    fake.fail_next(503, path="/v1/notifications/")

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_unconfigured_webhook_id_rejects(fake):
    gateway = make_gateway(fake, webhook_id="")
    body, headers = fake.signed_webhook("CHECKOUT.ORDER.APPROVED", {"id": "X"})

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_order_approved_webhook_is_other(fake, gateway):
    event = gateway.verify_webhook(**_delivery(fake.signed_webhook("CHECKOUT.ORDER.APPROVED", {"id": "ORDER1"})))

    assert event.kind == EventKind.OTHER


# --- refunds -----------------------------------------------------------------------------------


def test_refund_the_capture_of_an_order(fake, gateway):
    order_id = captured_order(fake, gateway)
    capture_id = fake.orders[order_id]["purchase_units"][0]["payments"]["captures"][0]["id"]

    result = gateway.refund(provider_reference=order_id, amount=Decimal("4.00"), currency="USD", idempotency_key="RF-1")

    sent = fake.seen(f"/v2/payments/captures/{capture_id}/refund")[0]
    assert sent.header("PayPal-Request-Id") == "RF-1"
    assert sent.json() == {"amount": {"value": "4.00", "currency_code": "USD"}}
    assert result.status == PaymentStatus.SUCCEEDED
    assert result.provider_reference in fake.refunds and result.amount == Decimal("4.00")
    again = gateway.refund(provider_reference=order_id, amount=Decimal("4.00"), currency="USD", idempotency_key="RF-1")
    assert again.provider_reference == result.provider_reference and len(fake.refunds) == 1


def test_refund_beyond_the_capture_is_refused(fake, gateway):
    order_id = captured_order(fake, gateway)

    with pytest.raises(GatewayError) as caught:
        gateway.refund(provider_reference=order_id, amount=Decimal("10.51"), currency="USD", idempotency_key="RF-1")

    assert caught.value.retryable is False and caught.value.code == "REFUND_AMOUNT_EXCEEDED"


def test_refund_of_an_uncaptured_order_is_refused(fake, gateway):
    order_id = gateway.create_payment(request()).provider_reference

    with pytest.raises(GatewayError) as caught:
        gateway.refund(provider_reference=order_id, amount=Decimal("1"), currency="USD", idempotency_key="RF-1")

    assert caught.value.retryable is False


def test_capture_refunded_webhook(fake, gateway):
    order_id = captured_order(fake, gateway)
    result = gateway.refund(provider_reference=order_id, amount=Decimal("4.00"), currency="USD", idempotency_key="RF-1")

    event = gateway.verify_webhook(
        **_delivery(fake.signed_webhook("PAYMENT.CAPTURE.REFUNDED", fake.refunds[result.provider_reference]))
    )

    assert (event.kind, event.provider_reference, event.amount) == (
        EventKind.REFUND_SUCCEEDED,
        result.provider_reference,
        Decimal("4.00"),
    )


# --- payouts -----------------------------------------------------------------------------------


def payout_request(destination="friend@example.com", key="TXN-9", amount="25.00") -> PayoutRequest:
    return PayoutRequest(
        reference="TXN-9",
        amount=Decimal(amount),
        currency="USD",
        destination=destination,
        idempotency_key=key,
        description="Withdrawal",
    )


def test_payout_is_pending_until_its_item_webhook(fake, gateway):
    result = gateway.payout(payout_request())

    body = fake.seen("/v1/payments/payouts")[0].json()
    assert body["sender_batch_header"]["sender_batch_id"] == "TXN-9"
    assert body["items"][0] == {
        "recipient_type": "EMAIL",
        "receiver": "friend@example.com",
        "sender_item_id": "TXN-9",
        "amount": {"value": "25.00", "currency": "USD"},
        "note": "Withdrawal",
    }
    assert result.status == PaymentStatus.PENDING
    event = gateway.verify_webhook(**_delivery(fake.payout_webhook(result.provider_reference)))
    assert (event.kind, event.reference, event.provider_reference, event.amount) == (
        EventKind.PAYOUT_SUCCEEDED,
        "TXN-9",
        result.provider_reference,
        Decimal("25.00"),
    )


def test_failed_payout_item_webhook(fake, gateway):
    result = gateway.payout(payout_request())

    event = gateway.verify_webhook(**_delivery(fake.payout_webhook(result.provider_reference, succeeded=False)))

    assert event.kind == EventKind.PAYOUT_FAILED
    assert "locked" in event.failure_reason


def test_resubmitted_payout_batch_stays_retryable(fake, gateway):
    gateway.payout(payout_request())

    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request())

    assert caught.value.retryable is True and caught.value.code == "DUPLICATE_BATCH"
    assert len(fake.payouts) == 1


def test_invalid_payout_is_refused(fake, gateway):
    with pytest.raises(GatewayError) as caught:
        gateway.payout(payout_request(destination=""))

    assert caught.value.retryable is False


@pytest.mark.parametrize(
    "destination,kind", [("friend@example.com", "EMAIL"), ("+14155550100", "PHONE"), ("PAYERID123", "PAYPAL_ID")]
)
def test_recipient_type_follows_the_destination(fake, gateway, destination, kind):
    gateway.payout(payout_request(destination=destination))

    assert fake.seen("/v1/payments/payouts")[0].json()["items"][0]["recipient_type"] == kind


# --- certificate URL allow-list ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.paypal.com/v1/notifications/certs/CERT-360caa42",
        "https://api-m.paypal.com/cert",
        "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
        "https://api-m.sandbox.paypal.com/cert",
        "https://API.PAYPAL.COM/cert",
        "https://api.paypal.com:443/cert",
    ],
)
def test_paypal_cert_urls_are_allowed(url):
    assert is_allowed_cert_url(url) is True


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "http://api.paypal.com/cert",
        "ftp://api.paypal.com/cert",
        "//api.paypal.com/cert",
        "https://paypal.com/cert",
        "https://www.paypal.com/cert",
        "https://api.paypal.com.evil.com/cert",
        "https://evil.com/api.paypal.com/cert",
        "https://api.paypal.com@evil.com/cert",
        "https://user:pw@api.paypal.com/c",
        "https://evil.com#@api.paypal.com",
        "https://evil.com\\@api.paypal.com/",
        "https://api.paypal.com:8443/cert",
        "https://api.paypal.com:notaport/cert",
        "https://api.paypal.com./cert",
        "https://api.paypal.com /cert",
        "https://api.paypal.com\n.evil.com/cert",
        "file:///etc/passwd",
        "https://127.0.0.1/cert",
    ],
)
def test_other_cert_urls_are_refused(url):
    assert is_allowed_cert_url(url) is False


def _delivery(signed: tuple[bytes, dict]) -> dict:
    body, headers = signed
    return {"body": body, "headers": headers}
