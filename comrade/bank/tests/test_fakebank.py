"""The fake bank turns our pain.001 into the statement (and status report) a bank would send."""

from decimal import Decimal

import pytest

from comrade.bank import fakebank
from comrade.bank.formats.statement import Direction
from comrade.bank.models import PaymentFileEntry
from comrade.bank.services.export import payment_files_export
from comrade.bank.services.pain002 import pain002_import
from comrade.bank.services.payouts import payout_statement_line_apply
from comrade.bank.tests.conftest import PLATFORM_IBAN, holding, ledger_clean
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of


@pytest.fixture
def exported(api, user, saved_account, withdraw):
    saved_account(user)
    for amount in ("10.00", "20.00", "30.00"):
        assert withdraw(api, amount).status_code == 201
    payment_file = payment_files_export()[0]
    return payment_file, list(PaymentFileEntry.objects.filter(file=payment_file).order_by("id"))


def test_execute_books_a_debit_per_transfer(exported):
    payment_file, entries = exported
    statement = fakebank.execute(payment_file.xml.encode())
    assert statement.kind == "camt.053" and statement.account_iban == PLATFORM_IBAN and statement.currency == "EUR"
    assert [(line.direction, line.end_to_end_id, line.amount) for line in statement.lines] == [
        (Direction.DEBIT, e.end_to_end_id, e.amount) for e in entries
    ]
    assert len({line.entry_reference for line in statement.lines}) == 3
    assert all(line.booking_date == payment_file.execution_date for line in statement.lines)
    assert fakebank.execute(payment_file.xml.encode()).lines[0].entry_reference != statement.lines[0].entry_reference


def test_returns_and_rejects(exported, user):
    payment_file, (paid, returned, rejected) = exported
    data = payment_file.xml.encode()
    statement = fakebank.execute(
        data, returns={returned.end_to_end_id: "AC04"}, rejects={rejected.end_to_end_id: "AC01"}
    )
    kinds = [(line.end_to_end_id, line.direction, line.is_return, line.return_reason) for line in statement.lines]
    assert kinds == [
        (paid.end_to_end_id, Direction.DEBIT, False, ""),
        (returned.end_to_end_id, Direction.DEBIT, False, ""),
        (returned.end_to_end_id, Direction.CREDIT, True, "AC04"),
    ]
    pain002_import(data=fakebank.status_report(data, rejects={rejected.end_to_end_id: "AC01"}), imported_by=None)
    for number, line in enumerate(statement.lines, start=1):
        assert payout_statement_line_apply(line=line, entry_id=number) is True
    status = {
        e.end_to_end_id: TransactionToken.objects.get(pk=e.payment.transaction_id).status
        for e in (paid, returned, rejected)
    }
    assert status == {
        paid.end_to_end_id: "COMPLETED",
        returned.end_to_end_id: "COMPLETED",
        rejected.end_to_end_id: "FAILED",
    }
    # paid 10 out; 20 paid then returned to the wallet; 30 rejected and released
    assert balance_of(user) == Decimal("90.00")
    assert holding() == Decimal("0.00")
    assert ledger_clean()


def test_status_report_without_rejects_is_accepted(exported):
    payment_file, entries = exported
    stored = pain002_import(data=fakebank.status_report(payment_file.xml.encode(), rejects={}), imported_by=None)
    assert stored.group_status == "ACCP"
    assert {TransactionToken.objects.get(pk=e.payment.transaction_id).status for e in entries} == {"AUTHORIZED"}
