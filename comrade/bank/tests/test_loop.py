"""The whole loop, both halves of the bank integration together: withdraw -> export (pain.001)
-> the fake bank executes -> camt.053 -> statement import -> COMPLETED.

It uses the incoming half's writer (`comrade.bank.formats.builders.camt053`) and import
(`comrade.bank.services.statements.statement_file_import`)."""

import contextlib
from decimal import Decimal

import pytest
from django.core.management import call_command

from comrade.bank import fakebank
from comrade.bank.models import PaymentFileEntry
from comrade.bank.services.export import payment_files_export
from comrade.bank.tests.conftest import holding, ledger_clean
from comrade.core.errors import ApplicationError
from comrade.ledger.models import TransactionToken
from comrade.ledger.selectors import balance_of


def _import(data: bytes, staff, filename="statement.xml"):
    from comrade.bank.services.statements import statement_file_import

    return statement_file_import(data=data, filename=filename, imported_by=staff)


def _status(token: str) -> str:
    return TransactionToken.objects.get(token=token).status


def test_withdraw_export_execute_import_completes(api, user, saved_account, withdraw, staff_with_otp):
    from comrade.bank.formats.builders import camt053

    staff = staff_with_otp()
    saved_account(user)
    paid = withdraw(api, "25.00").json()["token"]
    returned = withdraw(api, "15.00").json()["token"]
    assert balance_of(user) == Decimal("60.00") and holding() == Decimal("40.00")
    payment_file = payment_files_export()[0]
    e2e = {
        e.payment.transaction.token: e.end_to_end_id
        for e in PaymentFileEntry.objects.select_related("payment__transaction")
    }
    statement = fakebank.execute(payment_file.xml.encode(), returns={e2e[returned]: "AC04"})
    data = camt053(statement)
    _import(data, staff)
    assert _status(paid) == "COMPLETED"
    assert _status(returned) == "COMPLETED"  # paid out, then returned: credited back to the wallet
    assert balance_of(user) == Decimal("75.00")
    assert holding() == Decimal("0.00")
    # importing the same statement again changes nothing
    with contextlib.suppress(ApplicationError):  # refusing the duplicate file is as good as a no-op
        _import(data, staff, filename="again.xml")
    assert balance_of(user) == Decimal("75.00")
    assert TransactionToken.objects.filter(related_transaction__token=returned).count() == 1
    assert ledger_clean()


def test_fake_bank_command_writes_a_statement_the_import_reads(
    api, user, saved_account, withdraw, staff_with_otp, tmp_path
):
    saved_account(user)
    token = withdraw(api, "10.00").json()["token"]
    payment_file = payment_files_export()[0]
    source = tmp_path / "out.xml"
    source.write_bytes(payment_file.xml.encode())
    call_command("fake_bank_execute", str(source), "--out", str(tmp_path / "bank"))
    (statement_file,) = (tmp_path / "bank").glob("*.camt053.xml")
    _import(statement_file.read_bytes(), staff_with_otp(), filename=statement_file.name)
    assert _status(token) == "COMPLETED"
    assert balance_of(user) == Decimal("90.00")
    assert ledger_clean()


@pytest.mark.parametrize("reason", ["AC04"])
def test_a_rejected_transfer_in_the_command_output_releases_the_hold(
    api, user, saved_account, withdraw, tmp_path, reason
):
    from comrade.bank.services.pain002 import pain002_import

    saved_account(user)
    token = withdraw(api, "10.00").json()["token"]
    payment_file = payment_files_export()[0]
    e2e = PaymentFileEntry.objects.get().end_to_end_id
    source = tmp_path / "out.xml"
    source.write_bytes(payment_file.xml.encode())
    call_command("fake_bank_execute", str(source), "--out", str(tmp_path / "bank"), "--reject", f"{e2e}:{reason}")
    (report,) = (tmp_path / "bank").glob("*.pain002.xml")
    pain002_import(data=report.read_bytes(), imported_by=None)
    assert _status(token) == "FAILED"
    assert balance_of(user) == Decimal("100.00")
    assert ledger_clean()


def test_the_development_fake_bank_job_closes_the_loop_once(api, user, saved_account, withdraw):
    """`make run`'s fake_bank job: files the payout, executes the file and imports the statement."""
    from django.utils import timezone

    saved_account(user)
    token = withdraw(api, "25.00").json()["token"]
    assert _status(token) != "COMPLETED" and holding() == Decimal("25.00")

    assert fakebank.fake_bank_day(timezone.now()) == 1
    assert _status(token) == "COMPLETED"
    assert balance_of(user) == Decimal("75.00") and holding() == Decimal("0.00")
    assert fakebank.fake_bank_day(timezone.now()) == 0  # nothing filed twice, nothing imported twice
    assert _status(token) == "COMPLETED" and balance_of(user) == Decimal("75.00")
    assert ledger_clean()
