"""The built-in sandbox provider: no network, for development and demos.

- `create_payment` returns PENDING with provider_reference "sbx_<hex>" and a redirect to the
  project's own hosted checkout page (`checkout_base_url` + reference + "/"). The sandbox keeps no
  state: `get_payment` always answers PENDING, and the project's checkout page decides the outcome
  and delivers a webhook signed with `sign_event`.
- Webhooks carry `Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>` and are
  accepted only within `tolerance` seconds of now, in either direction.
- Event body: {"id": "evt_...", "type": "payment.succeeded" | "payment.failed" | "payout.succeeded"
  | "payout.failed" | "refund.succeeded" | "refund.failed", "data": {"reference", "provider_reference",
  "amount" (decimal string), "currency", "authorization_code"?, "failure_reason"?}}.
- Magic failure value: a payout or refund whose amount ends in .13 (e.g. 10.13) fails at once with
  FAILED; every other payout or refund succeeds at once with SUCCEEDED.
"""

import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from comrade.gateways.providers._http import check_freshness, header, hmac_hex, parse_json_body, parse_signature_header
from comrade.gateways.providers.base import (
    EventKind,
    Gateway,
    PaymentRequest,
    PaymentSession,
    PaymentStatus,
    PayoutRequest,
    PayoutResult,
    RefundResult,
    WebhookEvent,
    WebhookRejected,
)
from comrade.gateways.providers.money import parse_decimal

SIGNATURE_HEADER = "Sandbox-Signature"
FAILING_CENTS = Decimal("0.13")
EVENT_KINDS = {
    "payment.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment.failed": EventKind.PAYMENT_FAILED,
    "payout.succeeded": EventKind.PAYOUT_SUCCEEDED,
    "payout.failed": EventKind.PAYOUT_FAILED,
    "refund.succeeded": EventKind.REFUND_SUCCEEDED,
    "refund.failed": EventKind.REFUND_FAILED,
}


@dataclass(frozen=True)
class SandboxConfig:
    webhook_secret: str
    checkout_base_url: str = "/sandbox/checkout/"
    tolerance: int = 300


def sign_event(payload: dict, *, secret: str, timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    """Serialize `payload` and sign it the way the sandbox does: returns (body, headers)."""
    stamp = int(time.time()) if timestamp is None else int(timestamp)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    signature = hmac_hex(secret, f"{stamp}.{body.decode()}")
    return body, {SIGNATURE_HEADER: f"t={stamp},v1={signature}", "Content-Type": "application/json"}


def fails_by_magic(amount: Decimal) -> bool:
    return Decimal(amount) % 1 == FAILING_CENTS


class SandboxGateway(Gateway):
    name = "sandbox"
    display_name = "Sandbox (test payments)"

    def __init__(self, config: SandboxConfig):
        self.config = config

    def create_payment(self, req: PaymentRequest) -> PaymentSession:
        reference = f"sbx_{uuid.uuid4().hex}"
        return PaymentSession(
            provider_reference=reference,
            status=PaymentStatus.PENDING,
            redirect_url=f"{self.config.checkout_base_url}{reference}/",
            raw={"reference": req.reference, "amount": str(req.amount), "currency": req.currency},
        )

    def get_payment(self, provider_reference: str) -> PaymentSession:
        return PaymentSession(provider_reference=provider_reference, status=PaymentStatus.PENDING)

    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        status = PaymentStatus.FAILED if fails_by_magic(amount) else PaymentStatus.SUCCEEDED
        return RefundResult(provider_reference=f"sbx_re_{uuid.uuid4().hex}", status=status, amount=amount)

    def payout(self, req: PayoutRequest) -> PayoutResult:
        if fails_by_magic(req.amount):
            return PayoutResult(
                provider_reference=f"sbx_po_{uuid.uuid4().hex}",
                status=PaymentStatus.FAILED,
                failure_reason="sandbox: amounts ending in .13 fail",
            )
        return PayoutResult(provider_reference=f"sbx_po_{uuid.uuid4().hex}", status=PaymentStatus.SUCCEEDED)

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent:
        self._check_signature(header(headers, SIGNATURE_HEADER), body)
        return _event(parse_json_body(body))

    def _check_signature(self, value: str, body: bytes) -> None:
        if not self.config.webhook_secret:
            raise WebhookRejected("sandbox webhook secret is not configured")
        if not value:
            raise WebhookRejected("missing Sandbox-Signature header")
        stamp, signatures = parse_signature_header(value)
        try:
            expected = hmac_hex(self.config.webhook_secret, f"{stamp}.{body.decode()}")
        except UnicodeDecodeError as exc:
            raise WebhookRejected("body is not UTF-8") from exc
        if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            raise WebhookRejected("signature does not match")
        check_freshness(stamp, tolerance=self.config.tolerance)


def _event(payload: dict) -> WebhookEvent:
    data = payload.get("data")
    if not isinstance(data, dict) or not payload.get("id"):
        raise WebhookRejected("event has no id or data")
    return WebhookEvent(
        event_id=str(payload["id"]),
        kind=EVENT_KINDS.get(str(payload.get("type")), EventKind.OTHER),
        reference=str(data.get("reference", "")),
        provider_reference=str(data.get("provider_reference", "")),
        amount=parse_decimal(data.get("amount")),
        currency=str(data.get("currency", "")).upper(),
        authorization_code=str(data.get("authorization_code", "")),
        failure_reason=str(data.get("failure_reason", "")),
        raw=payload,
    )
