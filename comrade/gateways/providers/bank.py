"""Bank transfers on ISO 20022 files: the `bank` provider.

There is no bank API to call. A payout is accepted here (PENDING, our reference as the provider
reference) and the money stays held until a registered job writes it into a pain.001
credit-transfer file that staff hand to the bank; the payout then completes or fails when an
imported statement shows its debit or its return, or a pain.002 status report rejects it
(`comrade.bank.services.payouts`). Nothing about a bank payout can be looked up, so
reconciliation never asks this adapter (see `registry.ANSWERED_BY_FILES`).

Deposits are not started here: a customer pays by an ordinary transfer to the platform's account,
quoting the wallet's RF reference, and the imported statement credits the wallet
(`GET /payments/payment-profiles/bank_details/`). `create_payment` therefore refuses.

No Django imports: the configuration arrives as a plain dataclass (registry.py).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from comrade.gateways.providers.base import (
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


@dataclass(frozen=True)
class BankConfig:
    iban: str
    bic: str
    name: str


class BankGateway(Gateway):
    name = "bank"
    display_name = "Bank transfer"
    supports = ("payouts",)

    def __init__(self, config: BankConfig):
        self.config = config

    def create_payment(self, req: PaymentRequest) -> PaymentSession:
        raise GatewayError(
            "Bank deposits are made by transfer to the platform's account, quoting your wallet's payment "
            "reference (GET /payments/payment-profiles/bank_details/).",
            retryable=False,
            code="unsupported",
        )

    def get_payment(self, provider_reference: str) -> PaymentSession:
        raise GatewayError("Bank transfers cannot be looked up", retryable=False, code="unsupported")

    def verify_webhook(self, *, headers: Mapping[str, str], body: bytes, path_secret: str = "") -> WebhookEvent:
        raise WebhookRejected("the bank sends no webhooks; its answers arrive as imported statements")

    def refund(self, *, provider_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> RefundResult:
        raise GatewayError("Bank transfers cannot be refunded; pay back with a withdrawal", retryable=False)

    def payout(self, req: PayoutRequest) -> PayoutResult:
        """Accepted for the next payment file. The provider reference is our own reference: the
        bank echoes it (shortened to fit 35 characters) as the EndToEndId."""
        return PayoutResult(provider_reference=req.reference, status=PaymentStatus.PENDING)
