"""SandboxGateway: no network, HMAC-signed webhooks, magic failure amounts."""

import json
import socket
import time
from dataclasses import replace
from decimal import Decimal

import pytest

from comrade.gateways.providers.base import (
    EventKind,
    GatewayError,
    PaymentRequest,
    PaymentStatus,
    PayoutRequest,
    WebhookRejected,
)
from comrade.gateways.providers.sandbox import SandboxConfig, SandboxGateway, sign_event

SECRET = "sandbox-secret"


@pytest.fixture
def gateway():
    return SandboxGateway(
        SandboxConfig(webhook_secret=SECRET, checkout_base_url="https://pay.example/sandbox/checkout/")
    )


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the sandbox must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def event(kind="payment.succeeded", **data) -> dict:
    fields = {
        "reference": "TXN-1",
        "provider_reference": "sbx_abc",
        "amount": "40.00",
        "currency": "usd",
        "authorization_code": "SBX-AUTH-1",
    }
    return {"id": "evt_1", "type": kind, "data": {**fields, **data}}


def test_create_payment_points_at_the_hosted_checkout(gateway):
    request = PaymentRequest(
        reference="TXN-1", amount=Decimal("40.00"), currency="USD", description="Top up", idempotency_key="TXN-1"
    )

    first, second = gateway.create_payment(request), gateway.create_payment(request)

    assert first.status == PaymentStatus.PENDING
    assert first.provider_reference.startswith("sbx_") and len(first.provider_reference) == 36
    assert first.redirect_url == f"https://pay.example/sandbox/checkout/{first.provider_reference}/"
    assert first.provider_reference == second.provider_reference  # one payment per reference, like an idempotency key
    assert gateway.get_payment(first.provider_reference).status == PaymentStatus.PENDING


def test_the_sandbox_keeps_state_it_can_answer_about(gateway):
    request = PaymentRequest(
        reference="TXN-2", amount=Decimal("40.00"), currency="USD", description="Top up", idempotency_key="TXN-2"
    )
    ref = gateway.create_payment(request).provider_reference
    assert gateway.cancel_payment(ref) == PaymentStatus.CANCELLED
    assert gateway.get_payment(ref).status == PaymentStatus.CANCELLED and gateway.get_payment(ref).amount is None
    paid = gateway.create_payment(replace(request, reference="TXN-3", idempotency_key="TXN-3")).provider_reference
    gateway.store.set_status(paid, PaymentStatus.SUCCEEDED, only_from=PaymentStatus.PENDING)
    assert gateway.cancel_payment(paid) == PaymentStatus.SUCCEEDED  # too late: the money was taken
    answer = gateway.get_payment(paid)
    assert answer.status == PaymentStatus.SUCCEEDED and answer.amount == Decimal("40.00") and answer.currency == "USD"
    with pytest.raises(GatewayError) as unknown:
        gateway.get_payment("sbx_nope")
    assert unknown.value.code == "not_found" and not unknown.value.retryable


def test_payouts_are_paid_once_per_reference_and_a_lookup_closes_an_unknown_one(gateway):
    request = PayoutRequest(
        reference="TXN-9", amount=Decimal("10.00"), currency="USD", destination="acct", idempotency_key="TXN-9"
    )
    first, again = gateway.payout(request), gateway.payout(request)
    assert first == again and first.status == PaymentStatus.SUCCEEDED
    assert gateway.get_payout(provider_reference="", reference="TXN-9").provider_reference == first.provider_reference
    never = gateway.get_payout(provider_reference="", reference="TXN-10")
    assert never.status == PaymentStatus.CANCELLED and never.failure_code == "not_received"
    late = gateway.payout(replace(request, reference="TXN-10", idempotency_key="TXN-10"))
    assert late.status == PaymentStatus.CANCELLED  # the lookup closed it: a late request cannot pay out
    refund = gateway.refund(provider_reference="sbx_x", amount=Decimal("5.13"), currency="USD", idempotency_key="R-1")
    assert gateway.get_refund(provider_reference=refund.provider_reference, reference="R-1").status == "FAILED"


def test_signed_event_round_trip(gateway):
    body, headers = sign_event(event(), secret=SECRET)

    verified = gateway.verify_webhook(headers=headers, body=body)

    assert verified.kind == EventKind.PAYMENT_SUCCEEDED
    assert (verified.event_id, verified.reference, verified.provider_reference) == ("evt_1", "TXN-1", "sbx_abc")
    assert (verified.amount, verified.currency, verified.authorization_code) == (Decimal("40.00"), "USD", "SBX-AUTH-1")
    assert verified.raw == event()
    assert gateway.confirm_event(verified) == verified


def test_signature_header_format(gateway):
    body, headers = sign_event(event(), secret=SECRET, timestamp=1_700_000_000)

    stamp, signature = headers["Sandbox-Signature"].split(",")
    assert stamp == "t=1700000000" and signature.startswith("v1=") and len(signature) == 3 + 64
    assert json.loads(body) == event()


