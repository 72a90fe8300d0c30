"""What every reader checks before a statement may be imported: the account is ours, the currency
is the deployment's, every amount is a whole number of the currency's minor unit. A file that fails
is refused whole (ApplicationError), before anything is written."""

from decimal import Decimal, InvalidOperation

from django.conf import settings

from comrade.bank.formats.statement import Statement
from comrade.commerce.currencies import ISO_4217_MINOR_UNITS
from comrade.core.errors import ApplicationError

MAX_REFERENCE = 64
LEDGER_PLACES = 2  # the ledger keeps cents


def refuse(code: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={"file": [message]})


def compact_iban(value: str) -> str:
    return "".join(value.split()).upper()


def parse_amount(text: str, currency: str, *, where: str) -> Decimal:
    """`text` as a positive Decimal with no more decimals than `currency` allows."""
    try:
        amount = Decimal(text.strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise refuse("invalid_amount", f"{where}: {text!r} is not an amount.") from None
    if not amount.is_finite() or amount <= 0:
        raise refuse("invalid_amount", f"{where}: {text!r} is not a positive amount.")
    places = min(ISO_4217_MINOR_UNITS.get(currency.upper(), 2), LEDGER_PLACES)
    if amount != amount.quantize(Decimal(1).scaleb(-places), rounding="ROUND_DOWN"):
        raise refuse(
            "invalid_amount", f"{where}: {text} {currency} has more decimals than {currency} allows ({places})."
        )
    return amount


def check_statement(statement: Statement) -> Statement:
    """Refuse a statement for another account or in another currency than the deployment's."""
    ours = compact_iban(getattr(settings, "BANK_ACCOUNT_IBAN", "") or "")
    if not ours:
        raise ApplicationError(
            "bank_not_configured", "Bank transfers are not configured (BANK_ACCOUNT_IBAN).", status_code=404
        )
    if not statement.account_iban:
        raise refuse("missing_account", "The statement names no account IBAN.")
    if compact_iban(statement.account_iban) != ours:
        raise refuse("wrong_account", f"The statement is for account {statement.account_iban}, not ours ({ours}).")
    currency = settings.DEFAULT_CURRENCY.upper()
    for found in {statement.currency, *(line.currency for line in statement.lines)} - {""}:
        if found.upper() != currency:
            raise refuse("wrong_currency", f"The statement holds {found}; this deployment keeps {currency} only.")
    for line in statement.lines:
        if not line.entry_reference.strip() or len(line.entry_reference) > MAX_REFERENCE:
            raise refuse("missing_reference", f"Entry {line.entry_reference!r} has no usable bank reference.")
        parse_amount(str(line.amount), currency, where=f"entry {line.entry_reference}")
    return statement
