"""The import: each bank entry stored once, credits matched by RF reference and settled like a
verified webhook, everything else queued; a bad file writes nothing."""

import hashlib
from decimal import Decimal

import pytest
from django.core.management import call_command

from comrade.bank.formats import builders
from comrade.bank.formats.statement import Direction
from comrade.bank.models import BankEntry, BankException, BankStatement
from comrade.bank.services import payouts
from comrade.bank.services.references import formatted, wallet_reference
from comrade.bank.services.statements import statement_file_import, statement_import
from comrade.bank.tests.incoming import configure, line, reference_of, rows, sample_file, statement
from comrade.core.errors import ApplicationError
from comrade.gateways.models import ExternalPayment
from comrade.ledger.models import LedgerAccount, PaymentProfile, TransactionStatusChange, TransactionToken
from comrade.ledger.services import system_account

Reason = BankException.Reason
pytestmark = pytest.mark.django_db
NOBODY = wallet_reference(PaymentProfile(pk=999_999_999))


@pytest.fixture(autouse=True)
def bank(settings):
    configure(settings)


def balance(user) -> Decimal:
    return LedgerAccount.objects.get(profile__user=user).balance


def clearing() -> Decimal:
    return system_account(LedgerAccount.Kind.CLEARING, "bank").balance


def verify_ledger(capsys) -> None:
    call_command("verify_ledger")
    assert "ledger OK" in capsys.readouterr().out


def test_a_credit_quoting_a_wallet_reference_is_deposited_like_a_verified_webhook(make_user, capsys):
    erika = make_user(balance="5.00")
    result = statement_import(
        statement=statement(line("E1", "150.00", remittance=reference_of(erika))), source="test", imported_by=None
    )
    assert (result.created, result.duplicate, result.credited, result.exceptions) == (1, 0, 1, 0)
    assert balance(erika) == Decimal("155.00") and clearing() == Decimal("-150.00")
    entry = BankEntry.objects.get()
    txn = entry.deposit
    assert (txn.transaction_type, txn.status, txn.amount, txn.sender, txn.receiver) == (
        "DEPOSIT",
        "COMPLETED",
        Decimal("150.00"),
        erika,
        erika,
    )
    assert txn.external_payment_provider == "bank" and txn.payment_method == "EXTERNAL"
    assert list(TransactionStatusChange.objects.filter(transaction=txn).values_list("to_status", flat=True)) == [
        "PENDING",
        "AUTHORIZED",
        "VERIFIED",
        "COMPLETED",
    ]
    payment = ExternalPayment.objects.get(transaction=txn)
    assert payment.provider_reference == "DE89370400440532013000/E1" and payment.resolved_at is not None
    assert entry.outcome == BankEntry.Outcome.CREDITED and entry.wallet_reference == reference_of(erika)
    verify_ledger(capsys)


def test_the_same_file_twice_credits_nothing_the_second_time(make_user, capsys):
    erika, hans = make_user(), make_user()
    data = sample_file("camt053_v08.xml", {1001: erika, 1002: hans})
    first = statement_file_import(data=data, filename="day.xml", imported_by=None)
    assert (first.lines, first.created, first.credited, first.exceptions) == (4, 4, 2, 2)
    before = rows()
    second = statement_file_import(data=data, filename="day.xml", imported_by=None)
    assert (second.created, second.duplicate, second.credited, second.exceptions) == (0, 4, 0, 0)
    after = rows()
    assert after["statements"] == before["statements"] + 1  # the import itself is recorded
    after.pop("statements"), before.pop("statements")
    assert after == before
    assert balance(erika) == Decimal("150.00") and balance(hans) == Decimal("42.25")
    assert BankStatement.objects.filter(digest=hashlib.sha256(data).hexdigest()).count() == 2
    verify_ledger(capsys)


def test_overlapping_statements_credit_each_entry_once(make_user):
    erika = make_user()
    ref = reference_of(erika)
    monday = statement(line("E1", "10.00", remittance=ref), line("E2", "20.00", remittance=ref), message_id="A")
    tuesday = statement(line("E2", "20.00", remittance=ref), line("E3", "30.00", remittance=ref), message_id="B")
    statement_import(statement=monday, source="test", imported_by=None)
    result = statement_import(statement=tuesday, source="test", imported_by=None)
    assert (result.created, result.duplicate, result.credited) == (1, 1, 1)
    assert balance(erika) == Decimal("60.00")
    assert TransactionToken.objects.filter(transaction_type="DEPOSIT", receiver=erika).count() == 3


def test_an_iban_written_with_spaces_is_the_same_account(make_user):
    erika = make_user()
    spaced = statement(line("E1", "10.00", remittance=reference_of(erika)), iban="de89 3704 0044 0532 0130 00")
    statement_import(statement=spaced, source="t", imported_by=None)
    again = statement_import(statement=statement(line("E1", "10.00")), source="t", imported_by=None)
    assert again.duplicate == 1 and balance(erika) == Decimal("10.00")
    assert BankEntry.objects.get().account_iban == "DE89370400440532013000"


def test_camt054_batch_and_mt940_credit_the_wallets_they_name(make_user):
    erika, jane = make_user(), make_user()
    notification = sample_file("camt054_v08.xml", {1001: erika, 1002: jane})
    statement_file_import(data=notification, filename="n", imported_by=None)
    statement_file_import(data=sample_file("statement.sta", {1001: erika}), filename="s.sta", imported_by=None)
    assert balance(erika) == Decimal("275.00") and balance(jane) == Decimal("100.00")


