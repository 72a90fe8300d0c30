"""The gateway interface. (Placeholder written by the lead so the project imports; the adapter
engineer owns this file and may replace it, keeping these names.)"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PAYOUT_SUCCEEDED = "PAYOUT_SUCCEEDED"
    PAYOUT_FAILED = "PAYOUT_FAILED"
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    OTHER = "OTHER"


@dataclass(frozen=True)
class PaymentRequest:
    reference: str
    amount: Decimal
    currency: str
    description: str
    idempotency_key: str
    return_url: str = ""
    callback_url: str = ""
    phone_number: str = ""


@dataclass(frozen=True)
class PaymentSession:
    provider_reference: str
    status: PaymentStatus
    redirect_url: str = ""
    authorization_code: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    kind: EventKind
    reference: str
    provider_reference: str
    amount: Decimal | None
    currency: str
    authorization_code: str = ""
    failure_reason: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PayoutRequest:
    reference: str
    amount: Decimal
    currency: str
    destination: str
    idempotency_key: str
    description: str = ""
    callback_url: str = ""


@dataclass(frozen=True)
class PayoutResult:
    provider_reference: str
    status: PaymentStatus
    failure_reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    provider_reference: str
    status: PaymentStatus
    amount: Decimal


class GatewayError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class WebhookRejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Gateway:
    name: str = ""

    def create_payment(self, req: PaymentRequest) -> PaymentSession: ...
    def get_payment(self, provider_reference: str) -> PaymentSession: ...
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent: ...
    def confirm_event(self, event: WebhookEvent) -> WebhookEvent: ...
    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult: ...
    def payout(self, req: PayoutRequest) -> PayoutResult: ...
