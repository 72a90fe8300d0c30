import re

import pytest
from django.test import Client

from comrade.bank.services.accounts import bank_account_create

PLATFORM_IBAN = "DE89370400440532013000"
GB_IBAN, GB_BIC = "GB29 NWBK 6016 1331 9268 19", "NWBKGB2L"


@pytest.fixture(autouse=True)
def bank_settings(settings):
    """As comrade/bank/tests: bank transfers on, in euros."""
    settings.BANK_ACCOUNT_IBAN = PLATFORM_IBAN
    settings.BANK_ACCOUNT_BIC = "COBADEFFXXX"
    settings.BANK_ACCOUNT_NAME = "Comrade Pay"
    settings.DEFAULT_CURRENCY = "EUR"
    return settings


@pytest.fixture
def web_client():
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def saved_account():
    def save(user, iban: str = GB_IBAN, bic: str = GB_BIC, name: str = "Jane Doe"):
        return bank_account_create(user=user, holder_name=name, iban=iban, bic=bic)

    return save


def key_of(response) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', response.content.decode()).group(1)
