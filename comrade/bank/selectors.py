"""Reads of the incoming bank side."""

from dataclasses import dataclass

from django.conf import settings

from comrade.bank.services.references import wallet_reference
from comrade.core.errors import ApplicationError
from comrade.ledger.models import PaymentProfile


@dataclass(frozen=True)
class BankDetails:
    account_name: str
    iban: str
    bic: str
    reference: str
    currency: str


def bank_details(*, profile: PaymentProfile) -> BankDetails:
    """Where to send a bank transfer that tops up `profile`'s wallet. 404 when this deployment
    takes no bank transfers (BANK_ACCOUNT_IBAN unset)."""
    if not settings.BANK_ACCOUNT_IBAN:
        raise ApplicationError(
            "bank_transfers_disabled", "Bank transfers are not available on this deployment.", status_code=404
        )
    return BankDetails(
        account_name=settings.BANK_ACCOUNT_NAME,
        iban="".join(settings.BANK_ACCOUNT_IBAN.split()).upper(),
        bic=settings.BANK_ACCOUNT_BIC.upper(),
        reference=wallet_reference(profile),
        currency=settings.DEFAULT_CURRENCY,
    )
