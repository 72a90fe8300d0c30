"""The built-in sandbox provider: no network, for development and demos.

- `create_payment` returns PENDING with provider_reference "sbx_<hex>" and a redirect to the
  project's own hosted checkout page (`checkout_base_url` + reference + "/"), where the customer
  approves or declines; the page delivers a webhook signed with `sign_event`.
- The sandbox keeps its own records in a `SandboxStore` (the project gives it one backed by its
  database; the default keeps them in memory), like a real provider: it answers status lookups,
  cancels a payment that is still PENDING, and pays out or refunds at most once per reference. A
  lookup of a payout or refund it never received records it as CANCELLED, so a request that
  arrives after the lookup cannot pay out any more.
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
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol

from comrade.gateways.providers._http import check_freshness, header, hmac_hex, parse_json_body, parse_signature_header
from comrade.gateways.providers.base import (
    EventKind,
    Gateway,
    GatewayError,
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
PREFIXES = {"PAYOUT": "po", "REFUND": "re"}
EVENT_KINDS = {
    "payment.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment.failed": EventKind.PAYMENT_FAILED,
    "payout.succeeded": EventKind.PAYOUT_SUCCEEDED,
    "payout.failed": EventKind.PAYOUT_FAILED,
    "refund.succeeded": EventKind.REFUND_SUCCEEDED,
    "refund.failed": EventKind.REFUND_FAILED,
}


@dataclass(frozen=True)
class SandboxRecord:
    kind: str  # PAYMENT, PAYOUT or REFUND
    reference: str  # ours: the transaction token
    provider_reference: str
    amount: Decimal | None
    currency: str
    status: PaymentStatus
    failure_code: str = ""


class SandboxStore(Protocol):
    def get(self, provider_reference: str) -> SandboxRecord | None: ...

    def find(self, kind: str, reference: str) -> SandboxRecord | None: ...

    def add(self, record: SandboxRecord) -> SandboxRecord:
        """Store `record`, or return the one already stored for its kind and reference."""

    def set_status(self, provider_reference: str, status: PaymentStatus, *, only_from: PaymentStatus) -> SandboxRecord:
        """Move a record from `only_from` to `status`; return it as it stands either way."""


class MemoryStore:
    def __init__(self):
        self.records: dict[str, SandboxRecord] = {}

    def get(self, provider_reference: str) -> SandboxRecord | None:
        return self.records.get(provider_reference)

    def find(self, kind: str, reference: str) -> SandboxRecord | None:
        return next((r for r in self.records.values() if r.kind == kind and r.reference == reference), None)

    def add(self, record: SandboxRecord) -> SandboxRecord:
        existing = self.find(record.kind, record.reference)
        if existing is None:
            self.records[record.provider_reference] = existing = record
        return existing

    def set_status(self, provider_reference: str, status: PaymentStatus, *, only_from: PaymentStatus) -> SandboxRecord:
        record = self.records[provider_reference]
        if record.status == only_from:
            self.records[provider_reference] = record = replace(record, status=status)
        return record


@dataclass(frozen=True)
class SandboxConfig:
    webhook_secret: str
    checkout_base_url: str = "/sandbox/checkout/"
    tolerance: int = 300
    store: SandboxStore | None = None


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
        self.store = config.store if config.store is not None else MemoryStore()

    def create_payment(self, req: PaymentRequest) -> PaymentSession:
        record = self.store.add(
            SandboxRecord(
                kind="PAYMENT",
                reference=req.reference,
                provider_reference=f"sbx_{uuid.uuid4().hex}",
                amount=req.amount,
                currency=req.currency,
                status=PaymentStatus.PENDING,
            )
        )
        return replace(
            self._session(record), redirect_url=f"{self.config.checkout_base_url}{record.provider_reference}/"
        )

    def get_payment(self, provider_reference: str) -> PaymentSession:
        return self._session(self._record(provider_reference))

    def cancel_payment(self, provider_reference: str) -> PaymentStatus:
        self._record(provider_reference)
        record = self.store.set_status(provider_reference, PaymentStatus.CANCELLED, only_from=PaymentStatus.PENDING)
        return record.status

    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        record = self._settle_at_once("REFUND", idempotency_key, amount, currency)
        return RefundResult(provider_reference=record.provider_reference, status=record.status, amount=amount)

    def payout(self, req: PayoutRequest) -> PayoutResult:
        record = self._settle_at_once("PAYOUT", req.reference, req.amount, req.currency)
        reason = "sandbox: amounts ending in .13 fail" if record.failure_code else ""
        return PayoutResult(
            provider_reference=record.provider_reference,
            status=record.status,
            failure_code=record.failure_code,
            failure_reason=reason,
        )

    def get_payout(self, *, provider_reference: str, reference: str) -> PayoutResult:
        record = self._lookup("PAYOUT", provider_reference, reference)
        return PayoutResult(record.provider_reference, record.status, failure_code=record.failure_code)

    def get_refund(self, *, provider_reference: str, reference: str) -> RefundResult:
        record = self._lookup("REFUND", provider_reference, reference)
        return RefundResult(record.provider_reference, record.status, record.amount, failure_code=record.failure_code)

    def _settle_at_once(self, kind: str, reference: str, amount: Decimal, currency: str) -> SandboxRecord:
        """Payouts and refunds settle at once: FAILED for amounts ending in .13, else SUCCEEDED.
        A second request with the same reference gets the first one back."""
        if fails_by_magic(amount):
            return self._add(kind, reference, PaymentStatus.FAILED, amount, currency, "sandbox_magic_amount")
        return self._add(kind, reference, PaymentStatus.SUCCEEDED, amount, currency)

    def _lookup(self, kind: str, provider_reference: str, reference: str) -> SandboxRecord:
        record = self.store.get(provider_reference) if provider_reference else self.store.find(kind, reference)
        if record is not None:
            return record
        return self._add(kind, reference, PaymentStatus.CANCELLED, None, "", "not_received")

    def _add(
        self, kind: str, reference: str, status: PaymentStatus, amount: Decimal | None, currency: str, code: str = ""
    ) -> SandboxRecord:
        provider_reference = f"sbx_{PREFIXES[kind]}_{uuid.uuid4().hex}"
        record = SandboxRecord(kind, reference, provider_reference, amount, currency, status, failure_code=code)
        return self.store.add(record)

    def _record(self, provider_reference: str) -> SandboxRecord:
        record = self.store.get(provider_reference)
        if record is None:
            raise GatewayError("sandbox: no such payment", retryable=False, status_code=404, code="not_found")
        return record

    @staticmethod
    def _session(record: SandboxRecord) -> PaymentSession:
        paid = record.status == PaymentStatus.SUCCEEDED
        return PaymentSession(
            provider_reference=record.provider_reference,
            status=record.status,
            amount=record.amount if paid else None,
            currency=record.currency if paid else "",
            failure_code=record.failure_code,
        )

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
