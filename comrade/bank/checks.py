"""Startup checks of the bank-transfer settings (incoming side): the platform's account must be a
real IBAN with a matching BIC before customers are told to pay into it.

Ids: comrade.E110 invalid BANK_ACCOUNT_IBAN, E111 invalid BANK_ACCOUNT_BIC, E112 the BIC is not
the IBAN's bank, E113 an IBAN without an account name or BIC, W110 BANK_STATEMENT_INBOX is not a
folder."""

from pathlib import Path

from django.conf import settings
from django.core import checks
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

TAG = "comrade"


@checks.register(TAG)
def check_bank_account(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.BANK_ACCOUNT_IBAN:
        return []
    try:
        iban = IBAN(settings.BANK_ACCOUNT_IBAN)
    except SchwiftyException as exc:
        message = f"BANK_ACCOUNT_IBAN {settings.BANK_ACCOUNT_IBAN!r} is not a valid IBAN: {exc}."
        return [checks.Error(message, id="comrade.E110")]
    if not settings.BANK_ACCOUNT_NAME or not settings.BANK_ACCOUNT_BIC:
        return [
            checks.Error(
                "BANK_ACCOUNT_IBAN is set without BANK_ACCOUNT_NAME and BANK_ACCOUNT_BIC.",
                hint="Customers need all three to pay by bank transfer.",
                id="comrade.E113",
            )
        ]
    try:
        bic = BIC(settings.BANK_ACCOUNT_BIC)
    except SchwiftyException as exc:
        message = f"BANK_ACCOUNT_BIC {settings.BANK_ACCOUNT_BIC!r} is not a valid BIC: {exc}."
        return [checks.Error(message, id="comrade.E111")]
    return _bic_matches(iban, bic)


def _bic_matches(iban: IBAN, bic: BIC) -> list[checks.CheckMessage]:
    known = getattr(bic, "domestic_bank_codes", None) or []
    wrong_country = bic.country_code != iban.country_code
    if wrong_country or (known and iban.bank_code not in known):
        return [
            checks.Error(
                f"BANK_ACCOUNT_BIC {bic} is not the bank of BANK_ACCOUNT_IBAN {iban.compact[:4]}... "
                f"(bank code {iban.bank_code}).",
                id="comrade.E112",
            )
        ]
    return []


@checks.register(TAG)
def check_statement_inbox(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    inbox = settings.BANK_STATEMENT_INBOX
    if inbox and not Path(inbox).is_dir():
        message = f"BANK_STATEMENT_INBOX {inbox!r} is not a folder: no statement will be read."
        return [checks.Warning(message, id="comrade.W110")]
    return []
