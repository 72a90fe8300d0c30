"""The `bank` adapter: plain Python, no network; it accepts payouts for the next payment file."""

from decimal import Decimal

import pytest
from django.utils import timezone

from comrade.bank.services.export import bank_payments_export
from comrade.gateways.providers.bank import BankConfig, BankGateway
from comrade.gateways.providers.base import (
    GatewayError,
    PaymentRequest,
    PaymentStatus,
    PayoutRequest,
    WebhookRejected,
)

GATEWAY = BankGateway(BankConfig(iban="DE89370400440532013000", bic="COBADEFFXXX", name="Comrade Pay"))


def test_payout_is_pending_with_our_reference():
    result = GATEWAY.payout(
        PayoutRequest(reference="TXN-1", amount=Decimal("5.00"), currency="EUR", destination="x", idempotency_key="k")
    )
    assert (result.provider_reference, result.status) == ("TXN-1", PaymentStatus.PENDING)


def test_deposits_lookups_and_webhooks_are_refused():
    request = PaymentRequest(reference="r", amount=Decimal("1.00"), currency="EUR", description="", idempotency_key="k")
    with pytest.raises(GatewayError) as refused:
        GATEWAY.create_payment(request)
    assert refused.value.retryable is False and "bank_details" in str(refused.value)
    with pytest.raises(GatewayError):
        GATEWAY.get_payout(provider_reference="TXN-1", reference="TXN-1")
    with pytest.raises(WebhookRejected):
        GATEWAY.verify_webhook(headers={}, body=b"{}")
    with pytest.raises(GatewayError):
        GATEWAY.check_amount(Decimal("1.001"), "EUR")


def test_the_export_job_does_nothing_while_the_bank_is_not_configured(db, settings):
    settings.BANK_ACCOUNT_IBAN = ""
    assert bank_payments_export(timezone.now()) == 0
