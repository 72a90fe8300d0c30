"""The provider interface: what the payment services may ask of any external provider.

Everything that crosses this boundary is a frozen dataclass with Decimal amounts in major units
(10.50 means ten and a half dollars); each adapter converts to its provider's own units. Adapters
are plain Python, hold no database state and never import Django, so they can be tested against
the fake servers in `comrade.gateways.fakes` over real HTTP.

Errors: a provider that cannot be reached, times out or answers 5xx/429 raises
`GatewayError(retryable=True)` (the provider may still have acted; keep money held and wait for
its webhook); a provider that refuses the request (4xx) raises `GatewayError(retryable=False)`.
An incoming webhook that fails authentication raises `WebhookRejected`.
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class PaymentStatus(StrEnum):
    """Where a payment, payout or refund stands at the provider. SUCCEEDED, FAILED and CANCELLED
    are final (no money will move after FAILED or CANCELLED); PENDING and AUTHORIZED are not, and
    the provider is asked again later."""

    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELLED)


class EventKind(StrEnum):
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"  # final: no money will be taken for this payment
    PAYMENT_ATTEMPT_FAILED = "PAYMENT_ATTEMPT_FAILED"  # not final: the customer may retry (Stripe)
    PAYOUT_SUCCEEDED = "PAYOUT_SUCCEEDED"
    PAYOUT_FAILED = "PAYOUT_FAILED"
    REFUND_SUCCEEDED = "REFUND_SUCCEEDED"
    REFUND_FAILED = "REFUND_FAILED"
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
    """A payment at the provider. `amount` and `currency` are what the provider took, filled when
    `status` is SUCCEEDED (None when the provider does not say)."""

    provider_reference: str
    status: PaymentStatus
    redirect_url: str = ""
    authorization_code: str = ""
    amount: Decimal | None = None
    currency: str = ""
    failure_code: str = ""
    failure_reason: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    """A verified provider notification. `reference` is our transaction token when the provider
    echoes it back (Stripe metadata, PayPal custom_id, sandbox), else ""."""

    event_id: str
    kind: EventKind
    reference: str
    provider_reference: str
    amount: Decimal | None
    currency: str
    authorization_code: str = ""
    failure_code: str = ""
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
    """PENDING means the provider accepted the payout and confirms it later by webhook/callback."""

    provider_reference: str
    status: PaymentStatus
    failure_code: str = ""
    failure_reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    provider_reference: str
    status: PaymentStatus
    amount: Decimal
    failure_code: str = ""
    failure_reason: str = ""


class GatewayError(Exception):
    def __init__(self, message: str, *, retryable: bool, status_code: int | None = None, code: str = ""):
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.code = code


class WebhookRejected(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Gateway(ABC):
    """One external provider. `currencies` empty means the provider takes any ISO currency."""

    name: str = ""
    display_name: str = ""
    supports: tuple[str, ...] = ("payments", "refunds", "payouts")
    currencies: frozenset[str] = frozenset()

    def supports_currency(self, currency: str) -> bool:
        return not self.currencies or currency.upper() in self.currencies

    def check_amount(self, amount: Decimal, currency: str) -> None:
        """Raise GatewayError(retryable=False) for an amount this provider cannot move exactly, so
        that it is refused before anything is written. By default it must fit the currency's
        smallest unit."""
        from comrade.gateways.providers.money import to_minor  # money imports this module

        to_minor(amount, currency)

    @abstractmethod
    def create_payment(self, req: PaymentRequest) -> PaymentSession: ...

    @abstractmethod
    def get_payment(self, provider_reference: str) -> PaymentSession: ...

    @abstractmethod
    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent: ...

    @abstractmethod
    def refund(
        self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> RefundResult: ...

    @abstractmethod
    def payout(self, req: PayoutRequest) -> PayoutResult: ...

    def get_payout(self, *, provider_reference: str, reference: str) -> PayoutResult:
        """Where a payout stands. `reference` is our transaction token, for a payout whose
        provider reference we never stored (the worker died after the call): the adapter finds it
        in a way that can never pay twice. A provider whose answer arrives later on a callback
        (Daraja's Transaction Status) returns PENDING and the answer comes as a webhook event."""
        raise GatewayError(f"{self.display_name} cannot look up payouts", retryable=False, code="unsupported")

    def get_refund(self, *, provider_reference: str, reference: str) -> RefundResult:
        """Where a refund stands; `reference` as for `get_payout`."""
        raise GatewayError(f"{self.display_name} cannot look up refunds", retryable=False, code="unsupported")

    def cancel_payment(self, provider_reference: str) -> PaymentStatus:
        """Cancel a payment the customer has not paid yet, where the provider allows it. Returns
        the payment's status afterwards: CANCELLED, or SUCCEEDED when the money was already taken
        (the caller then credits it). Raises GatewayError(code="unsupported") where the provider
        has no cancel, and GatewayError(retryable=True) when it cannot be reached."""
        raise GatewayError(f"{self.display_name} payments cannot be cancelled", retryable=False, code="unsupported")

    def callback_path(self) -> str:
        """Where this provider posts its webhooks on our site. A provider without signatures
        (Daraja) authenticates by a secret path segment instead."""
        secret = self.callback_secret()
        return f"/payments/webhooks/{self.name}/" + (f"{secret}/" if secret else "")

    def callback_secret(self) -> str:
        return ""

    def confirm_event(self, event: WebhookEvent) -> WebhookEvent:
        """Re-read the truth from the provider before money moves. The default trusts a signed event."""
        return event
