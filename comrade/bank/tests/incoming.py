"""Helpers for the incoming-side tests: the deployment's bank settings, statements built in code,
the hand-written fixture files with their sample RF references swapped for real wallets', and a
snapshot of every row an import could write."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from comrade.bank.formats.statement import Direction, Statement, StatementLine
from comrade.bank.models import BankEntry, BankException, BankStatement
from comrade.bank.services.references import formatted, wallet_reference
from comrade.gateways.models import ExternalPayment
from comrade.ledger.models import LedgerAccount, LedgerEntry, TransactionToken

FILES = Path(__file__).parent / "files"
OUR_IBAN = "DE89370400440532013000"
OTHER_IBAN = "DE02120300000000202051"
# The sample files quote the references of wallets 1001 and 1002.
SAMPLE_REFERENCES = {1001: "RF40000001001", 1002: "RF13000001002"}


def configure(settings) -> None:
    settings.DEFAULT_CURRENCY = "EUR"
    settings.BANK_ACCOUNT_NAME = "Comrade Pay GmbH"
    settings.BANK_ACCOUNT_IBAN = OUR_IBAN
    settings.BANK_ACCOUNT_BIC = "COBADEFFXXX"


def reference_of(user) -> str:
    return wallet_reference(user.payment_profile)


def sample_file(name: str, wallets: dict | None = None) -> bytes:
    """The fixture file `name`, with the sample references of wallets 1001/1002 replaced by the
    references of the users given as {1001: user, 1002: user}, in every spelling the file uses."""
    data = (FILES / name).read_bytes()
    for sample_id, user in (wallets or {}).items():
        sample, real = SAMPLE_REFERENCES[sample_id], reference_of(user)
        for old, new in ((formatted(sample), formatted(real)), (sample, real)):
            data = data.replace(old.encode(), new.encode()).replace(old.lower().encode(), new.lower().encode())
    return data


def line(reference: str = "E1", amount: str = "10.00", **fields) -> StatementLine:
    fields.setdefault("direction", Direction.CREDIT)
    fields.setdefault("currency", "EUR")
    fields.setdefault("booking_date", date(2026, 12, 1))
    return StatementLine(entry_reference=reference, amount=Decimal(amount), **fields)


def statement(*lines: StatementLine, message_id: str = "MSG-1", iban: str = OUR_IBAN, currency="EUR") -> Statement:
    return Statement(message_id=message_id, kind="camt.053", account_iban=iban, currency=currency, lines=lines)


def rows() -> dict:
    """Everything an import may write, counted, and every account balance."""
    return {
        "statements": BankStatement.objects.count(),
        "entries": BankEntry.objects.count(),
        "exceptions": BankException.objects.count(),
        "transactions": TransactionToken.objects.count(),
        "payments": ExternalPayment.objects.count(),
        "ledger_entries": LedgerEntry.objects.count(),
        "balances": dict(LedgerAccount.objects.values_list("code", "balance")),
    }
