from datetime import date
from decimal import Decimal

import pytest

from comrade.bank.formats import builders
from comrade.bank.formats.mt940 import read_mt940
from comrade.bank.formats.statement import Direction
from comrade.bank.tests.incoming import OTHER_IBAN, configure, line, sample_file, statement
from comrade.core.errors import ApplicationError


@pytest.fixture(autouse=True)
def bank(settings):
    configure(settings)


def refused(data: bytes) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        read_mt940(data)
    return caught.value


def test_reads_a_german_structured_mt940():
    result = read_mt940(sample_file("statement.sta"))
    assert (result.kind, result.message_id, result.account_iban, result.currency) == (
        "mt940",
        "STARTUMSE",
        "DE89370400440532013000",
        "EUR",
    )
    credit, debit = result.lines
    assert credit.entry_reference == "2026120200051" and credit.amount == Decimal("75.00")
    assert credit.direction == Direction.CREDIT and credit.booking_date == date(2026, 12, 2)
    assert credit.remittance == "RF40 0000 0100 1" and credit.counterparty_name == "ERIKA MUSTERMANN"
    assert credit.counterparty_iban == "DE02120300000000202051"
    assert debit.direction == Direction.DEBIT and debit.end_to_end_id == "TXN-4b1f0d7e-payout-0002"


def test_builder_round_trip_including_a_return():
    lines = (
        line("B1", "12.30", value_date=date(2026, 12, 1), remittance="RF40000001001", counterparty_iban=OTHER_IBAN),
        line("B2", "5.00", value_date=date(2026, 12, 1), direction=Direction.DEBIT, end_to_end_id="TXN-1"),
    )
    assert read_mt940(builders.mt940(statement(*lines))).lines == lines
    returned = line("B3", "5.00", end_to_end_id="TXN-1", is_return=True, return_reason="AC04")
    (read,) = read_mt940(builders.mt940(statement(returned))).lines
    assert read.is_return and read.return_reason == "AC04" and read.direction == Direction.CREDIT


def test_a_line_without_a_bank_reference_is_refused():
    data = sample_file("statement.sta").replace(b"NONREF//2026120200051", b"NONREF")
    assert refused(data).code == "missing_reference"


def test_garbage_and_other_accounts_and_currencies_are_refused():
    assert refused(b":20:X\r\n:25:DE89370400440532013000\r\n:61:garbage\r\n-").code == "malformed_mt940"
    assert refused(b":20:ONLY-A-HEADER\r\n").code == "malformed_mt940"
    other = sample_file("statement.sta").replace(b":25:DE89370400440532013000", f":25:{OTHER_IBAN}".encode())
    assert refused(other).code == "wrong_account"
    assert refused(sample_file("statement.sta").replace(b"EUR", b"CHF")).code == "wrong_currency"


def test_an_account_line_with_a_currency_suffix_is_read():
    data = sample_file("statement.sta").replace(b":25:DE89370400440532013000", b":25:DE89370400440532013000EUR")
    assert read_mt940(data).account_iban == "DE89370400440532013000"
