from decimal import Decimal

import pytest
from django.core.management import call_command

from comrade.bank.services.accounts import bank_account_create
from comrade.ledger.checks import run_all

PLATFORM_IBAN = "DE89370400440532013000"
WITHDRAW_URL = "/payments/transactions/create_transaction/"
GOOD = {
    "DE": ("DE89 3704 0044 0532 0130 00", "COBADEFFXXX"),
    "GB": ("GB29 NWBK 6016 1331 9268 19", "NWBKGB2L"),
    "NL": ("NL91 ABNA 0417 1643 00", "ABNANL2A"),
    "FR": ("FR14 2004 1010 0505 0001 3M02 606", "PSSTFRPP"),
}


@pytest.fixture(autouse=True)
def bank_settings(settings):
    settings.BANK_ACCOUNT_IBAN = PLATFORM_IBAN
    settings.BANK_ACCOUNT_BIC = "COBADEFFXXX"
    settings.BANK_ACCOUNT_NAME = "Comrade Pay"
    settings.DEFAULT_CURRENCY = "EUR"
    settings.BANK_PAYOUT_OVERDUE_DAYS = 5
    return settings


@pytest.fixture
def saved_account():
    def save(user, country: str = "GB", name: str = "Jane Doe"):
        iban, bic = GOOD[country]
        return bank_account_create(user=user, holder_name=name, iban=iban, bic=bic)

    return save


@pytest.fixture
def withdraw():
    def start(client, amount="30.00", **metadata):
        body = {
            "amount": amount,
            "payment_method": "EXTERNAL",
            "transaction_type": "WITHDRAWAL",
            "external_payment_provider": "bank",
        }
        if metadata:
            body["metadata"] = metadata
        return client.post(WITHDRAW_URL, body, format="json")

    return start


def ledger_clean() -> bool:
    """verify_ledger passes (it raises on any problem)."""
    call_command("verify_ledger")
    return run_all() == []


def holding() -> Decimal:
    from comrade.gateways.services.common import holding_account

    return holding_account().balance


def money(value) -> Decimal:
    return Decimal(str(value))