@pytest.mark.parametrize(
    "kind,expected",
    [
        ("payment.succeeded", EventKind.PAYMENT_SUCCEEDED),
        ("payment.failed", EventKind.PAYMENT_FAILED),
        ("payout.succeeded", EventKind.PAYOUT_SUCCEEDED),
        ("payout.failed", EventKind.PAYOUT_FAILED),
        ("refund.succeeded", EventKind.REFUND_SUCCEEDED),
        ("refund.failed", EventKind.REFUND_FAILED),
        ("something.else", EventKind.OTHER),
    ],
)
def test_event_kinds(gateway, kind, expected):
    body, headers = sign_event(event(kind, failure_reason="declined"), secret=SECRET)

    assert gateway.verify_webhook(headers=headers, body=body).kind == expected


def test_django_style_and_lowercase_header_names_work(gateway):
    body, headers = sign_event(event(), secret=SECRET)
    value = headers["Sandbox-Signature"]

    assert gateway.verify_webhook(headers={"HTTP_SANDBOX_SIGNATURE": value}, body=body).event_id == "evt_1"
    assert gateway.verify_webhook(headers={"sandbox-signature": value}, body=body).event_id == "evt_1"


def test_forged_signature_is_rejected(gateway):
    body, headers = sign_event(event(), secret="attacker")

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_tampered_body_is_rejected(gateway):
    body, headers = sign_event(event(), secret=SECRET)

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body.replace(b"40.00", b"4000.00"))


@pytest.mark.parametrize("skew", [-301, 301, -10_000, 10_000])
def test_timestamps_outside_the_tolerance_either_way_are_rejected(gateway, skew):
    body, headers = sign_event(event(), secret=SECRET, timestamp=int(time.time()) + skew)

    with pytest.raises(WebhookRejected) as caught:
        gateway.verify_webhook(headers=headers, body=body)

    assert ("future" if skew > 0 else "old") in caught.value.reason


@pytest.mark.parametrize("skew", [-250, 0, 250])
def test_timestamps_inside_the_tolerance_are_accepted(gateway, skew):
    body, headers = sign_event(event(), secret=SECRET, timestamp=int(time.time()) + skew)

    assert gateway.verify_webhook(headers=headers, body=body).kind == EventKind.PAYMENT_SUCCEEDED


def test_rotated_header_with_one_valid_signature_is_accepted(gateway):
    body, headers = sign_event(event(), secret=SECRET)
    value = headers["Sandbox-Signature"].replace("v1=", "v1=" + "0" * 64 + ",v1=")

    assert gateway.verify_webhook(headers={"Sandbox-Signature": value}, body=body).event_id == "evt_1"


@pytest.mark.parametrize("value", ["", "garbage", "t=123", "v1=abc", "t=abc,v1=abc", "t=1,t=2,v1=abc"])
def test_missing_or_malformed_header_is_rejected(gateway, value):
    body, _ = sign_event(event(), secret=SECRET)

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers={"Sandbox-Signature": value}, body=body)


def test_unconfigured_secret_rejects_everything():
    gateway = SandboxGateway(SandboxConfig(webhook_secret=""))
    body, headers = sign_event(event(), secret="")

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


@pytest.mark.parametrize("payload", [{"type": "payment.succeeded", "data": {}}, {"id": "evt_1", "type": "x"}])
def test_signed_but_incomplete_events_are_rejected(gateway, payload):
    body, headers = sign_event(payload, secret=SECRET)

    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


def test_signed_non_object_body_is_rejected(gateway):
    stamp = int(time.time())
    from comrade.gateways.providers._http import hmac_hex

    body = b"[1, 2]"
    headers = {"Sandbox-Signature": f"t={stamp},v1={hmac_hex(SECRET, f'{stamp}.{body.decode()}')}"}
    with pytest.raises(WebhookRejected):
        gateway.verify_webhook(headers=headers, body=body)


@pytest.mark.parametrize(
    "amount,succeeds",
    [
        ("10.00", True),
        ("10.14", True),
        ("10.13", False),
        ("0.13", False),
        ("1000.13", False),
        ("10.130", False),
        ("13.00", True),
    ],
)
def test_payouts_and_refunds_fail_only_for_amounts_ending_in_13_cents(gateway, amount, succeeds):
    payout = gateway.payout(
        PayoutRequest(
            reference="TXN-2", amount=Decimal(amount), currency="USD", destination="anywhere", idempotency_key="TXN-2"
        )
    )
    refund = gateway.refund(provider_reference="sbx_abc", amount=Decimal(amount), currency="USD", idempotency_key="RF")

    expected = PaymentStatus.SUCCEEDED if succeeds else PaymentStatus.FAILED
    assert (payout.status, refund.status) == (expected, expected)
    assert payout.provider_reference.startswith("sbx_po_") and refund.provider_reference.startswith("sbx_re_")
    assert refund.amount == Decimal(amount)
    assert bool(payout.failure_reason) is not succeeds