@pytest.mark.parametrize(
    ("remittance", "reason"),
    [
        ("Geburtstagsgeschenk", Reason.NO_REFERENCE),
        (formatted(NOBODY), Reason.UNKNOWN_REFERENCE),
    ],
)
def test_a_credit_without_a_known_reference_goes_to_the_exceptions_queue(make_user, remittance, reason):
    make_user()
    statement_import(statement=statement(line("E9", "25.00", remittance=remittance)), source="t", imported_by=None)
    exception = BankException.objects.get()
    assert (exception.reason, exception.status, exception.entry.outcome) == (reason, "OPEN", "EXCEPTION")
    assert exception.entry.deposit is None and clearing() == 0
    assert not TransactionToken.objects.filter(transaction_type="DEPOSIT").exists()


def test_two_references_an_inactive_user_or_an_amount_over_the_limit_are_queued(make_user, settings):
    erika, hans, gone = make_user(), make_user(), make_user(is_active=False)
    settings.MAX_TRANSACTION_AMOUNT = Decimal("1000.00")
    lines = [
        line("E1", "10.00", remittance=f"{reference_of(erika)} {reference_of(hans)}"),
        line("E2", "10.00", remittance=reference_of(gone)),
        line("E3", "1000.01", remittance=reference_of(erika)),
    ]
    statement_import(statement=statement(*lines), source="t", imported_by=None)
    assert dict(BankException.objects.values_list("entry__entry_reference", "reason")) == {
        "E1": Reason.AMBIGUOUS_REFERENCE,
        "E2": Reason.INACTIVE_USER,
        "E3": Reason.OVER_LIMIT,
    }
    assert balance(erika) == balance(hans) == balance(gone) == 0


def test_debits_and_returns_go_to_the_payouts_side_and_unmatched_ones_are_queued(make_user, monkeypatch):
    erika = make_user()
    seen = []

    def apply(*, line, entry_id):
        seen.append((line.entry_reference, entry_id))
        return line.end_to_end_id == "TXN-OURS"

    monkeypatch.setattr(payouts, "payout_statement_line_apply", apply)
    lines = [
        line("D1", "5.00", direction=Direction.DEBIT, end_to_end_id="TXN-OURS"),
        line("D2", "7.00", direction=Direction.DEBIT, end_to_end_id="SOMETHING-ELSE"),
        line("R1", "5.00", end_to_end_id="TXN-OURS", is_return=True, return_reason="AC04"),
        line("R2", "3.00", end_to_end_id="X", is_return=True, return_reason="MS03", remittance=reference_of(erika)),
    ]
    result = statement_import(statement=statement(*lines), source="t", imported_by=None)
    entries = {e.entry_reference: e for e in BankEntry.objects.all()}
    assert sorted(ref for ref, _ in seen) == ["D1", "D2", "R1", "R2"]
    assert all(entries[ref].pk == entry_id for ref, entry_id in seen)
    assert (result.payouts, result.exceptions, result.credited) == (2, 2, 0)
    assert dict(BankException.objects.values_list("entry__entry_reference", "reason")) == {
        "D2": Reason.UNMATCHED_DEBIT,
        "R2": Reason.UNMATCHED_RETURN,
    }
    assert balance(erika) == 0  # a return is never credited by its reference


def test_a_replayed_debit_is_not_handed_to_the_payouts_side_again(monkeypatch):
    calls = []
    monkeypatch.setattr(payouts, "payout_statement_line_apply", lambda **kw: calls.append(kw) or True)
    debit = statement(line("D1", "5.00", direction=Direction.DEBIT, end_to_end_id="TXN-OURS"))
    statement_import(statement=debit, source="t", imported_by=None)
    statement_import(statement=debit, source="t", imported_by=None)
    assert len(calls) == 1


BAD_FILES = {
    "empty": (b"", "empty_file"),
    "whitespace": (b"  \n", "empty_file"),
    "malformed": (b"<Document><Stmt>", "malformed_xml"),
    "not-a-statement": (b"%PDF-1.4 ...", "unknown_format"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_files_are_refused_and_write_nothing(make_user, name):
    make_user(balance="10.00")
    data, code = BAD_FILES[name]
    before = rows()
    with pytest.raises(ApplicationError) as caught:
        statement_file_import(data=data, filename=name, imported_by=None)
    assert caught.value.code == code and caught.value.message
    assert rows() == before


def test_a_refused_statement_writes_nothing_even_when_its_good_lines_come_first(make_user, settings):
    erika = make_user()
    data = builders.camt053(statement(line("E1", "10.00", remittance=reference_of(erika)), line("E2", "1.00")))
    before = rows()
    with pytest.raises(ApplicationError):
        statement_file_import(data=data.replace(b">1.00<", b">1.001<"), filename="x", imported_by=None)
    settings.DEFAULT_CURRENCY = "USD"
    with pytest.raises(ApplicationError) as caught:
        statement_file_import(data=data, filename="x", imported_by=None)
    assert caught.value.code == "wrong_currency"
    assert rows() == before and balance(erika) == 0


def test_a_file_over_the_size_cap_is_refused(settings):
    settings.BANK_STATEMENT_MAX_BYTES = 1000
    with pytest.raises(ApplicationError) as caught:
        statement_file_import(data=b"<" + b" " * 1000, filename="big.xml", imported_by=None)
    assert caught.value.code == "file_too_large"
    assert BankStatement.objects.count() == 0


def test_a_statement_built_in_code_is_checked_like_a_file():
    with pytest.raises(ApplicationError) as caught:
        statement_import(statement=statement(line(), iban="DE02120300000000202051"), source="t", imported_by=None)
    assert caught.value.code == "wrong_account"
    with pytest.raises(ApplicationError) as caught:
        statement_import(statement=statement(line(amount="0.001")), source="t", imported_by=None)
    assert caught.value.code == "invalid_amount"
    assert BankStatement.objects.count() == 0
